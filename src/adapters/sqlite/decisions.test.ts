import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContactWrite, DecisionRecord } from '../../core/arbitration/decision.js';
import { itemCandidateId } from '../../core/content/decide.js';
import { migrate, openDatabase } from './database.js';
import { SqliteContactLedger, SqliteDecisionWrites } from './decisions.js';
import { STATE_MIGRATIONS } from './migrations.js';
import { writeAtOnce } from './write-gate.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function stateDb(migrations = STATE_MIGRATIONS) {
  const dir = mkdtempSync(join(tmpdir(), 'xhub-dec-'));
  dirs.push(dir);
  const db = openDatabase(join(dir, 'state.db'), 'normal');
  migrate(db, migrations);
  return db;
}

const T = Date.parse('2026-11-29T12:00:00Z');
const decision = (id: string, profileId: string, at: number): DecisionRecord => ({ id, workspaceId: 'ws', profileId, at, source: 'journey', policyVersion: 1, candidates: [] });
const reserved = (decisionId: string, profileId: string, at: number, item: string): ContactWrite => ({
  at, channel: 'inApp', purpose: 'marketing', journeyId: 'placement:home', candidateId: itemCandidateId(decisionId, item), item,
  workspaceId: 'ws', profileId, decisionId, status: 'reserved', expiresAt: at + 60_000,
});
const statuses = (db: ReturnType<typeof stateDb>) => db.prepare('SELECT profile_id, candidate_id, status FROM contacts ORDER BY candidate_id').all();

describe('decisions in state.db', () => {
  it('keep bodies of 2 KB packed, more than one a page, and are found by id', () => {
    const db = stateDb();
    const insert = db.prepare("INSERT INTO decisions (id, workspace_id, profile_id, at, source, policy_version, body) VALUES (?, 'ws', ?, ?, 'decide', 1, ?)");
    const n = 500;
    db.transaction(() => {
      for (let i = 0; i < n; i++) insert.run(`dec_${String(i).padStart(6, '0')}`, `prof_${(i * 7919) % 100}`, T + i, JSON.stringify({ v: 2, c: 'x'.repeat(1_900) }));
    })();
    const pages = db.prepare("SELECT count(*) FROM dbstat WHERE name = 'decisions'").pluck().get() as number;
    expect(pages).toBeLessThan(n * 0.6);
    expect(db.prepare('SELECT id FROM decisions WHERE id = ?').pluck().get('dec_000123')).toBe('dec_000123');
  });

  it('are kept by the migration that rebuilds their table, with their indexes', () => {
    const db = stateDb(STATE_MIGRATIONS.slice(0, 18));
    const insert = db.prepare("INSERT INTO decisions (id, workspace_id, profile_id, at, source, policy_version, body) VALUES (?, 'ws', ?, ?, 'journey', 3, ?)");
    const rows = [['dec_b', 'prof_1', T + 1, '{"v":1,"c":[]}'], ['dec_a', 'prof_2', T, '{"v":1,"c":[1]}'], ['dec_c', 'prof_1', T + 2, '{"v":1,"c":[2]}']];
    for (const r of rows) insert.run(...r);
    const before = db.prepare('SELECT * FROM decisions ORDER BY id').all();
    migrate(db, STATE_MIGRATIONS);
    expect(db.prepare('SELECT * FROM decisions ORDER BY id').all()).toEqual(before);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'decisions' AND sql IS NOT NULL ORDER BY name").pluck().all()).toEqual([
      'decisions_profile',
      'decisions_workspace_at',
    ]);
    const plan = (db.prepare("EXPLAIN QUERY PLAN SELECT * FROM decisions WHERE profile_id = 'prof_1' AND workspace_id = 'ws' ORDER BY at DESC, id DESC").all() as { detail: string }[]).map((r) => r.detail);
    expect(plan.join('; ')).toContain('USING INDEX decisions_profile');
  });
});

describe('impressions of a decision (shown)', () => {
  it("mark the decision's reserved contacts of those items shown, found by primary key from the decision, also once merged into another profile", async () => {
    const db = stateDb();
    const writes = new SqliteDecisionWrites(db);
    const ledger = new SqliteContactLedger(db, writeAtOnce);
    writes.write([decision('dec_1', 'prof_a', T), decision('dec_2', 'prof_a', T + 5)], [
      reserved('dec_1', 'prof_a', T, 'offer'),
      reserved('dec_1', 'prof_a', T, 'banner'),
      reserved('dec_2', 'prof_a', T + 5, 'offer'),
    ]);
    expect(await ledger.shown('ws', 'dec_1', ['offer'], T + 1_000)).toBe(1);
    expect(await ledger.shown('other', 'dec_1', ['banner'], T + 1_000)).toBe(0);
    writes.merged('prof_b', 'prof_a');
    expect(await ledger.shown('ws', 'dec_2', ['offer'], T + 1_000)).toBe(1);
    expect(await ledger.shown('ws', 'dec_1', ['banner'], T + 61_000)).toBe(0); // the reservation expired
    expect(statuses(db)).toEqual([
      { profile_id: 'prof_b', candidate_id: 'dec_1:banner', status: 'reserved' },
      { profile_id: 'prof_b', candidate_id: 'dec_1:offer', status: 'shown' },
      { profile_id: 'prof_b', candidate_id: 'dec_2:offer', status: 'shown' },
    ]);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'contacts_decision'").get()).toBeUndefined();
    const source = (ledger as unknown as { s: { shown: { source: string } } }).s.shown.source;
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${source}`).all({ decision: 'd', workspace: 'ws', item: 'i', candidate: 'd:i', now: T }) as { detail: string }[]).map((r) => r.detail).join('; ');
    expect(plan).toContain('SEARCH contacts USING PRIMARY KEY (profile_id=? AND at=? AND candidate_id=?)');
  });
});
