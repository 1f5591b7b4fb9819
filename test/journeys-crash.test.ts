import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { client, crash, killAll, sleep, startServer, type ServerProcess } from './xhub-process.js';

/**
 * Journey timers survive a crash: `xhub serve` runs as a child process, 3,000 profiles wait on timers
 * due at one instant, the server is SIGKILLed in the middle of that burst of firings, restarted, and
 * every timer has fired exactly once: each profile has one action per action step and one exit.
 */

const KEYS = { writeKey: 'jrn-crash-write', adminKey: 'jrn-crash-admin' };
const N = 3_000;
const JOURNEY = {
  id: 'burst', name: 'Burst', owner: 'ops@example.com', team: 'Platform',
  entry: { event: 'Ping' },
  start: 'first',
  steps: {
    first: { kind: 'wait', for: { amount: 2, unit: 'seconds' }, next: 'a' },
    a: { kind: 'action', channel: 'email', template: 'a', next: 'second' },
    second: { kind: 'wait', for: { amount: 1, unit: 'seconds' }, next: 'b' },
    b: { kind: 'action', channel: 'sms', template: 'b', next: 'end' },
    end: { kind: 'exit' },
  },
};

const dirs: string[] = [];
afterAll(() => {
  killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const admin = <T>(s: ServerProcess, method: string, path: string, body?: unknown): Promise<T> => client(s, KEYS).admin<T>(method, path, body);
const send = (s: ServerProcess, batch: unknown[]): Promise<void> => client(s, KEYS).send(batch);

interface Stats { entered: number; exited: Record<string, number>; actions: Record<string, number> }
const stats = (s: ServerProcess) => admin<Stats>(s, 'GET', '/v1/journeys/burst/stats');

async function until(s: ServerProcess, done: (x: Stats) => boolean, deadline: number, what: string): Promise<Stats> {
  for (;;) {
    const x = await stats(s);
    if (done(x)) return x;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(x)}\n${s.output()}`);
    await sleep(2);
  }
}

/** What the data files hold, per profile: its journey records by kind (and the action steps). */
function recordsOf(dir: string): Map<string, string[]> {
  const db = new Database(join(dir, 'state.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare(
      `SELECT profile_id AS p, json_extract(body, '$.event') AS e, json_extract(body, '$.properties.step') AS step
       FROM hub_events WHERE json_extract(body, '$.properties.journeyId') = 'burst' ORDER BY id`,
    ).all() as { p: string; e: string; step: string | null }[];
    const out = new Map<string, string[]>();
    for (const r of rows) out.set(r.p, [...(out.get(r.p) ?? []), r.e === 'Journey Action' ? `Action ${String(r.step)}` : r.e]);
    expect(db.prepare('SELECT count(*) FROM timeline WHERE seq >= 1099511627776').pluck().get(), 'every record is on its timeline once').toBe(rows.length);
    expect(db.prepare('SELECT count(*) FROM journey_states WHERE next_due IS NOT NULL').pluck().get(), 'no timer left').toBe(0);
    return out;
  } finally {
    db.close();
  }
}

describe('journey timers survive SIGKILL', () => {
  it('a kill in the middle of 3,000 timer firings due at one instant: after restart every timer fired exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xhub-jrn-crash-'));
    dirs.push(dir);
    let server = await startServer(dir, KEYS);
    await admin(server, 'POST', '/v1/journeys', JOURNEY);
    await admin(server, 'POST', '/v1/journeys/burst/publish', {});
    const t0 = Date.now();
    const iso = new Date(t0).toISOString();
    for (let i = 0; i < N; i += 500) {
      await send(server, Array.from({ length: 500 }, (_, k) => ({ type: 'track', userId: `u${i + k}`, event: 'Ping', timestamp: iso, messageId: `ping-${i + k}` })));
    }
    await until(server, (x) => x.entered === N, t0 + 1_800, 'every profile should enter before its timer is due');

    const atKill = await until(server, (x) => (x.actions.sent ?? 0) > 0, t0 + 10_000, 'the first timers should fire');
    await crash(server);
    server = await startServer(dir, KEYS);
    const done = await until(server, (x) => (x.exited.completed ?? 0) === N, Date.now() + 20_000, 'every profile should finish after the restart');
    await crash(server);

    expect(atKill.actions.sent, 'killed in the middle of the burst').toBeLessThan(2 * N);
    expect(done).toMatchObject({ entered: N, exited: { completed: N }, actions: { sent: 2 * N } });
    const records = recordsOf(dir);
    expect(records.size).toBe(N);
    for (const [profile, list] of records) {
      expect(list, profile).toEqual(['Journey Entered', 'Action a', 'Action b', 'Journey Exited']);
    }
  }, 60_000);
});
