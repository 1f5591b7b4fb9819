import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteContext } from './context.js';
import { migrate, openDatabase } from './database.js';
import { STATE_MIGRATIONS } from './migrations.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('SqliteContext.touchProfiles', () => {
  it("sets the audience timer of the live profiles of the workspace whose trait has the value, through an index of the trait's values", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xhub-ctx-'));
    dirs.push(dir);
    const db = openDatabase(join(dir, 'state.db'), 'normal');
    migrate(db, STATE_MIGRATIONS);
    const profile = db.prepare("INSERT INTO profiles (id, workspace_id, v, traits, trait_stamps, groups, merged_from, merged_into, created_at, updated_at) VALUES (?, ?, 1, ?, '{}', '[]', '[]', ?, 0, 0)");
    const audience = db.prepare("INSERT INTO audiences (profile_id, workspace_id, v, state, next_due) VALUES (?, ?, 1, '{}', ?)");
    const rows: [string, string, Record<string, unknown>, string | null, number | null][] = [
      ['ada', 'ws', { home: { "o'city": 'Lyon' } }, null, null],
      ['bob', 'ws', { home: { "o'city": 'Paris' } }, null, null],
      ['cy', 'ws', { home: { "o'city": 'Lyon' } }, null, 50], // a timer due earlier stays
      ['dan', 'ws', { home: { "o'city": 'Lyon' } }, 'ada', null], // merged away
      ['eve', 'other', { home: { "o'city": 'Lyon' } }, null, null], // another workspace
      ['fay', 'ws', { home: { "o'city": 7 } }, null, null],
    ];
    for (const [id, ws, traits, into, due] of rows) {
      profile.run(id, ws, JSON.stringify(traits), into);
      audience.run(id, ws, due);
    }
    const context = new SqliteContext(db);
    const trait = "home.o'city";

    expect(await context.touchProfiles('ws', trait, 'Lyon', 100)).toBe(2);
    expect(await context.touchProfiles('ws', trait, '7', 100)).toBe(1);
    const due = Object.fromEntries((db.prepare('SELECT profile_id, next_due FROM audiences ORDER BY profile_id').all() as { profile_id: string; next_due: number | null }[]).map((r) => [r.profile_id, r.next_due]));
    expect(due).toEqual({ ada: 100, bob: null, cy: 50, dan: null, eve: null, fay: 100 });

    const plan = (db.prepare(`EXPLAIN QUERY PLAN SELECT id FROM profiles WHERE workspace_id = 'ws' AND merged_into IS NULL AND CAST(json_extract(traits, '$."home"."o''city"') AS TEXT) = 'Lyon'`).all() as { detail: string }[]).map((r) => r.detail);
    expect(plan.join('\n')).toMatch(/USING INDEX profiles_trait_[0-9a-f]{16}/);
    db.close();
  });
});
