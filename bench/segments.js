// Segments and computed traits (issue 4), three measurements, each with its baseline from the same run:
//
// 1. Throughput: end-to-end durable events/s (submit through the Ingestor, then identity, profiles,
//    audiences and timeline committed by the worker) with 50 segments and 20 computed traits defined,
//    against the same events on a hub with none defined. Runs alternate (none, defined, none, …) and the
//    best of each is kept. Target: >= 50 % of the baseline.
// 2. Latency: from the ingestion commit of an event (the instant submit() resolved) to its
//    `Segment Entered` being committed on the profile's timeline, at a paced 1,000 events/s, with the
//    50 + 20 definitions. One event in ten is a probe: a new person's `Signed Up`, which puts them in the
//    "New sign-ups" segment. Two observers: (a) a worker thread polling `hub_events` of state.db every
//    millisecond over its own read-only connection (what any other reader sees: the instant the row is
//    visible, so after the commit), and (b) in process, the instant processor.processed(head) resolves
//    (the batch's transaction, which holds the hub event, has committed). Baseline: (b) for the same
//    paced run with no definitions (commit → the event itself on the timeline). Target: p99 < 50 ms.
// 3. Backfill: a new segment created over the admin API on a hub holding 200,000 profiles, timed from
//    the API's answer to the backfill reporting `done`; once with the 50 + 20 other definitions in
//    place (every profile's audience is rebuilt from its history) and once as the only definition.
//    Baseline: raw better-sqlite3 doing the backfill's I/O alone (each profile's timeline and its events
//    read and parsed, one row written per profile). Target: >= 20,000 profiles/s.
//
// 4. Writers waiting: while processing catches up on 100,000 events appended at once (50 + 20
//    definitions), the main thread writes a context value to state.db every 10 ms, as the API's writers
//    do (decisions, dispatch): how long each write took to be done, and the main thread's event loop
//    delay meanwhile. Baseline: the same writes for 2 s with processing idle. No target.
//
//   npm run build && node bench/segments.js [--only throughput|latency|backfill|writers] [--events 200000]
//     [--users 40000] [--runs 2] [--rate 1000] [--seconds 30] [--profiles 200000] [--backfill defined|alone]
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { buildApp } from '../dist/api/app.js';
import { loadConfig } from '../dist/config.js';
import { validateBatch } from '../dist/core/events/validate.js';
import { startHub } from '../dist/engine/hub.js';
import { bootstrapKeys } from '../dist/engine/keys.js';
import { ADMIN_KEY, HUB_ENV, WORKSPACE, epochNow, fmt, fmtP, hubEventChunks, isMain, pct, percentiles, pollHubEvents, submitConcurrently, tempDir, verdict } from './lib.js';

const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 50;
const TARGET_BACKFILL = 20_000;
const PROBE_SEGMENT = 'New sign-ups (24 h)';
const MIN = 60_000;
const HOUR = 60 * MIN;

const minutes = (amount) => ({ amount, unit: 'minutes' });
const hours = (amount) => ({ amount, unit: 'hours' });
const days = (amount) => ({ amount, unit: 'days' });

/** 20 computed traits over the generator's events: every aggregate, all time and rolling windows. */
export function computedTraits() {
  const oc = 'Order Completed';
  const pv = 'Product Viewed';
  return [
    { name: 'orders_total', event: oc, aggregate: 'count' },
    { name: 'orders_30d', event: oc, aggregate: 'count', window: days(30) },
    { name: 'revenue_total', event: oc, aggregate: 'sum', property: 'price' },
    { name: 'revenue_7d', event: oc, aggregate: 'sum', property: 'price', window: days(7) },
    { name: 'avg_order_value', event: oc, aggregate: 'average', property: 'price' },
    { name: 'max_order_30d', event: oc, aggregate: 'max', property: 'price', window: days(30) },
    { name: 'min_order', event: oc, aggregate: 'min', property: 'price' },
    { name: 'last_sku_viewed', event: pv, aggregate: 'last', property: 'sku' },
    { name: 'distinct_skus_viewed', event: pv, aggregate: 'distinctCount', property: 'sku' },
    { name: 'distinct_skus_1h', event: pv, aggregate: 'distinctCount', property: 'sku', window: hours(1) },
    { name: 'views_10m', event: pv, aggregate: 'count', window: minutes(10) },
    { name: 'cart_adds_1h', event: 'Added to Cart', aggregate: 'count', window: hours(1) },
    { name: 'cart_value_1h', event: 'Added to Cart', aggregate: 'sum', property: 'price', window: hours(1) },
    { name: 'pages_15m', event: 'Page Viewed', aggregate: 'count', window: minutes(15) },
    { name: 'last_page', event: 'Page Viewed', aggregate: 'last', property: 'path' },
    { name: 'first_page', event: 'Page Viewed', aggregate: 'first', property: 'path' },
    { name: 'favourite_page_7d', event: 'Page Viewed', aggregate: 'mostFrequent', property: 'path', window: days(7) },
    { name: 'videos_total', event: 'Video Played', aggregate: 'count' },
    { name: 'checkouts_24h', event: 'Checkout Started', aggregate: 'count', window: hours(24) },
    { name: 'premium_views_30m', event: pv, aggregate: 'count', where: [{ property: 'price', op: 'gt', value: 40 }], window: minutes(30) },
  ];
}

/**
 * 50 segments in dependency order (`{ kind: 'inSegment', segment: '@name' }` names an earlier one):
 * event counts in rolling windows and all time (with property filters), "never", trait conditions,
 * computed-trait conditions, sequences (abandoned cart / checkout / browse), inSegment, local time.
 */
export function segmentDefinitions() {
  const ev = (event, extra = {}) => ({ kind: 'event', event, ...extra });
  const trait = (name, op, value, extra = {}) => ({ kind: 'trait', name, op, ...(value === undefined ? {} : { value }), ...extra });
  const ctr = (name, op, value) => ({ kind: 'trait', source: 'computed', name, op, value });
  const inSeg = (name) => ({ kind: 'inSegment', segment: `@${name}` });
  const atLeast = (value) => ({ op: 'atLeast', value });
  const last = (d) => ({ last: d });
  const and = (...of) => ({ kind: 'and', of });
  const or = (...of) => ({ kind: 'or', of });
  const not = (of) => ({ kind: 'not', of });
  return [
    ['Recent buyers (30 d)', ev('Order Completed', { within: last(days(30)) })],
    ['Repeat buyers (7 d)', ev('Order Completed', { count: atLeast(2), within: last(days(7)) })],
    ['Active browsers (10 min)', ev('Product Viewed', { count: atLeast(2), within: last(minutes(10)) })],
    ['Pricing visitors (1 h)', ev('Page Viewed', { where: [{ property: 'path', op: 'equals', value: '/pricing' }], within: last(hours(1)) })],
    ['Docs readers (1 d)', ev('Page Viewed', { where: [{ property: 'path', op: 'startsWith', value: '/docs' }], count: atLeast(2), within: last(days(1)) })],
    ['Blog readers (7 d)', ev('Page Viewed', { where: [{ property: 'url', op: 'contains', value: 'blog' }], within: last(days(7)) })],
    ['Premium product viewers (1 h)', ev('Product Viewed', { where: [{ property: 'price', op: 'gt', value: 40 }], within: last(hours(1)) })],
    ['Bargain cart adders (1 d)', ev('Added to Cart', { where: [{ property: 'price', op: 'lt', value: 5 }], within: last(days(1)) })],
    ['Checkout starters (30 min)', ev('Checkout Started', { within: last(minutes(30)) })],
    ['Video watchers', ev('Video Played', { count: atLeast(2) })],
    ['Never ordered', ev('Order Completed', { count: { op: 'exactly', value: 0 } })],
    ['No video for an hour', ev('Video Played', { count: { op: 'exactly', value: 0 }, within: last(hours(1)) })],
    ['One-time customers', ev('Order Completed', { count: { op: 'exactly', value: 1 } })],
    ['Quiet (15 min)', ev('Page Viewed', { count: { op: 'atMost', value: 1 }, within: last(minutes(15)) })],
    ['Pro plan', trait('plan', 'equals', 'pro')],
    ['Free plan', trait('plan', 'equals', 'free')],
    ['Known e-mail', trait('email', 'exists')],
    ['Anonymous', trait('email', 'missing')],
    ['example.com users', trait('email', 'endsWith', '@EXAMPLE.com', { caseInsensitive: true })],
    ['Frequent log-ins', trait('logins', 'gte', 50)],
    ['Some log-ins', trait('logins', 'between', [10, 40])],
    ['Names ending in 7', trait('name', 'matches', '^User \\d*7$')],
    ['Paid plans', trait('plan', 'in', ['pro', 'enterprise'])],
    ['Big spenders', ctr('revenue_total', 'gt', 60)],
    ['Repeat customers', ctr('orders_total', 'gte', 2)],
    ['High average order', ctr('avg_order_value', 'gte', 30)],
    ['Big week', ctr('revenue_7d', 'gte', 40)],
    ['Catalogue explorers', ctr('distinct_skus_viewed', 'gte', 3)],
    ['Browsing session', ctr('views_10m', 'gte', 2)],
    ['Full cart (1 h)', ctr('cart_value_1h', 'gt', 40)],
    ['Page bingers (15 min)', ctr('pages_15m', 'gte', 3)],
    ['Last seen on pricing', ctr('last_page', 'equals', '/pricing')],
    ['Video fans', ctr('videos_total', 'gte', 3)],
    ['Checked out today', ctr('checkouts_24h', 'gte', 1)],
    ['Docs lovers', ctr('favourite_page_7d', 'startsWith', '/docs')],
    ['Premium interest (30 min)', ctr('premium_views_30m', 'gte', 1)],
    ['Abandoned cart (30 min)', { kind: 'sequence', first: { event: 'Added to Cart' }, thenNot: { event: 'Order Completed' }, within: minutes(30), sameProperties: ['sku'] }],
    ['Abandoned checkout (10 min)', { kind: 'sequence', first: { event: 'Checkout Started' }, thenNot: { event: 'Order Completed' }, within: minutes(10) }],
    ['Browse abandonment (15 min)', {
      kind: 'sequence', first: { event: 'Product Viewed', where: [{ property: 'price', op: 'gte', value: 20 }] },
      thenNot: { event: 'Added to Cart' }, within: minutes(15), sameProperties: ['sku'],
    }],
    [PROBE_SEGMENT, ev('Signed Up', { within: last(days(1)) })],
    ['Pro big spenders', and(inSeg('Big spenders'), inSeg('Pro plan'))],
    ['VIP', and(inSeg('Pro big spenders'), ctr('orders_total', 'gte', 3))],
    ['Win-back', and(inSeg('Big spenders'), not(inSeg('Recent buyers (30 d)')))],
    ['Reachable cart abandoners', and(inSeg('Abandoned cart (30 min)'), inSeg('Known e-mail'))],
    ['Anonymous leads', and(not(inSeg('Known e-mail')), or(inSeg('Pricing visitors (1 h)'), inSeg('Docs readers (1 d)')))],
    ['Office-hours browsers', and({ kind: 'localTime', from: '09:00', to: '18:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] }, inSeg('Active browsers (10 min)'))],
    ['Night owls', and({ kind: 'localTime', from: '22:00', to: '06:00' }, ev('Page Viewed', { within: last(hours(1)) }))],
    ['Euro buyers (30 d)', ev('Order Completed', { where: [{ property: 'currency', op: 'in', value: ['EUR', 'CHF'] }, { property: 'price', op: 'gte', value: 20 }], within: last(days(30)) })],
    ['Engaged pro or loyal', or(and(trait('plan', 'equals', 'pro'), ctr('pages_15m', 'gte', 2)), trait('logins', 'gt', 80))],
    ['Paid, never ordered, browsing', and(not(trait('plan', 'equals', 'free')), inSeg('Never ordered'), ev('Product Viewed', { within: last(days(1)) }))],
  ].map(([name, condition]) => ({ name, condition }));
}

/** The segment the backfill benchmark creates over the existing profiles. */
export const NEW_SEGMENT = {
  name: 'Premium viewers on paid plans (30 d)',
  condition: {
    kind: 'and',
    of: [
      { kind: 'event', event: 'Product Viewed', where: [{ property: 'price', op: 'gte', value: 25 }], within: { last: days(30) } },
      { kind: 'trait', name: 'plan', op: 'in', value: ['pro', 'enterprise'] },
    ],
  },
};

const auth = { authorization: `Bearer ${ADMIN_KEY}` };

/** Replaces `@name` segment references by the ids the API gave. */
function resolveRefs(c, ids) {
  if (Array.isArray(c)) return c.map((x) => resolveRefs(x, ids));
  if (c === null || typeof c !== 'object') return c;
  const out = {};
  for (const [k, v] of Object.entries(c)) {
    if (k === 'segment' && c.kind === 'inSegment' && typeof v === 'string' && v.startsWith('@')) {
      const id = ids.get(v.slice(1));
      if (!id) throw new Error(`segment ${v} is used before it is defined`);
      out[k] = id;
    } else out[k] = resolveRefs(v, ids);
  }
  return out;
}

async function adminPost(app, url, payload) {
  const r = await app.inject({ method: 'POST', url, headers: auth, payload });
  if (r.statusCode !== 201) throw new Error(`POST ${url} answered ${r.statusCode}: ${r.body}`);
  return r.json();
}

/** Creates the 20 computed traits and 50 segments over the admin API; answers segment name → id. */
async function defineAll(app) {
  for (const t of computedTraits()) await adminPost(app, '/v1/computed-traits', t);
  const ids = new Map();
  for (const s of segmentDefinitions()) {
    const made = await adminPost(app, '/v1/segments', { name: s.name, condition: resolveRefs(s.condition, ids) });
    ids.set(s.name, made.id);
  }
  return ids;
}

/** A hub on a fresh data dir with its admin API (app.inject, no socket); `defined`: the 50 + 20 definitions. */
async function openHub(name, defined) {
  const tmp = tempDir(name);
  const config = { ...loadConfig({ dataDir: tmp.dir }, HUB_ENV), adminKey: ADMIN_KEY };
  const hub = await startHub(config, pino({ level: 'silent' }));
  await bootstrapKeys(hub.store.workspaces, config);
  const app = buildApp(hub);
  await app.ready();
  const segmentIds = defined ? await defineAll(app) : new Map();
  await hub.processor.whenIdle();
  return {
    hub, app, dir: tmp.dir, segmentIds,
    close: async () => {
      await app.close();
      await hub.close();
      tmp.remove();
    },
  };
}

/** Reads state.db on a connection of its own (read-only), for counts after a run. */
function stateCounts(dir) {
  const db = new Database(join(dir, 'state.db'), { readonly: true });
  try {
    const one = (sql) => db.prepare(sql).pluck().get();
    const perSegment = db.prepare('SELECT count(*) FROM segment_members GROUP BY segment_id').pluck().all();
    return {
      profiles: one('SELECT count(*) FROM profiles WHERE merged_into IS NULL'),
      memberships: one('SELECT count(*) FROM segment_members'),
      nonEmptySegments: perSegment.length,
      hubEvents: one('SELECT count(*) FROM hub_events'),
      timers: one('SELECT count(*) FROM audiences WHERE next_due IS NOT NULL'),
    };
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Throughput

async function throughputRun(events, { defined, submit, concurrency }) {
  const h = await openHub('segments-tp', defined);
  try {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const head = await submitConcurrently(h.hub, events, { submit, concurrency });
    const ingested = (performance.now() - started) / 1000;
    await h.hub.processor.processed(head);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    return { seconds, perSec: events.length / seconds, cpuSeconds, ingested, counts: stateCounts(h.dir) };
  } finally {
    await h.close();
  }
}

export async function runThroughput({ events: count = 200_000, users = 40_000, runs = 2, submit = 100, concurrency = 50 } = {}) {
  console.log(`\n== Throughput with 50 segments + 20 computed traits vs none: ${fmt(count)} events over ${fmt(users)} users, ${concurrency} clients submitting batches of ${fmt(submit)}, best of ${runs} alternating runs ==`);
  // Event times lie in the last ~35 minutes, so minute-scale windows fill, expire and set timers.
  const start = Date.now() - count * 10 - MIN;
  const events = [];
  for (const chunk of hubEventChunks(count, users, 500, { start })) events.push(...chunk);
  const none = [];
  const defined = [];
  for (let r = 0; r < runs; r++) {
    none.push(await throughputRun(events, { defined: false, submit, concurrency }));
    console.log(`  run ${r + 1}: none defined      ${fmt(none.at(-1).perSec).padStart(8)} events/s (${fmt(none.at(-1).seconds, 2)} s, ${fmt(none.at(-1).cpuSeconds, 2)} s CPU)`);
    defined.push(await throughputRun(events, { defined: true, submit, concurrency }));
    console.log(`  run ${r + 1}: 50 + 20 defined   ${fmt(defined.at(-1).perSec).padStart(8)} events/s (${fmt(defined.at(-1).seconds, 2)} s, ${fmt(defined.at(-1).cpuSeconds, 2)} s CPU)`);
  }
  const best = (xs) => xs.reduce((a, b) => (b.perSec > a.perSec ? b : a));
  const base = best(none);
  const seg = best(defined);
  const ratio = seg.perSec / base.perSec;
  const c = seg.counts;
  console.log(`  with definitions: ${fmt(c.profiles)} profiles, ${fmt(c.memberships)} memberships in ${c.nonEmptySegments} non-empty segments, ${fmt(c.hubEvents)} Segment Entered/Exited events, ${fmt(c.timers)} pending timers`);
  console.log(`  baseline (none defined): ${fmt(base.perSec)} events/s; with 50 segments + 20 computed traits: ${fmt(seg.perSec)} events/s`);
  console.log(`  ratio: ${pct(ratio)} (target >= ${pct(TARGET_RATIO)}) ${verdict(ratio >= TARGET_RATIO)}`);
  return { ratio, base, seg };
}

// ---------------------------------------------------------------------------------------------
// 2. Latency

async function latencyRun({ defined, rate, seconds, users, warmup }) {
  const h = await openHub('segments-lat', defined);
  const total = rate * seconds;
  const start = Date.now() - total * 10 - MIN;
  const background = [];
  for (const chunk of hubEventChunks(total, users, 500, { seed: 7, start })) background.push(...chunk);
  let n = 0;
  const ctx = () => ({ receivedAt: Date.now(), newMessageId: () => `probe-gen-${n++}` });
  const probeSegment = h.segmentIds.get(PROBE_SEGMENT);
  const poller = defined ? pollHubEvents(join(h.dir, 'state.db'), { event: 'Segment Entered', property: 'segmentId', value: probeSegment }) : undefined;
  const probes = [];
  const pending = [];
  let refused = 0;
  try {
    const t0 = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000));
      for (; sent < due; sent++) {
        let event;
        let probe;
        if (sent % 10 === 0) {
          const k = probes.length;
          const call = { type: 'track', messageId: `probe-${k}`, userId: `probe-${k}`, anonymousId: `probe-anon-${k}`, event: 'Signed Up', timestamp: new Date().toISOString(), properties: { plan: 'trial', source: 'bench' } };
          const r = validateBatch({ batch: [call] }, ctx());
          if (!r.ok) throw new Error(`probe invalid: ${JSON.stringify(r.error)}`);
          event = r.value.events[0];
          probe = { k, sentAt: epochNow(), warm: performance.now() - t0 >= warmup * 1000 };
          probes.push(probe);
        } else event = background[sent];
        pending.push(
          h.hub.ingestor.submit(WORKSPACE, [event]).then((o) => {
            if (o.kind !== 'committed') return void refused++;
            if (!probe) return undefined;
            probe.committedAt = epochNow();
            return h.hub.processor.processed(o.head).then(() => void (probe.processedAt = epochNow()));
          }),
        );
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    const sendSeconds = (performance.now() - t0) / 1000;
    await Promise.all(pending);
    await h.hub.processor.processed(await h.hub.store.log.head());
    await new Promise((r) => setTimeout(r, 20));
    const { seen, polls } = poller ? await poller.stop() : { seen: {}, polls: 0 };
    // Probe → profile, and the Segment Entered on its timeline (what the API's timeline shows).
    let onTimeline = 0;
    const external = [];
    for (const p of probes) {
      if (!defined) continue;
      const profile = await h.hub.store.reader.byIdentifier(WORKSPACE, { type: 'userId', value: `probe-${p.k}` });
      if (!profile) continue;
      const positions = await h.hub.store.reader.timeline(WORKSPACE, profile.id, 100);
      const items = await h.hub.store.reader.hubEvents(positions.filter((t) => t.seq >= 2 ** 40).map((t) => t.seq - 2 ** 40));
      if (items.some((i) => i.body.event === 'Segment Entered' && i.body.properties?.segmentId === probeSegment)) onTimeline++;
      const at = seen[profile.id]?.at;
      if (at !== undefined && p.warm) external.push(at - p.committedAt);
    }
    const warm = probes.filter((p) => p.warm);
    return {
      sendSeconds, sent: total, refused, probes: probes.length, onTimeline, polls,
      inProcess: percentiles(warm.map((p) => p.processedAt - p.committedAt)),
      ackMs: percentiles(warm.map((p) => p.committedAt - p.sentAt)),
      external: defined ? percentiles(external) : undefined,
      counts: stateCounts(h.dir),
    };
  } finally {
    await poller?.stop().catch(() => undefined);
    await h.close();
  }
}

export async function runLatency({ rate = 1000, seconds = 30, users = 40_000, warmup = 2 } = {}) {
  console.log(`\n== Latency from ingestion commit to Segment Entered on the timeline: ${fmt(rate)} events/s paced for ${seconds} s (one in ten a new person's Signed Up), 50 segments + 20 computed traits; first ${warmup} s excluded ==`);
  const base = await latencyRun({ defined: false, rate, seconds, users, warmup });
  const seg = await latencyRun({ defined: true, rate, seconds, users, warmup });
  for (const [label, r] of [['none defined (baseline)', base], ['50 + 20 defined', seg]]) {
    console.log(`  ${label}: sent ${fmt(r.sent)} events in ${fmt(r.sendSeconds, 2)} s (${fmt(r.sent / r.sendSeconds)} events/s), ${fmt(r.refused)} refused; submit → commit ${fmtP(r.ackMs)}`);
  }
  console.log(`  baseline, commit → event processed on the timeline (in process): ${fmtP(base.inProcess)}`);
  console.log(`  commit → batch with Segment Entered committed (in process):     ${fmtP(seg.inProcess)}`);
  console.log(`  commit → Segment Entered visible to a reader (poller, 1 ms):    ${fmtP(seg.external)}`);
  console.log(`  ${fmt(seg.onTimeline)} of ${fmt(seg.probes)} probes have Segment Entered "${PROBE_SEGMENT}" on their timeline; the poller queried ${fmt(seg.polls)} times; ${fmt(seg.counts.hubEvents)} hub events written in all`);
  const p99 = Math.max(seg.external.p99, seg.inProcess.p99);
  console.log(`  ratio p99 / baseline p99: ${fmt(p99 / base.inProcess.p99, 2)}x; p99 ${fmt(p99, 1)} ms (target < ${TARGET_P99_MS} ms) ${verdict(p99 < TARGET_P99_MS && seg.onTimeline === seg.probes)}`);
  return { p99, base, seg };
}

// ---------------------------------------------------------------------------------------------
// 3. Backfill

/** Calls for `profiles` people, each: an identify (traits), a product view, and a page view or an order. */
function* backfillCalls(profiles, start) {
  const pages = ['/', '/pricing', '/docs', '/blog/launch'];
  for (let u = 0; u < profiles; u++) {
    const ids = { userId: `user-${u}`, anonymousId: `anon-${u}` };
    const t = (k) => new Date(start + u * 300 + k * 100).toISOString();
    yield { type: 'identify', messageId: `b-${u}-0`, ...ids, timestamp: t(0), traits: { email: `user${u}@example.com`, name: `User ${u}`, plan: ['free', 'pro', 'enterprise'][u % 3], logins: u % 97 } };
    yield { type: 'track', messageId: `b-${u}-1`, ...ids, timestamp: t(1), event: 'Product Viewed', properties: { sku: `sku-${u % 1000}`, price: (u % 5000) / 100, currency: 'EUR' } };
    yield u % 2 === 0
      ? { type: 'track', messageId: `b-${u}-2`, ...ids, timestamp: t(2), event: 'Order Completed', properties: { sku: `sku-${u % 1000}`, price: (u % 3000) / 100, currency: 'EUR' } }
      : { type: 'page', messageId: `b-${u}-2`, ...ids, timestamp: t(2), name: pages[u % 4], properties: { path: pages[u % 4], url: `https://example.com${pages[u % 4]}` } };
  }
}

async function populate(h, profiles) {
  const start = Date.now() - profiles * 300 - HOUR;
  let n = 0;
  const ctx = { receivedAt: Date.now(), newMessageId: () => `bf-${n++}` };
  let batch = [];
  let head = 0;
  const inFlight = new Set();
  const send = async (calls) => {
    const r = validateBatch({ batch: calls }, ctx);
    if (!r.ok) throw new Error(`generated events are invalid: ${JSON.stringify(r.error.errors.slice(0, 3))}`);
    for (;;) {
      const o = await h.hub.ingestor.submit(WORKSPACE, r.value.events);
      if (o.kind === 'committed') return void (head = Math.max(head, o.head));
      await new Promise((res) => setTimeout(res, 50));
    }
  };
  const started = performance.now();
  for (const call of backfillCalls(profiles, start)) {
    batch.push(call);
    if (batch.length === 500) {
      const p = send(batch).finally(() => inFlight.delete(p));
      inFlight.add(p);
      batch = [];
      if (inFlight.size >= 20) await Promise.race(inFlight);
    }
  }
  if (batch.length > 0) await send(batch);
  await Promise.all(inFlight);
  await h.hub.processor.processed(head);
  await h.hub.processor.whenIdle();
  return (performance.now() - started) / 1000;
}

/** The backfill's I/O alone on raw better-sqlite3: each profile's timeline and events read and parsed, one row written per profile. */
function backfillBaseline(dir, chunk) {
  const state = new Database(join(dir, 'state.db'), { readonly: true });
  const log = new Database(join(dir, 'log.db'), { readonly: true });
  const tmp = tempDir('raw-backfill');
  const out = new Database(join(tmp.dir, 'raw.db'));
  try {
    out.pragma('journal_mode = WAL');
    out.pragma('synchronous = NORMAL');
    out.exec('CREATE TABLE members (segment_id TEXT NOT NULL, profile_id TEXT NOT NULL, since INTEGER NOT NULL, PRIMARY KEY (segment_id, profile_id)) WITHOUT ROWID');
    const ids = state.prepare("SELECT id FROM profiles WHERE workspace_id = ? AND merged_into IS NULL AND id > ? ORDER BY id LIMIT ?").pluck();
    const timeline = state.prepare('SELECT ts, seq FROM timeline WHERE profile_id = ? ORDER BY ts DESC, seq DESC LIMIT 1000000');
    const event = log.prepare('SELECT body FROM events WHERE seq = ?').pluck();
    const insert = out.prepare('INSERT INTO members VALUES (?, ?, ?)');
    const write = out.transaction((rows) => {
      for (const r of rows) insert.run('seg', r, Date.now());
    });
    const started = performance.now();
    let after = '';
    let total = 0;
    let parsed = 0;
    for (;;) {
      const batch = ids.all(WORKSPACE, after, chunk);
      if (batch.length === 0) break;
      const members = [];
      for (const id of batch) {
        const events = timeline.all(id).filter((t) => t.seq < 2 ** 40).map((t) => JSON.parse(event.get(t.seq)));
        parsed += events.length;
        if (events.some((e) => e.type === 'track' && e.properties?.price >= 25)) members.push(id);
      }
      write.immediate(members);
      total += batch.length;
      after = batch.at(-1);
    }
    const seconds = (performance.now() - started) / 1000;
    return { seconds, perSec: total / seconds, total, parsed };
  } finally {
    out.close();
    state.close();
    log.close();
    tmp.remove();
  }
}

async function backfillRun({ profiles, defined }) {
  const h = await openHub('segments-bf', defined);
  try {
    const populated = await populate(h, profiles);
    const before = stateCounts(h.dir);
    const started = performance.now();
    const made = await adminPost(h.app, '/v1/segments', NEW_SEGMENT);
    let progress = made.backfill;
    while (progress.status !== 'done') {
      await new Promise((r) => setTimeout(r, 20));
      progress = (await h.hub.store.definitions.get(WORKSPACE, made.id)).backfill;
    }
    const seconds = (performance.now() - started) / 1000;
    const count = (await h.app.inject({ method: 'GET', url: `/v1/segments/${made.id}/count`, headers: auth })).json().count;
    const baseline = backfillBaseline(h.dir, 200);
    return { populated, profiles: before.profiles, total: progress.processed, seconds, perSec: progress.processed / seconds, members: count, baseline };
  } finally {
    await h.close();
  }
}

export async function runBackfill({ profiles = 200_000, scenarios = ['defined', 'alone'] } = {}) {
  console.log(`\n== Backfill of a new segment over ${fmt(profiles)} profiles (3 events each), created over the admin API, timed until its backfill is done ==`);
  const results = [];
  for (const defined of scenarios.map((x) => x === 'defined')) {
    const r = await backfillRun({ profiles, defined });
    const label = defined ? 'with the 50 segments + 20 computed traits defined' : 'as the only definition';
    console.log(`  ${label}: populated ${fmt(r.profiles)} profiles in ${fmt(r.populated, 1)} s (not timed)`);
    console.log(`    hub backfill: ${fmt(r.total)} profiles in ${fmt(r.seconds, 2)} s = ${fmt(r.perSec)} profiles/s, ${fmt(r.members)} members`);
    console.log(`    raw better-sqlite3 backfill I/O (baseline): ${fmt(r.baseline.perSec)} profiles/s (${fmt(r.baseline.seconds, 2)} s, ${fmt(r.baseline.parsed)} events read)`);
    console.log(`    ratio hub / baseline: ${pct(r.perSec / r.baseline.perSec)}; ${fmt(r.perSec)} profiles/s (target >= ${fmt(TARGET_BACKFILL)}) ${verdict(r.perSec >= TARGET_BACKFILL)}`);
    results.push({ defined, ...r });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// 4. Writers waiting for state.db while processing catches up

/**
 * Writes a context value every 10 ms from this (the main) thread until `until` resolves: how long each
 * write took to be done (ms), and how late the event loop ran meanwhile (its delay, ms).
 */
async function writeEvery10ms(hub, until) {
  const waits = [];
  const pending = [];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let k = 0;
  const timer = setInterval(() => {
    const t = performance.now();
    pending.push(hub.store.context.put(WORKSPACE, { dimension: 'probe', key: `k${k++ % 10}`, value: { n: k }, updatedAt: Date.now() }).then(() => waits.push(performance.now() - t)));
  }, 10);
  await until;
  clearInterval(timer);
  await Promise.all(pending);
  loop.disable();
  return { waits, loop: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 } };
}

export async function runWriters({ count = 100_000, users = 20_000 } = {}) {
  console.log(`\n== Writers waiting: a state.db write every 10 ms from the main thread while processing catches up on ${fmt(count)} events (50 segments + 20 computed traits) ==`);
  const h = await openHub('segments-writers', true);
  try {
    const idle = await writeEvery10ms(h.hub, new Promise((r) => setTimeout(r, 2_000)));
    const events = [];
    for (const chunk of hubEventChunks(count, users, 500, { start: Date.now() - count * 10 - MIN })) events.push(...chunk);
    const started = performance.now();
    for (let i = 0; i < events.length; i += 5_000) await h.hub.store.log.append(events.slice(i, i + 5_000).map((event) => ({ workspaceId: WORKSPACE, event })));
    h.hub.processor.notify(await h.hub.store.log.head());
    const busy = await writeEvery10ms(h.hub, h.hub.processor.processed(await h.hub.store.log.head()));
    const seconds = (performance.now() - started) / 1000;
    const loop = (l) => `event loop delay p99 ${fmt(l.p99, 1)} ms, max ${fmt(l.max, 1)} ms`;
    console.log(`  processing idle (baseline):  write done after ${fmtP(percentiles(idle.waits))}; ${loop(idle.loop)}`);
    console.log(`  catching up (${fmt(seconds, 1)} s, ${fmt(count / seconds)} events/s): write done after ${fmtP(percentiles(busy.waits))}; ${loop(busy.loop)}; ${fmt(busy.waits.length)} writes of the ${fmt(Math.floor(seconds * 100))} due every 10 ms`);
  } finally {
    await h.close();
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' }, events: { type: 'string' }, users: { type: 'string' }, runs: { type: 'string' },
      rate: { type: 'string' }, seconds: { type: 'string' }, profiles: { type: 'string' }, backfill: { type: 'string' },
    },
  });
  const only = values.only;
  if (!only || only === 'throughput') {
    await runThroughput({ events: Number(values.events ?? 200_000), users: Number(values.users ?? 40_000), runs: Number(values.runs ?? 2) });
  }
  if (!only || only === 'latency') await runLatency({ rate: Number(values.rate ?? 1000), seconds: Number(values.seconds ?? 30) });
  if (!only || only === 'backfill') {
    const scenarios = values.backfill === 'defined' || values.backfill === 'alone' ? [values.backfill] : ['defined', 'alone'];
    await runBackfill({ profiles: Number(values.profiles ?? 200_000), scenarios });
  }
  if (!only || only === 'writers') await runWriters();
}
