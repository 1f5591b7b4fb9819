import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { health, killAll, sleep, spawnServer as spawnXhub, startServer as startXhub, type ServerProcess } from './xhub-process.js';

/**
 * Crash safety, end to end: `xhub serve` runs as a child process, takes concurrent batches over
 * real sockets and is killed with SIGKILL mid-load (once while ingesting, once with processing far
 * behind, once while catching up after a restart). After every kill the data files are checked
 * as they were left; at the end, after retries of failed and of acknowledged batches, every
 * acknowledged messageId is stored exactly once and profiles, identifiers, merges and timelines
 * are consistent with the log.
 */

const WRITE_KEY = 'crash-write-key';
const ADMIN_KEY = 'crash-admin-key';
const WORKSPACE = 'ws_default';
const AUTH = `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`;
const CONNECTIONS = 32;

// ---------------------------------------------------------------- the server as a child process

type Server = ServerProcess;
const KEYS = { writeKey: WRITE_KEY, adminKey: ADMIN_KEY };
const dirs: string[] = [];

afterAll(() => {
  killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const spawnServer = (dataDir: string) => spawnXhub(dataDir, KEYS);
const startServer = (dataDir: string) => startXhub(dataDir, KEYS);

async function crash(server: Server): Promise<void> {
  server.child.kill('SIGKILL');
  await server.exited;
  expect(server.child.signalCode, `xhub serve ended before the kill:\n${server.output()}`).toBe('SIGKILL');
}

// ---------------------------------------------------------------- the load: users, devices, merges

interface Event {
  type: 'track' | 'identify';
  messageId: string;
  userId?: string;
  anonymousId?: string;
  event?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  timestamp: string;
}

interface Batch {
  readonly events: readonly Event[];
}

/**
 * Each user browses anonymously on device A, logs in on another session (a separate userId
 * profile), then identifies on device A (merging the two), browses anonymously on device B and
 * orders from it while logged in (a second merge). Device ids belong to one user only, so no
 * identity rule is ever hit and the expected profiles follow from the log alone. Users run
 * interleaved; every event has its own millisecond timestamp so trait order is unambiguous.
 */
class Load {
  private nextUser = 0;
  private n = 0;
  private readonly active: { k: number; step: number }[] = [];
  private readonly t0 = Date.now() - 86_400_000;
  private seed = 0x2545f491;
  /** Every batch sent at least once. */
  readonly batches: Batch[] = [];
  /** Batches never answered 200 (yet). */
  readonly unacked = new Set<Batch>();
  readonly ackedBatches: Batch[] = [];
  readonly acked = new Set<string>();
  readonly sent = new Set<string>();
  requests = { ok: 0, failed: 0, status: new Map<string, number>() };

  constructor(private readonly window: number) {}

  private random(n: number): number {
    this.seed ^= this.seed << 13;
    this.seed ^= this.seed >>> 17;
    this.seed ^= this.seed << 5;
    return (this.seed >>> 0) % n;
  }

  private script(k: number, step: number): Omit<Event, 'messageId' | 'timestamp'> | undefined {
    const userId = `user-${k}`;
    const a = `anon-a-${k}`;
    const b = `anon-b-${k}`;
    switch (step) {
      case 0:
      case 1:
        return { type: 'track', anonymousId: a, event: 'Page Viewed', properties: { path: `/p/${step}` } };
      case 2:
        return { type: 'track', userId, event: 'Logged In', properties: {} };
      case 3:
        return { type: 'identify', userId, anonymousId: a, traits: { name: `User ${k}`, device: 'a' } };
      case 4:
      case 5:
        return { type: 'track', anonymousId: b, event: 'Product Viewed', properties: { sku: `SKU-${step}` } };
      case 6:
        return { type: 'track', userId, anonymousId: b, event: 'Order Completed', properties: { total: 10 + k } };
      case 7:
        return { type: 'identify', userId, anonymousId: b, traits: { device: 'b', plan: 'pro' } };
      default:
        return undefined;
    }
  }

  private nextEvent(): Event {
    while (this.active.length < this.window) this.active.push({ k: this.nextUser++, step: 0 });
    const i = this.random(this.active.length);
    const u = this.active[i] as { k: number; step: number };
    const call = this.script(u.k, u.step++) as Omit<Event, 'messageId' | 'timestamp'>;
    if (this.script(u.k, u.step) === undefined) this.active.splice(i, 1);
    const n = this.n++;
    const ev: Event = { ...call, messageId: `m-${n}`, timestamp: new Date(this.t0 + n).toISOString() };
    if (ev.type === 'identify') ev.traits = { ...ev.traits, last: n };
    this.sent.add(ev.messageId);
    return ev;
  }

  newBatch(size: number): Batch {
    const batch = { events: Array.from({ length: size }, () => this.nextEvent()) };
    this.batches.push(batch);
    this.unacked.add(batch);
    return batch;
  }

  /** POSTs a batch; true when it was acknowledged (200). */
  async send(base: string, batch: Batch): Promise<boolean> {
    let outcome: string;
    try {
      const res = await fetch(`${base}/v1/batch`, {
        method: 'POST',
        headers: { authorization: AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({ batch: batch.events }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { success?: boolean };
      outcome = String(res.status);
      if (res.status === 200 && body.success === true) {
        if (this.unacked.delete(batch)) this.ackedBatches.push(batch);
        for (const e of batch.events) this.acked.add(e.messageId);
        this.requests.ok++;
        return true;
      }
    } catch (e) {
      outcome = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    }
    this.requests.failed++;
    this.requests.status.set(outcome, (this.requests.status.get(outcome) ?? 0) + 1);
    return false;
  }

  /**
   * `connections` senders post new batches until `ready()` resolves; then `kill()` runs while
   * their requests are in flight, and each sender ends when its request has failed or answered.
   */
  async drive(base: string, connections: number, size: number, ready: () => Promise<void>, kill: () => Promise<void>): Promise<void> {
    let stopping = false;
    const sender = async (): Promise<void> => {
      while (!stopping) await this.send(base, this.newBatch(size));
    };
    const senders = Array.from({ length: connections }, sender);
    await ready();
    stopping = true;
    await kill();
    await Promise.all(senders);
  }

  /** Resends batches (as SDKs retry), `connections` at a time. */
  async resend(base: string, batches: readonly Batch[], connections: number): Promise<void> {
    const queue = [...batches];
    await Promise.all(Array.from({ length: connections }, async () => {
      for (let b = queue.shift(); b; b = queue.shift()) {
        for (let attempt = 0; !(await this.send(base, b)); attempt++) {
          if (attempt > 20) throw new Error('a retried batch was never acknowledged');
          await sleep(100);
        }
      }
    }));
  }

  sample(from: readonly Batch[], count: number): Batch[] {
    const out: Batch[] = [];
    for (let i = 0; i < count && from.length > 0; i++) out.push(from[this.random(from.length)] as Batch);
    return out;
  }
}

async function until(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// ---------------------------------------------------------------- checks on the files

type LogRow = { seq: number; message_id: string; body: string };

function openReadonly(dataDir: string): { log: Database.Database; state: Database.Database; close: () => void } {
  const log = new Database(join(dataDir, 'log.db'), { readonly: true, fileMustExist: true });
  const state = new Database(join(dataDir, 'state.db'), { readonly: true, fileMustExist: true });
  return { log, state, close: () => (log.close(), state.close()) };
}

/**
 * What must hold whenever the hub is down, however it stopped: acknowledged events are in the
 * log once, and profile state is exactly the log up to the processing cursor (no event applied
 * twice, none skipped).
 */
function checkAfterCrash(dataDir: string, load: Load): { head: number; cursor: number } {
  const { log, state, close } = openReadonly(dataDir);
  try {
    const logged = new Map<string, number>();
    for (const r of log.prepare('SELECT message_id, count(*) AS n FROM events WHERE workspace_id = ? GROUP BY message_id').all(WORKSPACE) as { message_id: string; n: number }[]) {
      logged.set(r.message_id, r.n);
    }
    const missing = [...load.acked].filter((m) => logged.get(m) !== 1);
    expect(missing, 'acknowledged messageIds not in the log exactly once').toEqual([]);
    const unknown = [...logged.keys()].filter((m) => !load.sent.has(m));
    expect(unknown, 'logged messageIds never sent').toEqual([]);
    const head = log.prepare('SELECT coalesce(max(seq), 0) FROM events').pluck().get() as number;
    const cursor = state.prepare("SELECT seq FROM cursors WHERE name = 'profiles'").pluck().get() as number;
    expect(cursor).toBeLessThanOrEqual(head);
    const applied = state.prepare('SELECT seq FROM timeline ORDER BY seq').pluck().all() as number[];
    const expected = log.prepare('SELECT seq FROM events WHERE seq <= ? ORDER BY seq').pluck().all(cursor) as number[];
    expect(applied.length, 'timeline entries vs events up to the cursor').toBe(expected.length);
    expect(applied).toEqual(expected);
    return { head, cursor };
  } finally {
    close();
  }
}

/** Full consistency once everything is processed. */
function checkConsistent(dataDir: string, load: Load): { events: number; profiles: number; merges: number } {
  const { log, state, close } = openReadonly(dataDir);
  try {
    const rows = log.prepare('SELECT seq, message_id, body FROM events WHERE workspace_id = ? ORDER BY seq').all(WORKSPACE) as LogRow[];
    const ids = rows.map((r) => r.message_id);
    expect(new Set(ids).size, 'duplicate messageIds in the log').toBe(ids.length);
    // Every batch was eventually acknowledged, so the log holds exactly what was sent.
    expect(load.unacked.size).toBe(0);
    expect(ids.length).toBe(load.sent.size);
    expect(load.acked.size).toBe(load.sent.size);
    const inLog = new Set(ids);
    expect([...load.acked].filter((m) => !inLog.has(m))).toEqual([]);

    const head = log.prepare('SELECT max(seq) FROM events').pluck().get() as number;
    expect(state.prepare("SELECT seq FROM cursors WHERE name = 'profiles'").pluck().get()).toBe(head);

    type Profile = { id: string; merged_into: string | null; traits: string };
    const profiles = new Map((state.prepare('SELECT id, merged_into, traits FROM profiles').all() as Profile[]).map((p) => [p.id, p]));
    const live = (id: string | undefined): boolean => id !== undefined && profiles.get(id)?.merged_into === null;
    const identifiers = new Map<string, string>();
    for (const r of state.prepare('SELECT type, value, profile_id FROM identifiers WHERE workspace_id = ?').all(WORKSPACE) as { type: string; value: string; profile_id: string }[]) {
      identifiers.set(`${r.type}:${r.value}`, r.profile_id);
    }
    // Identifiers only point at live profiles; merged-away profiles point at live ones.
    expect([...identifiers.values()].filter((p) => !live(p))).toEqual([]);
    const mergedAway = [...profiles.values()].filter((p) => p.merged_into !== null);
    expect(mergedAway.filter((p) => !live(p.merged_into ?? undefined)).map((p) => p.id)).toEqual([]);
    // Each merge recorded once, one per merged-away profile.
    const losers = state.prepare('SELECT loser_id FROM merges').pluck().all() as string[];
    expect(losers.length).toBe(new Set(losers).size);
    expect(new Set(losers)).toEqual(new Set(mergedAway.map((p) => p.id)));
    expect(state.prepare('SELECT count(*) FROM identity_decisions').pluck().get(), 'no identity rule should be hit').toBe(0);

    // Each event's expected profile follows from its identifiers: userId first, else anonymousId.
    const userIds = new Set<string>();
    const expectedOf = new Map<number, string>();
    const lastTrait = new Map<string, number>();
    for (const r of rows) {
      const e = JSON.parse(r.body) as Event;
      if (e.userId !== undefined) userIds.add(e.userId);
      const p = e.userId !== undefined ? identifiers.get(`userId:${e.userId}`) : identifiers.get(`anonymousId:${e.anonymousId}`);
      expect(p, `profile of ${e.messageId}`).toBeDefined();
      expectedOf.set(r.seq, p as string);
      if (e.type === 'identify') {
        // An identified device resolves to its user's profile.
        expect(identifiers.get(`anonymousId:${e.anonymousId}`)).toBe(p);
        const last = Number(e.traits?.last);
        lastTrait.set(p as string, Math.max(lastTrait.get(p as string) ?? -1, last));
      }
      if (e.type === 'track' && e.userId !== undefined && e.anonymousId !== undefined) {
        expect(identifiers.get(`anonymousId:${e.anonymousId}`)).toBe(p);
      }
    }
    // Profiles are exactly the connected components of identifiers seen together in an event.
    const parent = new Map<string, string>();
    const find = (x: string): string => {
      let r = x;
      while (parent.has(r) && parent.get(r) !== r) r = parent.get(r) as string;
      parent.set(x, r);
      return r;
    };
    for (const r of rows) {
      const e = JSON.parse(r.body) as Event;
      const keys = [e.userId !== undefined ? `userId:${e.userId}` : undefined, e.anonymousId !== undefined ? `anonymousId:${e.anonymousId}` : undefined]
        .filter((k) => k !== undefined);
      for (const k of keys) if (!parent.has(k)) parent.set(k, k);
      if (keys.length === 2) parent.set(find(keys[0] as string), find(keys[1] as string));
    }
    expect(new Set(parent.keys())).toEqual(new Set(identifiers.keys()));
    const components = new Set([...parent.keys()].map(find));
    const liveIds = [...profiles.values()].filter((p) => p.merged_into === null).map((p) => p.id);
    expect(new Set(identifiers.values()).size).toBe(components.size);
    expect(liveIds.length, 'live profiles vs identity components').toBe(components.size);
    for (const k of parent.keys()) expect(identifiers.get(k), k).toBe(identifiers.get(find(k)));

    // One live profile per userId, never two userIds on one profile.
    const userProfiles = [...userIds].map((u) => identifiers.get(`userId:${u}`));
    expect(userProfiles.filter((p) => !live(p))).toEqual([]);
    expect(new Set(userProfiles).size).toBe(userIds.size);
    const perProfile = state.prepare("SELECT profile_id, count(*) AS n FROM identifiers WHERE type = 'userId' GROUP BY profile_id HAVING n > 1").all();
    expect(perProfile).toEqual([]);
    // Traits: the latest identify (by timestamp) of each profile wins.
    for (const [p, last] of lastTrait) expect((JSON.parse(profiles.get(p)?.traits ?? '{}') as { last?: number }).last, p).toBe(last);

    // Every logged event is on exactly one timeline, its expected profile's.
    const timeline = state.prepare('SELECT seq, profile_id FROM timeline').all() as { seq: number; profile_id: string }[];
    expect(timeline.length).toBe(rows.length);
    expect(new Set(timeline.map((t) => t.seq)).size).toBe(rows.length);
    const wrong = timeline.filter((t) => expectedOf.get(t.seq) !== t.profile_id);
    expect(wrong.slice(0, 5)).toEqual([]);

    return { events: rows.length, profiles: profiles.size - mergedAway.length, merges: losers.length };
  } finally {
    close();
  }
}

/** Through the read API: a user's profile and its paged timeline match the log. */
async function checkOverHttp(base: string, dataDir: string, users: readonly string[]): Promise<void> {
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };
  const { log, state, close } = openReadonly(dataDir);
  try {
    for (const userId of users) {
      const profile = await get<{ id: string; identifiers: { type: string; value: string }[] }>(`/v1/profiles/by/userId/${userId}`);
      const k = userId.slice('user-'.length);
      const mine = profile.identifiers.map((i) => `${i.type}=${i.value}`);
      expect(mine.filter((i) => i.startsWith('userId='))).toEqual([`userId=${userId}`]);
      const anons = mine.filter((i) => i.startsWith('anonymousId=')).map((i) => i.slice('anonymousId='.length));
      for (const a of anons) expect([`anon-a-${k}`, `anon-b-${k}`]).toContain(a);
      const seqs = state.prepare('SELECT seq FROM timeline WHERE profile_id = ?').pluck().all(profile.id) as number[];
      const messageIds = new Set<string>();
      for (const seq of seqs) messageIds.add(log.prepare('SELECT message_id FROM events WHERE seq = ?').pluck().get(seq) as string);
      // The log's own view: events naming this user or one of its devices.
      const own = log
        .prepare(`SELECT message_id FROM events WHERE json_extract(body, '$.userId') = ? OR json_extract(body, '$.anonymousId') IN (SELECT value FROM json_each(?))`)
        .pluck()
        .all(userId, JSON.stringify(anons)) as string[];
      expect(new Set(own)).toEqual(messageIds);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: { messageId: string }[]; nextCursor: string | null } = await get(
          `/v1/profiles/${profile.id}/timeline?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...page.items.map((i) => i.messageId));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(seen.length).toBe(own.length);
      expect(new Set(seen)).toEqual(messageIds);
    }
  } finally {
    close();
  }
}

// ---------------------------------------------------------------- the test

describe('crash safety of xhub serve', () => {
  it('keeps every acknowledged event exactly once and profiles consistent across SIGKILLs', async () => {
    const started = Date.now();
    const dataDir = mkdtempSync(join(tmpdir(), 'xhub-crash-'));
    dirs.push(dataDir);
    const load = new Load(400);
    const notes: string[] = [];
    const note = (s: string): void => void notes.push(`${((Date.now() - started) / 1000).toFixed(1)}s ${s}`);

    // 1. Killed while ingesting: concurrent batches, SIGKILL once enough are acknowledged.
    let server = await startServer(dataDir);
    await load.drive(server.base, CONNECTIONS, 25, async () => {
      const t = Date.now();
      await until('acknowledgements', async () => load.acked.size >= 6_000 || Date.now() - t > 2_500, 5_000);
    }, () => crash(server));
    expect(load.acked.size).toBeGreaterThan(0);
    let at = checkAfterCrash(dataDir, load);
    note(`kill 1: acked ${load.acked.size}/${load.sent.size}, unacked batches ${load.unacked.size}, log ${at.head}, processed ${at.cursor}`);

    // 2. Restart; retry half of the failed batches and some acknowledged ones (idempotency),
    //    then a burst of large batches, killed while processing lags behind ingestion.
    server = await startServer(dataDir);
    const failed = [...load.unacked];
    await load.resend(server.base, [...failed.slice(0, Math.ceil(failed.length / 2)), ...load.sample(load.ackedBatches, 60)], 16);
    let lagAtKill = 0;
    await load.drive(server.base, CONNECTIONS, 400, async () => {
      await until('a processing backlog', async () => {
        lagAtKill = (await health(server.base))?.log.lag ?? 0;
        return lagAtKill >= 4_000;
      }, 15_000);
    }, () => crash(server));
    at = checkAfterCrash(dataDir, load);
    note(`kill 2 (lag ${lagAtKill}): acked ${load.acked.size}/${load.sent.size}, unacked batches ${load.unacked.size}, log ${at.head}, processed ${at.cursor}`);
    // The hub reported thousands of events appended but not yet processed just before the kill.
    expect(at.cursor, 'killed while processing was behind').toBeLessThan(at.head);

    // 3. Restart and kill again while the worker is catching up on that backlog: the processing
    //    cursor is watched in state.db and the hub killed as soon as it has moved.
    const backlogFrom = at.cursor;
    const recovering = await spawnServer(dataDir);
    const watch = new Database(join(dataDir, 'state.db'), { readonly: true, fileMustExist: true });
    try {
      const cursorNow = watch.prepare("SELECT seq FROM cursors WHERE name = 'profiles'").pluck();
      await until('catch-up progress', async () => (cursorNow.get() as number) > backlogFrom, 15_000);
    } finally {
      watch.close();
    }
    await crash(recovering);
    at = checkAfterCrash(dataDir, load);
    expect(at.cursor).toBeGreaterThan(backlogFrom);
    note(`kill 3 (catching up from ${backlogFrom}): log ${at.head}, processed ${at.cursor}${at.cursor < at.head ? ' (mid catch-up)' : ''}`);

    // Some requests were cut by the kills (unacknowledged: they may or may not have been stored).
    expect(load.requests.failed).toBeGreaterThan(0);

    // 4. Final restart: every remaining failed batch and more acknowledged ones are retried,
    //    then processing drains and everything is checked.
    server = await startServer(dataDir);
    await load.resend(server.base, [...load.unacked, ...load.sample(load.ackedBatches, 100)], 16);
    const final = server;
    await until('processing to catch up', async () => {
      const h = await health(final.base);
      return h !== undefined && h.log.lag === 0 && h.log.processed >= load.sent.size;
    }, 20_000);
    const totals = checkConsistent(dataDir, load);
    const someUsers = [...new Set(load.ackedBatches.slice(0, 5).flatMap((b) => b.events.map((e) => e.userId)).filter((u) => u !== undefined))].slice(0, 8);
    expect(someUsers.length).toBeGreaterThan(0);
    await checkOverHttp(server.base, dataDir, someUsers as string[]);
    await crash(server);
    note(`final: ${totals.events} events, ${totals.profiles} live profiles, ${totals.merges} merges; requests ok ${load.requests.ok}, failed ${JSON.stringify(Object.fromEntries(load.requests.status))}`);
    console.log(`crash test:\n  ${notes.join('\n  ')}`);
  }, 60_000);
});
