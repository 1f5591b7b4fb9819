import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from './database.js';
import { STATE_MIGRATIONS } from './migrations.js';
import { SqliteStateStore } from './state-store.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('audience timers in state.db', () => {
  it('a due audience whose profile is gone is dropped rather than left due forever', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xhub-aud-'));
    dirs.push(dir);
    const db = openDatabase(join(dir, 'state.db'), 'normal');
    migrate(db, STATE_MIGRATIONS);
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
