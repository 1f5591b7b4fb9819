// Arbitration inside the pipeline (issue 6): end-to-end events/s with 20 live journeys competing for
// the same profiles under a contact policy (caps, a conflict group, quiet hours, slots), against the same events with
// no journey, measured in the same run (target ≥ 50 %). Two streams:
//  1. steady: profiles already inside all 20 journeys (each waiting for an event) send 8 page views and
//     one `Added To Cart`, which moves 10 of the journeys on to an action: 10 candidates decided together;
//  2. entry burst: each profile's identify, 8 page views and one `Browsed`, which enters it into all 20
//     journeys at once (20 candidates in one decision): the worst case, every profile entering everything.
// In both, the ledger is read and written in the decision's transaction.
// Run: `npm run build && node bench/arbitration.js [--profiles 20000]`.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { VirtualClock } from '../dist/adapters/clock/virtual.js';
import { ContactPolicy } from '../dist/core/arbitration/policy.js';
import { validateBatch } from '../dist/core/events/validate.js';
import { deploy, ingest, openHub } from './journeys.js';
import { WORKSPACE, fmt, isMain, pct, verdict } from './lib.js';

const TARGET = 0.5;
const T0 = Date.UTC(2026, 2, 2, 10);
const CHANNELS = ['email', 'sms', 'push'];
const JOURNEYS = 20;

/** Entered by `Browsed`; even journeys act at once, odd ones wait for `Added To Cart` first. */
const journey = (i) => ({
  id: `j${i}`, name: `Journey ${i}`, owner: 'bench@example.com', team: `Team ${i % 4}`,
  entry: { event: 'Browsed' }, start: i % 2 === 0 ? 'send' : 'await',
  steps: {
    ...(i % 2 === 0 ? {} : { await: { kind: 'waitFor', event: 'Added To Cart', timeout: { amount: 7, unit: 'days' }, next: 'send', onTimeout: 'end' } }),
    send: { kind: 'action', channel: CHANNELS[i % 3], template: `t${i}`, priority: 10 + i, value: 1 + (i % 5), next: 'nap', notSent: 'end' },
    nap: { kind: 'wait', for: { amount: 1, unit: 'days' }, next: 'end' },
    end: { kind: 'exit' },
  },
});

const POLICY = ContactPolicy.parse({
  caps: [{ id: 'marketing-weekly', limit: 3, window: { amount: 7, unit: 'days' } }, { id: 'sms-daily', limit: 1, window: { amount: 1, unit: 'days' }, channel: 'sms' }],
  conflictGroups: [{ id: 'retention', journeys: ['j0', 'j3', 'j6'], window: { amount: 3, unit: 'days' } }],
  quietHours: { from: '21:00', to: '08:00' },
});

/** Per profile: `first` (an identify on entry), 8 page views, then `last`. */
function calls(profiles, { first, last, at }) {
  const events = [];
  let k = 0;
  const ts = (i, j) => new Date(at + i + j).toISOString();
  for (let i = 0; i < profiles; i += 50) {
    const batch = [];
    for (let u = i; u < Math.min(profiles, i + 50); u++) {
      if (first) batch.push({ type: 'identify', userId: `u${u}`, traits: { consent: { marketing: true }, timezone: 'Europe/Paris' }, timestamp: ts(u, 0) });
      for (let p = 1; p <= 8; p++) batch.push({ type: 'page', userId: `u${u}`, name: `Page ${p}`, properties: { path: `/p/${p}` }, timestamp: ts(u, p) });
      batch.push({ type: 'track', userId: `u${u}`, event: last, properties: { sku: `sku-${u % 100}` }, timestamp: ts(u, 9) });
    }
    const r = validateBatch({ batch }, { receivedAt: at, newMessageId: () => `gen-${at}-${k++}` });
    if (!r.ok) throw new Error(JSON.stringify(r.error.errors.slice(0, 3)));
    events.push(...r.value.events);
  }
  return events;
}

function counts(dir) {
  const db = new Database(join(dir, 'state.db'), { readonly: true });
  try {
    return {
      decisions: db.prepare('SELECT count(*) FROM decisions').pluck().get(),
      contacts: db.prepare('SELECT count(*) FROM contacts').pluck().get(),
      overCap: db.prepare("SELECT count(*) FROM (SELECT profile_id FROM contacts WHERE purpose = 'marketing' GROUP BY profile_id HAVING count(*) > 3)").pluck().get(),
    };
  } finally {
    db.close();
  }
}

export async function runArbitration({ profiles = 20_000 } = {}) {
  const entry = calls(profiles, { first: true, last: 'Browsed', at: T0 });
  const steady = calls(profiles, { last: 'Added To Cart', at: T0 + 3_600_000 });
  console.log(`\n== Arbitration in the pipeline: ${fmt(profiles)} profiles, ${JOURNEYS} journeys competing for them under a contact policy ==`);
  const clock = new VirtualClock(T0);
  const base = await openHub('arbitration-base', clock);
  const h = await openHub('arbitration', clock);
  try {
    await h.hub.store.policies.deploy(WORKSPACE, POLICY, T0);
    for (let i = 0; i < JOURNEYS; i++) await deploy(h.hub, journey(i));
    const burst = { base: await ingest(base.hub, entry), with: await ingest(h.hub, entry) };
    const entered = counts(h.dir);
    clock.advanceTo(T0 + 3_600_000);
    const stream = { base: await ingest(base.hub, steady), with: await ingest(h.hub, steady) };
    const c = counts(h.dir);
    const line = (name, n, t) => console.log(`  ${name}: ${fmt(n / t.with)} events/s with the journeys against ${fmt(n / t.base)} events/s with none (baseline): ${pct(t.base / t.with)}`);
    line(`steady (${fmt(steady.length)} events: 8 pages + Added To Cart, which moves 10 journeys to an action)`, steady.length, stream);
    line(`entry burst (${fmt(entry.length)} events: identify + 8 pages + Browsed, which enters all 20)`, entry.length, burst);
    console.log(`  ${fmt(c.decisions)} decisions (${fmt(entered.decisions)} on entry, 10 candidates each; then 10 each), ${fmt(c.contacts)} contacts sent, profiles over the weekly cap of 3: ${c.overCap}`);
    const exact = c.decisions === 2 * profiles && c.contacts === 3 * profiles && c.overCap === 0;
    const ratio = stream.base / stream.with;
    console.log(`  steady stream at ${pct(ratio)} of the baseline (target ≥ ${pct(TARGET)}) ${verdict(ratio >= TARGET && exact)}; entry burst at ${pct(burst.base / burst.with)} ${verdict(burst.base / burst.with >= TARGET && exact)}`);
    return { ratio, exact };
  } finally {
    await base.close();
    await h.close();
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { profiles: { type: 'string' } } });
  await runArbitration({ profiles: Number(values.profiles ?? 20_000) });
}
