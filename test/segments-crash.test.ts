import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { client, crash, killAll, sleep, startServer, type ServerProcess } from './xhub-process.js';

/**
 * Exact rolling windows survive a crash: `xhub serve` runs as a child process, profiles enter
 * "did Ping within the last 3 seconds", the server is SIGKILLed (before the window runs out, and
 * again in the middle of a burst of 2,000 exits due at one instant), restarted, and every profile
 * leaves once, promptly, never before the exact expiry instant (event time + 3 s + 1 ms).
 */

const KEYS = { writeKey: 'seg-crash-write', adminKey: 'seg-crash-admin' };
const WINDOW_MS = 3_000;
const SEGMENT = { name: 'Pinged in the last 3 s', condition: { kind: 'event', event: 'Ping', within: { last: { amount: 3, unit: 'seconds' } } } };

const dirs: string[] = [];
afterAll(() => {
  killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const dataDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'xhub-seg-crash-'));
  dirs.push(d);
  return d;
};

const iso = (ms: number): string => new Date(ms).toISOString();
const admin = <T>(s: ServerProcess, method: string, path: string, body?: unknown): Promise<T> => client(s, KEYS).admin<T>(method, path, body);
const send = (s: ServerProcess, batch: unknown[]): Promise<void> => client(s, KEYS).send(batch);

const ping = (userId: string, ts: number) => ({ type: 'track', userId, event: 'Ping', timestamp: iso(ts), messageId: `ping-${userId}` });
const count = async (s: ServerProcess, seg: string): Promise<number> => (await admin<{ count: number }>(s, 'GET', `/v1/segments/${seg}/count`)).count;

/** Polls the member count until `done(count)`; fails with `what` at the deadline. */
async function waitCount(s: ServerProcess, seg: string, done: (n: number) => boolean, deadline: number, what: string): Promise<number> {
  for (;;) {
    const n = await count(s, seg);
    if (done(n)) return n;
    if (Date.now() > deadline) throw new Error(`${what}: the segment has ${n} members\n${s.output()}`);
    await sleep(20);
  }
}

interface Item { event?: string; timestamp: string; properties?: Record<string, unknown> }

/** A profile's `Segment Entered` / `Segment Exited` items, over the admin API. */
async function segmentItems(s: ServerProcess, userId: string): Promise<{ entered: Item[]; exited: Item[] }> {
  const p = await admin<{ id: string }>(s, 'GET', `/v1/profiles/by/userId/${userId}`);
  const { items } = await admin<{ items: Item[] }>(s, 'GET', `/v1/profiles/${p.id}/timeline?limit=100`);
  return { entered: items.filter((i) => i.event === 'Segment Entered'), exited: items.filter((i) => i.event === 'Segment Exited') };
}

/** Per profile, the hub events written for the segment, read from the data files as left. */
function hubEventsByProfile(dir: string, seg: string): Map<string, { entered: number[]; exited: number[] }> {
  const db = new Database(join(dir, 'state.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare(`SELECT profile_id AS p, ts, json_extract(body, '$.event') AS e FROM hub_events WHERE json_extract(body, '$.properties.segmentId') = ?`).all(seg) as { p: string; ts: number; e: string }[];
    const out = new Map<string, { entered: number[]; exited: number[] }>();
    for (const r of rows) {
      const o = out.get(r.p) ?? { entered: [], exited: [] };
      (r.e === 'Segment Entered' ? o.entered : o.exited).push(r.ts);
      out.set(r.p, o);
    }
    const onTimeline = db.prepare('SELECT count(*) FROM timeline WHERE seq >= 1099511627776').pluck().get() as number;
    expect(onTimeline, 'every hub event is on its timeline once').toBe(rows.length);
    expect(db.prepare('SELECT count(*) FROM audiences WHERE next_due IS NOT NULL').pluck().get(), 'no timer left').toBe(0);
    return out;
  } finally {
    db.close();
  }
}

describe('exact rolling-window exits survive SIGKILL', () => {
  it('profiles in "Ping within the last 3 s" when the server dies leave once, promptly, after restart', async () => {
    const dir = dataDir();
    let server = await startServer(dir, KEYS);
    const seg = (await admin<{ id: string }>(server, 'POST', '/v1/segments', SEGMENT)).id;
    const users = Array.from({ length: 50 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    const t0 = Date.now();
    const sentAt = new Map(users.map((u, i) => [u, t0 + i]));
    await send(server, users.map((u) => ping(u, sentAt.get(u) as number)));
    await waitCount(server, seg, (n) => n === users.length, t0 + WINDOW_MS - 500, 'every profile should be a member well before the window runs out');

    await crash(server);
    const killedAt = Date.now();
    expect(killedAt, 'killed before the first window ran out').toBeLessThan(t0 + WINDOW_MS + 1);
    const lastExpiry = t0 + users.length - 1 + WINDOW_MS + 1;
    await sleep(lastExpiry + 300 - Date.now()); // every timer is overdue while the server is down

    server = await startServer(dir, KEYS);
    const restartedAt = Date.now();
    await waitCount(server, seg, (n) => n === 0, restartedAt + 5_000, 'every profile should leave promptly after the restart');
    const emptyAt = Date.now();
    for (const u of users) {
      const { entered, exited } = await segmentItems(server, u);
      expect(entered, u).toHaveLength(1);
      expect(exited, u).toHaveLength(1);
      const exit = Date.parse((exited[0] as Item).timestamp);
      const expiry = (sentAt.get(u) as number) + WINDOW_MS + 1;
      expect(exit, `${u} left at or after its exact expiry instant`).toBeGreaterThanOrEqual(expiry);
      expect(exit, `${u} left once the restarted server fired its overdue timer`).toBeLessThanOrEqual(emptyAt);
      expect(Date.parse((entered[0] as Item).timestamp)).toBeLessThanOrEqual(killedAt);
    }
    await crash(server);
    const stored = hubEventsByProfile(dir, seg);
    expect(stored.size).toBe(users.length);
  });

  it('a kill in the middle of 2,000 exits due at one instant: after restart each profile entered once and left once', async () => {
    const dir = dataDir();
    let server = await startServer(dir, KEYS);
    const seg = (await admin<{ id: string }>(server, 'POST', '/v1/segments', SEGMENT)).id;
    const N = 2_000;
    // All Pings at one instant T slightly ahead: members enter at T (by timer, or when processed if later), all leave at T + 3 s + 1 ms.
    const T = Date.now() + 1_000;
    const expiry = T + WINDOW_MS + 1;
    const users = Array.from({ length: N }, (_, i) => `b${String(i).padStart(4, '0')}`);
    for (let i = 0; i < N; i += 500) await send(server, users.slice(i, i + 500).map((u) => ping(u, T)));
    await waitCount(server, seg, (n) => n === N, expiry - 300, 'every profile should be a member before the window runs out');

    // Watch the memberships in the data files (not through the busy server) and kill as soon as the first exits commit.
    const watch = new Database(join(dir, 'state.db'), { readonly: true, fileMustExist: true });
    const members = watch.prepare('SELECT count(*) FROM segment_members WHERE segment_id = ?').pluck();
    const exits = watch.prepare(`SELECT count(*) FROM hub_events WHERE json_extract(body, '$.event') = 'Segment Exited'`).pluck();
    await sleep(expiry - Date.now());
    const tick = new Int32Array(new SharedArrayBuffer(4));
    const deadline = Date.now() + 10_000;
    while ((members.get(seg) as number) === N && Date.now() < deadline) Atomics.wait(tick, 0, 0, 1);
    await crash(server);
    const exitedAtKill = exits.get() as number;
    watch.close();
    expect(exitedAtKill, 'the exits had started when the server was killed').toBeGreaterThan(0);
    console.log(`segments-crash: killed with ${exitedAtKill} of ${N} exits committed`);

    server = await startServer(dir, KEYS);
    const restartedAt = Date.now();
    await waitCount(server, seg, (n) => n === 0, restartedAt + 10_000, 'every profile should leave promptly after the restart');
    const emptyAt = Date.now();
    for (const u of users.filter((_, i) => i % 200 === 0)) {
      const { entered, exited } = await segmentItems(server, u);
      expect([entered.length, exited.length], u).toEqual([1, 1]);
    }
    await crash(server);

    const stored = hubEventsByProfile(dir, seg);
    expect(stored.size).toBe(N);
    for (const [profile, { entered, exited }] of stored) {
      expect([entered.length, exited.length], profile).toEqual([1, 1]);
      expect(exited[0], profile).toBeGreaterThanOrEqual(expiry);
      expect(exited[0], profile).toBeLessThanOrEqual(emptyAt);
      expect(entered[0], profile).toBeGreaterThanOrEqual(T);
    }
  });
});
