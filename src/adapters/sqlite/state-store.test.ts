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
import type { IdentitySnapshot } from '../../core/identity/snapshot.js';
import type { AudienceDefinitions } from '../../core/segments/audience.js';
import { audienceStep, timerStep } from '../../core/segments/batch.js';
import type { Identifier } from '../../core/identity/identifier.js';
import { profileFromRow, profileToRow, type ProfileRow } from './rows.js';
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

/** What the database holds for `needs`, read afresh: the snapshot a batch must be given. */
function snapshotFromDb(db: Database.Database, needs: ReturnType<typeof batchNeeds>): Map<string, unknown> {
  const owner = db.prepare('SELECT profile_id FROM identifiers WHERE workspace_id = ? AND type = ? AND value = ?').pluck();
  const row = db.prepare('SELECT * FROM profiles WHERE id = ?');
  const ids = db.prepare('SELECT type, value FROM identifiers WHERE profile_id = ?');
  const out = new Map<string, unknown>();
  for (const { workspaceId, identifier } of needs.identifiers) {
    const id = owner.get(workspaceId, identifier.type, identifier.value) as string | undefined;
    if (id !== undefined) out.set(`${identifier.type}:${identifier.value}`, canonical(profileFromRow(row.get(id) as ProfileRow, ids.all(id) as Identifier[])));
  }
  return out;
}

function snapshotGiven(snapshot: IdentitySnapshot, needs: ReturnType<typeof batchNeeds>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const { workspaceId, identifier } of needs.identifiers) {
    const id = snapshot.profileOf.get(`${workspaceId}\u0000${identifier.type}\u0000${identifier.value}`);
    if (id !== undefined) out.set(`${identifier.type}:${identifier.value}`, canonical(snapshot.profiles.get(id)));
  }
  return out;
}

/** Identifiers as a set (their order means nothing); JSON equality for the rest. */
const canonical = (p: unknown) => {
  const x = JSON.parse(JSON.stringify(p)) as { identifiers: Identifier[] };
  x.identifiers.sort((a, b) => `${a.type}:${a.value}`.localeCompare(`${b.type}:${b.value}`));
  return x;
};

/** Devices browsing anonymously, later identified as one of 30 users (merges), and users' own events. */
function mergingEvents(count: number): LoggedEvent[] {
  let s = 11;
  const r = (n: number): number => ((s = (s * 1103515245 + 12345) % 2 ** 31), s % n);
  return Array.from({ length: count }, (_, i): LoggedEvent => {
    const base = { v: 1 as const, messageId: `m${i}`, timestamp: new Date(1_700_000_000_000 + i * 1000).toISOString(), receivedAt: '2026-01-01T00:00:00.000Z' };
    const x = r(10);
    const device = `d${r(120)}`;
    const user = `u${r(30)}`;
    const event: HubEvent =
      x < 3 ? { ...base, type: 'identify', anonymousId: device, userId: user, traits: { n: i } }
        : x < 7 ? { ...base, type: 'track', anonymousId: device, event: 'Viewed' }
          : { ...base, type: 'track', userId: user, event: 'Bought' };
    return { seq: i + 1, workspaceId: ws, event };
  });
}

describe('SqliteStateStore profile cache', () => {
  it('gives every batch the profiles the database holds, also after another connection changed them', async () => {
    const db = open('state.db', STATE_MIGRATIONS);
    const store = new SqliteStateStore(db);
    const other = openDatabase(db.name, 'normal');
    const all = [...events(900), ...mergingEvents(900).map((e) => ({ ...e, seq: e.seq + 900 }))];
    let n = 0;
    let checked = 0;
    for (let i = 0; i < all.length; i += 41) {
      const batch = all.slice(i, i + 41);
      const needs = batchNeeds(batch, DEFAULT_IDENTITY_RULES);
      if (i === 41 * 10) {
        // Another process over the same files rewrites a profile's traits between two batches (and, as
        // every writer of profiles does, counts its transaction in profile_writes).
        other.transaction(() => {
          other.prepare(`UPDATE profiles SET traits = '{"changed":"elsewhere"}', trait_stamps = '{}'`).run();
          other.prepare("UPDATE cursors SET seq = seq + 1 WHERE name = 'profile_writes'").run();
        })();
      }
      const expected = snapshotFromDb(db, needs);
      await store.process(i, i + batch.length, needs, {
        identity: (snapshot) => {
          expect(snapshotGiven(snapshot, needs)).toEqual(expected);
          checked += expected.size;
          return resolveBatch(snapshot, batch, { rules: DEFAULT_IDENTITY_RULES, traitStrategies: {}, now: 1_000 + i, newProfileId: () => `p${String(++n).padStart(4, '0')}` });
        },
        audience: () => undefined,
      });
      if (i === 41 * 10) {
        const changed = db.prepare(`SELECT count(*) FROM profiles WHERE traits LIKE '%elsewhere%'`).pluck().get() as number;
        expect(changed).toBeGreaterThan(0);
      }
    }
    // Most profiles were known before their batch (the comparison covered them), and profiles merged.
    expect(checked).toBeGreaterThan(500);
    expect(db.prepare('SELECT count(*) FROM merges').pluck().get()).toBeGreaterThan(3);
    other.close();
    db.close();
  });
});

describe('SqliteStateStore audience cache', () => {
  it('gives every batch the audiences the database holds, also after another connection changed them', async () => {
    const db = open('state.db', STATE_MIGRATIONS);
    const store = new SqliteStateStore(db);
    const other = openDatabase(db.name, 'normal');
    const stateOf = db.prepare('SELECT state FROM audiences WHERE profile_id = ?').pluck();
    const definitions: AudienceDefinitions = {
      segments: [{ id: 'seg_viewers', condition: { kind: 'event', event: 'Viewed', count: { op: 'atLeast', value: 2 } } }],
      computed: [{ name: 'views', event: 'Viewed', aggregate: 'count' }],
    };
    const all = mergingEvents(1200);
    let n = 0;
    let checked = 0;
    for (let i = 0; i < all.length; i += 50) {
      const batch = all.slice(i, i + 50);
      const now = 1_700_000_000_000 + i * 1000;
      if (i === 50 * 12) {
        // Another process over the same files rewrites the stored audiences (and counts its transaction).
        other.transaction(() => {
          other.prepare(`UPDATE audiences SET state = '{"events":{},"computed":{},"members":{"elsewhere":1}}'`).run();
          other.prepare("UPDATE cursors SET seq = seq + 1 WHERE name = 'profile_writes'").run();
        })();
      }
      await store.process(i, i + batch.length, batchNeeds(batch, DEFAULT_IDENTITY_RULES), {
        identity: (snapshot) => resolveBatch(snapshot, batch, { rules: DEFAULT_IDENTITY_RULES, traitStrategies: {}, now, newProfileId: () => `p${String(++n).padStart(4, '0')}` }),
        audience: (identity, stored) => {
          for (const p of identity.profiles) {
            const row = stateOf.get(p.id) as string | undefined;
            const given = stored.get(p.id)?.state;
            expect(given && JSON.parse(JSON.stringify(given))).toEqual(row && JSON.parse(row));
            if (row) checked++;
          }
          return audienceStep({ identity, events: new Map(batch.map((e) => [e.seq, e.event])), stored, definitions: () => definitions, segmentNames: (_, id) => id, context: () => new Map(), now });
        },
      });
    }
    // Hundreds of profiles had an audience before their batch (the comparison covered them), and profiles merged.
    expect(checked).toBeGreaterThan(250);
    expect(db.prepare('SELECT count(*) FROM merges').pluck().get()).toBeGreaterThan(3);
    expect(db.prepare(`SELECT count(*) FROM audiences WHERE state LIKE '%elsewhere%'`).pluck().get()).toBeGreaterThan(0);
    // A timer's transaction writes audiences only: it counts itself too, so other connections' caches see it.
    const writes = db.prepare("SELECT seq FROM cursors WHERE name = 'profile_writes'").pluck();
    const before = writes.get() as number;
    const ids = db.prepare('SELECT profile_id FROM audiences LIMIT 5').pluck().all() as string[];
    const later = 1_800_000_000_000;
    await store.processAudiences({ ids }, (profiles, stored) => timerStep(profiles, stored, { definitions: () => definitions, segmentNames: (_, id) => id, context: () => new Map(), now: later }));
    expect(writes.get()).toBe(before + 1);
    other.close();
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

  it('reads back what it appended as the database holds it, also when another connection appended in between', async () => {
    const db = open('log.db', LOG_MIGRATIONS);
    const log = new SqliteEventLog(db);
    const other = new SqliteEventLog(openDatabase(db.name, 'normal'));
    const fresh = new SqliteEventLog(openDatabase(db.name, 'normal'));
    const ev = (messageId: string) => ({ workspaceId: ws, event: { v: 1 as const, type: 'track' as const, messageId, anonymousId: 'a', event: 'E', properties: { n: messageId, list: [1, { x: null }] }, timestamp: '2026-01-01T00:00:00.000Z', receivedAt: '2026-01-01T00:00:00.000Z' } });
    await log.append([ev('a'), ev('b'), ev('c')]);
    await other.append([ev('d'), ev('b')]);
    await log.append([ev('e'), ev('a'), ev('f')]);
    for (let after = 0; after <= 5; after++) {
      expect(await log.readAfter(after, 2)).toEqual(await fresh.readAfter(after, 2));
      expect(await log.readAfter(after, 10)).toEqual(await fresh.readAfter(after, 10));
    }
    expect((await log.readAfter(0, 10)).map((e) => e.event.messageId)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    await Promise.all([log.close(), other.close(), fresh.close()]);
  });
});
