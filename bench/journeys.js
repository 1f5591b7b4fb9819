// Journeys benchmark (issue 5). Each figure is printed with its baseline, measured in the same run:
//  1. 100,000 profiles entering a journey with waits: events/s with the journey live against the same
//     events with no journey, and journey steps/s (target ≥ 20,000/s).
//  2. The 100,000 timers of each wait firing (all due at one instant, virtual clock): journey steps/s,
//     against raw better-sqlite3 doing the same reads and writes (due rows by index, state rewritten,
//     a timeline record each, in transactions of 500).
//  3. Timer lateness at 5,000 timers/s on the real clock: when each `Journey Action` became visible to
//     an outside reader, minus its due instant (target p99 < 100 ms).
// Run: `npm run build && node bench/journeys.js [--profiles 100000] [--rate 5000] [--seconds 10]`.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { VirtualClock } from '../dist/adapters/clock/virtual.js';
import { loadConfig } from '../dist/config.js';
import { validateBatch } from '../dist/core/events/validate.js';
import { startHub } from '../dist/engine/hub.js';
import { publishJourney, saveJourney } from '../dist/engine/journeys.js';
import { WORKSPACE, fmt, fmtP, isMain, pct, percentiles, pollHubEvents, tempDir, verdict } from './lib.js';

const TARGET_STEPS = 20_000;
const TARGET_P99_MS = 100;
const T0 = Date.UTC(2026, 2, 1, 12);
const DAY = 86_400_000;

/** Entry, a 1-day wait, a branch on a trait, an action on either arm, another 1-day wait, exit. */
const NURTURE = {
  id: 'nurture', name: 'Nurture', owner: 'bench@example.com', team: 'Bench',
  entry: { event: 'Signed Up', where: [{ property: 'source', op: 'equals', value: 'bench' }] },
  start: 'first',
  steps: {
    first: { kind: 'wait', for: { amount: 1, unit: 'days' }, next: 'plan' },
    plan: { kind: 'branch', branches: [{ condition: { kind: 'trait', name: 'plan', op: 'equals', value: 'pro' }, next: 'tips' }], default: 'welcome' },
    tips: { kind: 'action', channel: 'email', template: 'pro-tips', next: 'second' },
    welcome: { kind: 'action', channel: 'email', template: 'welcome', next: 'second' },
    second: { kind: 'wait', for: { amount: 1, unit: 'days' }, next: 'end' },
    end: { kind: 'exit' },
  },
};
/** Steps each profile runs: entry + wait; the wait firing, branch, action, wait; the wait firing, exit. */
const STEPS = { entry: 2, first: 4, second: 2 };

function signUps(n, ts) {
  const events = [];
  let k = 0;
  for (let i = 0; i < n; i += 500) {
    const batch = Array.from({ length: Math.min(500, n - i) }, (_, j) => ({
      type: 'track', userId: `u${i + j}`, event: 'Signed Up', messageId: `su-${i + j}`, timestamp: new Date(ts(i + j)).toISOString(),
      properties: { source: 'bench', plan: (i + j) % 3 === 0 ? 'pro' : 'free' }, context: { traits: { plan: (i + j) % 3 === 0 ? 'pro' : 'free' } },
    }));
    const r = validateBatch({ batch }, { receivedAt: T0, newMessageId: () => `gen-${k++}` });
    if (!r.ok) throw new Error(JSON.stringify(r.error.errors.slice(0, 3)));
    events.push(...r.value.events);
  }
  return events;
}

export async function openHub(name, clock) {
  const tmp = tempDir(name);
  const hub = await startHub(loadConfig({ dataDir: tmp.dir }, {}), pino({ level: 'silent' }), clock);
  return { hub, dir: tmp.dir, close: async () => (await hub.close(), tmp.remove()) };
}

export async function deploy(hub, def) {
  const saved = await saveJourney(hub, WORKSPACE, def);
  if (!saved.ok) throw new Error(JSON.stringify(saved.error));
  const published = await publishJourney(hub, WORKSPACE, def.id);
  if (!published.ok) throw new Error(JSON.stringify(published.error));
}

/** Appends the events in log transactions of 2,000 and waits until processing (and its timers) is idle. */
export async function ingest(hub, events) {
  const started = performance.now();
  for (let i = 0; i < events.length; i += 2_000) await hub.store.log.append(events.slice(i, i + 2_000).map((event) => ({ workspaceId: WORKSPACE, event })));
  hub.processor.notify(await hub.store.log.head());
  await hub.processor.processed(await hub.store.log.head());
  await hub.processor.whenIdle();
  return (performance.now() - started) / 1000;
}

async function timed(hub, clock, to) {
  const started = performance.now();
  clock.advanceTo(to);
  await new Promise((r) => setTimeout(r, 0));
  await hub.processor.whenIdle();
  return (performance.now() - started) / 1000;
}

function counters(dir) {
  const db = new Database(join(dir, 'state.db'), { readonly: true });
  try {
    return Object.fromEntries(db.prepare("SELECT key, sum(count) AS n FROM journey_stats WHERE journey_id = 'nurture' GROUP BY key").all().map((r) => [r.key, r.n]));
  } finally {
    db.close();
  }
}

/** Raw better-sqlite3 doing what firing `n` timers must: due rows by index, state read and rewritten, a timeline record each. */
function rawTimers(n) {
  const tmp = tempDir('journeys-raw');
  const db = new Database(join(tmp.dir, 'raw.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE s (profile_id TEXT NOT NULL, journey_id TEXT NOT NULL, state TEXT NOT NULL, next_due INTEGER, PRIMARY KEY (profile_id, journey_id)) WITHOUT ROWID;
      CREATE INDEX s_due ON s (next_due) WHERE next_due IS NOT NULL;
      CREATE TABLE h (id INTEGER PRIMARY KEY, profile_id TEXT NOT NULL, ts INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE TABLE t (profile_id TEXT NOT NULL, ts INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (profile_id, ts, seq)) WITHOUT ROWID;`);
    const state = { version: 1, status: 'active', step: 'first', since: T0, enteredAt: T0, entries: 1, entry: { messageId: 'm', properties: {} } };
    const put = db.prepare('INSERT INTO s VALUES (?, ?, ?, ?)');
    db.transaction(() => { for (let i = 0; i < n; i++) put.run(`prof_${String(i).padStart(8, '0')}`, 'nurture', JSON.stringify(state), T0 + DAY); })();
    const due = db.prepare('SELECT profile_id, state FROM s WHERE next_due <= ? ORDER BY next_due LIMIT 500');
    const update = db.prepare('UPDATE s SET state = ?, next_due = ? WHERE profile_id = ? AND journey_id = ?');
    const hub = db.prepare('INSERT INTO h (profile_id, ts, body) VALUES (?, ?, ?)');
    const line = db.prepare('INSERT INTO t VALUES (?, ?, ?)');
    const chunk = db.transaction((now) => {
      const rows = due.all(now);
      for (const r of rows) {
        const s = JSON.parse(r.state);
        update.run(JSON.stringify({ ...s, step: 'second', since: now }), now + DAY, r.profile_id, 'nurture');
        const id = hub.run(r.profile_id, now, JSON.stringify({ type: 'track', event: 'Journey Action', properties: { journeyId: 'nurture', version: 1, step: 'tips' } })).lastInsertRowid;
        line.run(r.profile_id, now, 2 ** 40 + Number(id));
      }
      return rows.length;
    });
    const started = performance.now();
    while (chunk.immediate(T0 + DAY) > 0);
    return (performance.now() - started) / 1000;
  } finally {
    db.close();
    tmp.remove();
  }
}

export async function runThroughput({ profiles = 100_000 } = {}) {
  console.log(`\n== Journey steps: ${fmt(profiles)} profiles enter a journey (entry, 1-day wait, branch, action, 1-day wait, exit) on a virtual clock ==`);
  const events = signUps(profiles, () => T0);
  const base = await openHub('journeys-base', new VirtualClock(T0));
  const baseSeconds = await ingest(base.hub, events).finally(() => base.close());
  const clock = new VirtualClock(T0);
  const h = await openHub('journeys', clock);
  try {
    await deploy(h.hub, NURTURE);
    const entrySeconds = await ingest(h.hub, events);
    const firstSeconds = await timed(h.hub, clock, T0 + DAY);
    const secondSeconds = await timed(h.hub, clock, T0 + 2 * DAY);
    const c = counters(h.dir);
    const raw = rawTimers(profiles);
    const rate = (steps, s) => (profiles * steps) / s;
    console.log(`  entries: ${fmt(profiles / entrySeconds)} events/s with the journey live against ${fmt(profiles / baseSeconds)} events/s with none (baseline): ${pct(baseSeconds / entrySeconds)}; ${fmt(rate(STEPS.entry, entrySeconds))} journey steps/s`);
    console.log(`  first timers (wait → branch → action → decision → wait): ${fmt(profiles)} in ${fmt(firstSeconds, 2)} s, ${fmt(profiles / firstSeconds)} timers/s, ${fmt(rate(STEPS.first, firstSeconds))} steps/s`);
    console.log(`  second timers (wait → exit): ${fmt(profiles)} in ${fmt(secondSeconds, 2)} s, ${fmt(profiles / secondSeconds)} timers/s, ${fmt(rate(STEPS.second, secondSeconds))} steps/s`);
    console.log(`  raw better-sqlite3, the same reads and writes per timer (baseline): ${fmt(profiles / raw)} timers/s; the hub's first timers run at ${pct(raw / firstSeconds)} of it`);
    const counted = (c.entered ?? 0) === profiles && (c['exited:completed'] ?? 0) === profiles && (c['action:sent'] ?? 0) === profiles;
    console.log(`  stats: ${JSON.stringify(c)} (every profile entered, acted and exited once: ${counted ? 'yes' : 'NO'})`);
    const steps = (profiles * (STEPS.entry + STEPS.first + STEPS.second)) / (entrySeconds + firstSeconds + secondSeconds);
    console.log(`  overall ${fmt(steps)} journey steps/s (target ≥ ${fmt(TARGET_STEPS)}) ${verdict(steps >= TARGET_STEPS && counted)}`);
    return { steps, counted };
  } finally {
    await h.close();
  }
}

/** Timers due at `rate` per second for `seconds` on the real clock; lateness as an outside reader sees it. */
export async function runLateness({ rate = 5_000, seconds = 10 } = {}) {
  const n = rate * seconds;
  console.log(`\n== Timer lateness: ${fmt(n)} timers due at ${fmt(rate)}/s over ${seconds} s on the real clock (one per profile, entered beforehand) ==`);
  const h = await openHub('journeys-late');
  try {
    const def = { ...NURTURE, id: 'late', entry: { event: 'Signed Up' }, start: 'wait', steps: { wait: { kind: 'wait', for: { amount: 30, unit: 'seconds' }, next: 'act' }, act: { kind: 'action', channel: 'email', template: 'x', next: 'end' }, end: { kind: 'exit' } } };
    await deploy(h.hub, def);
    const firstDue = Date.now() + 12_000;
    const dueOf = (i) => firstDue + Math.floor((i * 1000) / rate);
    const entered = await ingest(h.hub, signUps(n, (i) => dueOf(i) - 30_000));
    const poller = pollHubEvents(join(h.dir, 'state.db'), { event: 'Journey Action' });
    const spare = firstDue - Date.now();
    await new Promise((r) => setTimeout(r, Math.max(0, dueOf(n - 1) - Date.now() + 500)));
    await h.hub.processor.whenIdle();
    await new Promise((r) => setTimeout(r, 50));
    const { seen, polls } = await poller.stop();
    const late = Object.values(seen).map((s) => s.at - s.ts);
    const p = percentiles(late);
    console.log(`  entered ${fmt(n)} profiles in ${fmt(entered, 2)} s (${fmt(spare / 1000, 1)} s to spare before the first timer); the reader polled ${fmt(polls)} times (every ~1 ms)`);
    console.log(`  lateness, due instant → Journey Action visible to a reader: ${fmtP(p)}; ${fmt(late.length)} of ${fmt(n)} seen`);
    console.log(`  p99 ${fmt(p.p99, 1)} ms (target < ${TARGET_P99_MS} ms) ${verdict(p.p99 < TARGET_P99_MS && late.length === n && spare > 0)}`);
    return p;
  } finally {
    await h.close();
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { profiles: { type: 'string' }, rate: { type: 'string' }, seconds: { type: 'string' } } });
  await runThroughput({ profiles: Number(values.profiles ?? 100_000) });
  await runLateness({ rate: Number(values.rate ?? 5_000), seconds: Number(values.seconds ?? 10) });
}
