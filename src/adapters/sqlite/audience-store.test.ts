import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AudienceOutcome } from '../../core/segments/batch.js';
import { SqliteAudienceReader } from './audience-reader.js';
import { SqliteAudiences } from './audience-store.js';
import { migrate, openDatabase } from './database.js';
import { STATE_MIGRATIONS } from './migrations.js';
import { ProfileCache } from './profile-cache.js';
import { SqliteStateStore } from './state-store.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function stateDb() {
  const dir = mkdtempSync(join(tmpdir(), 'xhub-aud-'));
  dirs.push(dir);
  const db = openDatabase(join(dir, 'state.db'), 'normal');
  migrate(db, STATE_MIGRATIONS);
  return db;
}

describe('memberships in state.db', () => {
  it('are those the audience states name: listed per profile from them, and removed with them', async () => {
    const db = stateDb();
    const audiences = new SqliteAudiences(db, new ProfileCache(10));
    const reader = new SqliteAudienceReader(db);
    const state = (members: Record<string, number>) => ({ events: {}, computed: {}, members });
    const entered = (profileId: string, segmentId: string, at: number) => ({ profileId, workspaceId: 'ws', segmentId, kind: 'entered' as const, at });
    const write = (o: Partial<AudienceOutcome>) => db.transaction(() => audiences.write({ audiences: [], changes: [], hubEvents: [], removed: [], ...o }))();
    write({
      audiences: [{ profileId: 'prof_a', workspaceId: 'ws', state: state({ seg_1: 1, seg_2: 2 }) }, { profileId: 'prof_b', workspaceId: 'ws', state: state({ seg_1: 3 }) }],
      changes: [entered('prof_a', 'seg_1', 1), entered('prof_a', 'seg_2', 2), entered('prof_b', 'seg_1', 3)],
    });
    expect(await reader.segmentsOf('prof_a')).toEqual([{ segmentId: 'seg_1', since: 1 }, { segmentId: 'seg_2', since: 2 }]);
    // A deleted segment's memberships go at once; the state names it until the profile is next evaluated.
    db.prepare("DELETE FROM segment_members WHERE segment_id = 'seg_2'").run();
    expect(await reader.segmentsOf('prof_a')).toEqual([{ segmentId: 'seg_1', since: 1 }]);
    write({ removed: ['prof_a'] });
    expect(await reader.segmentsOf('prof_a')).toEqual([]);
    expect(db.prepare('SELECT segment_id, profile_id FROM segment_members').all()).toEqual([{ segment_id: 'seg_1', profile_id: 'prof_b' }]);
    expect(await reader.segmentsOf('prof_b')).toEqual([{ segmentId: 'seg_1', since: 3 }]);
  });

  it('have no index by profile to write at every change: a profile\'s are found by their primary key', () => {
    const db = stateDb();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'segment_members'").pluck().all()).toEqual([]);
    const plan = (sql: string, arg: unknown) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(arg) as { detail: string }[]).map((r) => r.detail).join('; ');
    const source = (o: object, name: string) => (o as { s: Record<string, { source: string }> }).s[name]?.source as string;
    const plans = [plan(source(new SqliteAudiences(db, new ProfileCache(10)), 'removeMembers'), { id: 'prof_a' }), plan(source(new SqliteAudienceReader(db), 'segmentsOf'), 'prof_a')];
    for (const p of plans) {
      expect(p).toContain('USING PRIMARY KEY (segment_id=? AND profile_id=?)');
      expect(p).not.toMatch(/SCAN (segment_members|m)\b/);
    }
  });
});

describe('audience timers in state.db', () => {
  it('a due audience whose profile is gone is dropped rather than left due forever', async () => {
    const db = stateDb();
    db.prepare("INSERT INTO audiences (profile_id, workspace_id, v, state, next_due) VALUES ('prof_gone', 'ws', 1, '{}', 5)").run();
    const store = new SqliteStateStore(db);
    expect(await store.nextDue()).toBe(5);
    let called = 0;
    expect(await store.processAudiences({ dueBy: 10, limit: 10 }, () => (called++, { audiences: [], changes: [], hubEvents: [], removed: [] }))).toBe(1);
    expect(called).toBe(0);
    expect(await store.nextDue()).toBeUndefined();
    expect(await store.processAudiences({ dueBy: 10, limit: 10 }, () => ({ audiences: [], changes: [], hubEvents: [], removed: [] }))).toBe(0);
  });
});
