import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { HubEvent, LoggedEvent } from '../../core/events/event.js';
import { DEFAULT_IDENTITY_RULES } from '../../core/identity/identifier.js';
import { batchNeeds, resolveBatch } from '../../core/identity/resolve.js';
import type { BatchOutcome } from '../../core/identity/snapshot.js';
import { migrate, openDatabase } from './database.js';
import { SqliteEventLog } from './event-log.js';
import { LOG_MIGRATIONS, STATE_MIGRATIONS } from './migrations.js';
import { profileToRow } from './rows.js';
import { SqliteStateStore } from './state-store.js';

const ws = 'ws_t';
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function open(name: string, migrations: readonly string[]): Database.Database {
  const dir = mkdtempSync(join(tmpdir(), 'xhub-store-'));
  dirs.push(dir);
  const db = openDatabase(join(dir, name), 'normal');
  migrate(db, migrations);
  return db;
}

/** A small seeded mix: anonymous browsing, identifies (traits, shared devices), aliases, groups. */
function events(count: number): LoggedEvent[] {
  let s = 7;
  const r = (n: number): number => ((s = (s * 1103515245 + 12345) % 2 ** 31), s % n);
  return Array.from({ length: count }, (_, i): LoggedEvent => {
    const u = r(40);
    const base = { v: 1 as const, messageId: `m${i}`, timestamp: new Date(1_700_000_000_000 + r(1e6)).toISOString(), receivedAt: '2026-01-01T00:00:00.000Z' };
    const x = r(10);
    const event: HubEvent =
      x < 2 ? { ...base, type: 'identify', anonymousId: `a${r(3) === 0 ? r(40) : u}`, userId: `u${u}`, traits: { plan: ['free', 'pro'][r(2)], n: i } }
        : x < 3 ? { ...base, type: 'alias', previousId: `a${r(40)}`, userId: `u${u}` }
          : x < 4 ? { ...base, type: 'group', anonymousId: `a${u}`, groupId: `g${r(5)}`, traits: { size: i } }
            : { ...base, type: 'track', anonymousId: `a${u}`, event: 'Viewed' };
    return { seq: i + 1, workspaceId: ws, event };
  });
}

describe('SqliteStateStore', () => {
  it('stores every changed profile exactly as a full rewrite would, whichever columns it writes', async () => {
    const db = open('state.db', STATE_MIGRATIONS);
    const store = new SqliteStateStore(db);
    const row = db.prepare('SELECT * FROM profiles WHERE id = ?');
    const all = events(600);
    let n = 0;
    for (let i = 0; i < all.length; i += 37) {
      const batch = all.slice(i, i + 37);
      let outcome: BatchOutcome | undefined;
      await store.process(i, i + batch.length, batchNeeds(batch, DEFAULT_IDENTITY_RULES), {
        identity: (snapshot) => {
          outcome = resolveBatch(snapshot, batch, { rules: DEFAULT_IDENTITY_RULES, traitStrategies: {}, now: 1_000 + i, newProfileId: () => `p${String(++n).padStart(4, '0')}` });
          return outcome;
        },
        audience: () => undefined,
      });
      for (const p of outcome?.profiles ?? []) expect(row.get(p.id)).toEqual(profileToRow(p));
    }
    expect(await store.cursor()).toBe(all.length);
    db.close();
  });
});

describe('SqliteEventLog', () => {
  it('reports the head after new events, after duplicates only, and after a mix', async () => {
    const db = open('log.db', LOG_MIGRATIONS);
    const log = new SqliteEventLog(db);
    const ev = (messageId: string) => ({ workspaceId: ws, event: { v: 1 as const, type: 'track' as const, messageId, anonymousId: 'a', timestamp: '2026-01-01T00:00:00.000Z', receivedAt: '2026-01-01T00:00:00.000Z' } });
    expect(await log.append([ev('a'), ev('b')])).toEqual({ appended: 2, duplicates: 0, head: 2 });
    expect(await log.append([ev('a'), ev('b')])).toEqual({ appended: 0, duplicates: 2, head: 2 });
    expect(await log.append([ev('c'), ev('a')])).toEqual({ appended: 1, duplicates: 1, head: 3 });
    expect(await log.head()).toBe(3);
    await log.close();
  });
});
