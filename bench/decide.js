// Real-time decision API (issue 6): POST /v1/decide over HTTP, against a hub holding 100,000 profiles
// (in one segment or not) and 200 catalogue items over 5 placements, most with conditions (traits,
// segment membership), some with caps per profile or validity dates, under a contact policy with a daily
// in-app cap. Every request picks a profile at random (one in twenty is an unknown visitor), a placement
// and a limit of 1–3; each decision reads the ledger, arbitrates, and writes its trace and reservations.
//
// The load is open loop: requests go out on a fixed schedule whatever the answers, and each latency is
// measured from its scheduled send instant (no coordinated omission), by a generator on a worker thread
// of its own (the server has the main thread), over keep-alive connections (node:http Agent).
//  1. 2,000 requests/s for 10 s: p50/p90/p99/max; target p99 < 5 ms.
//  2. Steps up the rate (2k, 3k, 4k, 6k, 8k, …, a few seconds each) until p99 crosses 5 ms; when 2k
//     misses already, steps up from 250/s instead (250, 500, 750, …) to find where it crosses.
// Baseline, same server, same run, same rates: GET /health (a trivial route).
//
// With `--ingest N`, the server also takes N track events/s through its ingestion (paced every 20 ms)
// throughout the runs, so that decisions share the hub with ingestion and processing (XHUB_PROCESSING=
// thread|inline in the environment picks where processing runs, as for every bench).
//
//   npm run build && node bench/decide.js [--profiles 100000] [--rate 2000] [--seconds 10] [--step-seconds 4]
//     [--ingest 0]
import { Buffer } from 'node:buffer';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { clearInterval, setImmediate, setInterval, setTimeout } from 'node:timers';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';

const TARGET_P99_MS = 5;
const PLACEMENTS = ['home', 'checkout', 'account', 'product', 'cart'];
const PLANS = ['free', 'pro', 'team'];
const COUNTRIES = ['FR', 'DE', 'US', 'GB', 'ES'];
/** Rates stepped through: up from 2,000/s, or, when 2,000/s already misses, up from 250/s to find where it crosses. */
const STEPS_UP = [2_000, 3_000, 4_000, 6_000, 8_000, 12_000, 16_000];
const STEPS_BELOW = [250, 500, 750, 1_000, 1_250, 1_500, 1_750, 2_000];

// ---- load generator (worker thread) ----

/** Sends `rate` requests/s for `seconds` on a fixed schedule; answers each latency from its scheduled instant (ms). */
function openLoop(agent, port, { method, path, bodies, rate, seconds }) {
  const n = Math.round(rate * seconds);
  const latencies = new Float64Array(n);
  /** How late each request left, after its scheduled instant (the generator's own lag, part of its latency). */
  const lags = new Float64Array(n);
  const statuses = {};
  const interval = 1000 / rate;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const start = performance.now() + 20;
  let sent = 0;
  let done = 0;
  return new Promise((resolve) => {
    const finish = (i, status, at) => {
      latencies[i] = performance.now() - at;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (++done === n) resolve({ latencies, lags, statuses, seconds: (performance.now() - start) / 1000 });
    };
    const send = (i, at) => {
      lags[i] = performance.now() - at;
      const body = bodies === undefined ? undefined : bodies[i % bodies.length];
      const req = http.request({ agent, host: '127.0.0.1', port, method, path, headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: workerData.auth } }, (res) => {
        res.resume();
        res.on('end', () => finish(i, res.statusCode, at));
      });
      req.on('error', () => finish(i, 'error', at));
      req.end(body);
    };
    const tick = () => {
      const now = performance.now();
      for (; sent < n && start + sent * interval <= now; sent++) send(sent, start + sent * interval);
      if (sent >= n) return;
      const wait = start + sent * interval - performance.now();
      // Timers have 1 ms granularity: sleep finer (a fraction of a millisecond) and let I/O run in between.
      if (wait > 2) setTimeout(tick, wait - 1.5);
      else {
        if (wait > 0) Atomics.wait(sleeper, 0, 0, Math.min(wait, 0.2));
        setImmediate(tick);
      }
    };
    tick();
  });
}

function generator() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  parentPort.on('message', async (m) => {
    if (m === 'stop') return void (agent.destroy(), parentPort.close());
    const r = await openLoop(agent, workerData.port, m);
    parentPort.postMessage(r, [r.latencies.buffer, r.lags.buffer]);
  });
}

// ---- hub side (main thread) ----

async function setUp(profiles) {
  const { loadConfig } = await import('../dist/config.js');
  const { startHub } = await import('../dist/engine/hub.js');
  const { bootstrapKeys } = await import('../dist/engine/keys.js');
  const { buildApp } = await import('../dist/api/app.js');
  const { createSegment } = await import('../dist/engine/segments.js');
  const { ContactPolicy } = await import('../dist/core/arbitration/policy.js');
  const { HUB_ENV, tempDir, WORKSPACE, WRITE_KEY, ADMIN_KEY } = await import('./lib.js');
  const data = tempDir('decide');
  const config = { ...loadConfig({ dataDir: data.dir }, HUB_ENV), writeKey: WRITE_KEY, adminKey: ADMIN_KEY };
  const hub = await startHub(config, pino({ level: 'silent' }));
  await bootstrapKeys(hub.store.workspaces, config);
  const segment = await createSegment(hub, WORKSPACE, { name: 'Pro', condition: { kind: 'trait', name: 'plan', op: 'equals', value: 'pro' } });
  if (!segment.ok) throw new Error(JSON.stringify(segment.error));
  const loaded = await ingest(hub, profiles);
  await catalogue(hub, segment.value.id);
  await hub.store.policies.deploy(WORKSPACE, ContactPolicy.parse({ optIn: [], caps: [{ id: 'inapp-daily', limit: 20, window: { amount: 1, unit: 'days' }, channel: 'inApp' }] }), hub.clock.now());
  const app = buildApp(hub);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { hub, app, port: app.server.address().port, loaded, close: async () => (await app.close(), await hub.close(), data.remove()) };
}

/** `n` identify calls (one profile each), appended to the log in transactions of 2,000; resolves when processed. */
async function ingest(hub, n) {
  const { validateBatch } = await import('../dist/core/events/validate.js');
  const { WORKSPACE } = await import('./lib.js');
  const started = performance.now();
  const ts = new Date().toISOString();
  let k = 0;
  for (let i = 0; i < n; i += 2_000) {
    const batch = Array.from({ length: Math.min(2_000, n - i) }, (_, j) => {
      const u = i + j;
      return { type: 'identify', userId: `u${u}`, messageId: `id-${u}`, timestamp: ts, traits: { plan: PLANS[u % 3], country: COUNTRIES[u % 5], visits: u % 100, vip: u % 10 === 0 } };
    });
    const r = validateBatch({ batch }, { receivedAt: Date.now(), newMessageId: () => `gen-${k++}` });
    if (!r.ok) throw new Error(JSON.stringify(r.error.errors.slice(0, 3)));
    await hub.store.log.append(r.value.events.map((event) => ({ workspaceId: WORKSPACE, event })));
  }
  hub.processor.notify(await hub.store.log.head());
  await hub.processor.processed(await hub.store.log.head());
  await hub.processor.whenIdle();
  return (performance.now() - started) / 1000;
}

/** 40 items per placement: a quarter without condition, the others on traits or the segment; some capped, some dated. */
async function catalogue(hub, segmentId) {
  const { parseContentItem } = await import('../dist/core/content/item.js');
  const { WORKSPACE } = await import('./lib.js');
  const now = hub.clock.now();
  const conditions = [
    undefined,
    (k) => ({ kind: 'trait', name: 'plan', op: 'equals', value: PLANS[k % 3] }),
    (k) => ({ kind: 'and', of: [{ kind: 'trait', name: 'country', op: 'in', value: [COUNTRIES[k % 5], COUNTRIES[(k + 1) % 5]] }, { kind: 'trait', name: 'visits', op: 'gte', value: k % 60 }] }),
    (k) => ({ kind: 'or', of: [{ kind: 'inSegment', segment: segmentId }, { kind: 'trait', name: 'vip', op: 'equals', value: true }, { kind: 'not', of: { kind: 'trait', name: 'plan', op: 'equals', value: PLANS[k % 3] } }] }),
  ];
  for (let k = 0; k < 200; k++) {
    const condition = conditions[k % 4]?.(k);
    const r = parseContentItem({
      id: `item-${k}`, name: `Item ${k}`, placement: PLACEMENTS[k % PLACEMENTS.length],
      content: { title: `Offer ${k}`, body: 'x'.repeat(200), cta: { label: 'Go', url: `https://shop.example/offers/${k}` } },
      priority: 10 + ((k * 37) % 90), value: 1 + (k % 7),
      ...(condition ? { condition } : {}),
      ...(k % 5 === 0 ? { caps: [{ limit: 2, window: { amount: 1, unit: 'days' } }] } : {}),
      ...(k % 11 === 0 ? { from: new Date(now - 86_400_000).toISOString(), until: new Date(now + (k % 22 === 0 ? -3_600_000 : 86_400_000)).toISOString() } : {}),
    });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    await hub.content.create(WORKSPACE, r.value, now);
  }
}

/** Paced ingestion on the server's thread: `perSecond` track events for known profiles, submitted every 20 ms; answers a stop that reports what was accepted. */
async function ingestAlongside(hub, profiles, perSecond) {
  const { validateBatch } = await import('../dist/core/events/validate.js');
  const { WORKSPACE } = await import('./lib.js');
  const per = Math.max(1, Math.round(perSecond / 50));
  let n = 0;
  let accepted = 0;
  let refused = 0;
  const timer = setInterval(() => {
    const batch = Array.from({ length: per }, () => ({ type: 'track', userId: `u${(n * 7_919) % profiles}`, event: 'Page Viewed', messageId: `bg-${n++}`, properties: { path: '/offers' } }));
    const r = validateBatch({ batch }, { receivedAt: Date.now(), newMessageId: () => `bg-gen-${n}` });
    if (!r.ok) throw new Error(JSON.stringify(r.error.errors.slice(0, 3)));
    void hub.ingestor.submit(WORKSPACE, r.value.events).then((o) => (o.kind === 'committed' ? (accepted += per) : (refused += per)));
  }, 20);
  return () => (clearInterval(timer), { accepted, refused, lag: hub.processor.lag });
}

function decideBodies(profiles, n = 20_000) {
  return Array.from({ length: n }, (_, i) => {
    const u = Math.floor(((i * 2_654_435_761) % 2 ** 32) / 2 ** 32 * profiles);
    const who = i % 20 === 0 ? { anonymousId: `visitor-${i}` } : { userId: `u${u}` };
    return JSON.stringify({ ...who, placement: PLACEMENTS[i % PLACEMENTS.length], limit: 1 + (i % 3) });
  });
}

async function main() {
  const { fmt, fmtP, pct, percentiles, verdict } = await import('./lib.js');
  const { WRITE_KEY } = await import('./lib.js');
  const { values } = parseArgs({
    options: {
      profiles: { type: 'string' }, rate: { type: 'string' }, seconds: { type: 'string' }, 'step-seconds': { type: 'string' },
      ingest: { type: 'string' },
    },
  });
  const profiles = Number(values.profiles ?? 100_000);
  const rate = Number(values.rate ?? 2_000);
  const seconds = Number(values.seconds ?? 10);
  const stepSeconds = Number(values['step-seconds'] ?? 4);
  const ingest = Number(values.ingest ?? 0);
  const h = await setUp(profiles);
  console.log(`\n== Decision API: ${fmt(profiles)} profiles, 200 items over ${PLACEMENTS.length} placements; POST /v1/decide over HTTP keep-alive, open loop, latency from the scheduled send${ingest > 0 ? `; ${fmt(ingest)} events/s ingested alongside` : ''}; processing ${h.hub.config.processing} ==`);
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { port: h.port, auth: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` } });
  /** One open-loop run; `elu`: the share of the run the server's thread was busy (event loop utilisation). */
  const run = async (m) => {
    const before = performance.eventLoopUtilization();
    const r = await new Promise((resolve, reject) => (worker.once('message', resolve), worker.once('error', reject), worker.postMessage(m)));
    return { ...r, elu: performance.eventLoopUtilization(before).utilization };
  };
  const bodies = decideBodies(profiles);
  const decide = (r, s) => run({ method: 'POST', path: '/v1/decide', bodies, rate: r, seconds: s });
  const health = (r, s) => run({ method: 'GET', path: '/health', rate: r, seconds: s });
  const summary = (x) => ({ ...percentiles(x.latencies), elu: x.elu, lag: percentiles(x.lags).p99, bad: Object.entries(x.statuses).filter(([s]) => s !== '200').map(([s, c]) => `${s}×${c}`).join(' ') });
  try {
    console.log(`  setup: ${fmt(profiles)} profiles loaded (identify, processed) in ${fmt(h.loaded, 1)} s`);
    await decide(1_000, 2);
    await health(1_000, 1);
    const stopIngesting = ingest > 0 ? await ingestAlongside(h.hub, profiles, ingest) : undefined;
    const d = summary(await decide(rate, seconds));
    const b = summary(await health(rate, seconds));
    console.log(`  ${fmt(rate)} req/s for ${seconds} s:`);
    console.log(`    POST /v1/decide: ${fmtP(d)}; server thread busy ${pct(d.elu)}; sends left p99 ${fmt(d.lag, 2)} ms late${d.bad ? `; non-200: ${d.bad}` : ''}`);
    console.log(`    GET /health (baseline): ${fmtP(b)}; server thread busy ${pct(b.elu)}; sends left p99 ${fmt(b.lag, 2)} ms late${b.bad ? `; non-200: ${b.bad}` : ''}`);
    console.log(`    p99 ${fmt(d.p99, 2)} ms (target < ${TARGET_P99_MS} ms) ${verdict(d.p99 < TARGET_P99_MS && !d.bad)}; ${fmt(d.p99 / b.p99, 1)}× the baseline's p99`);
    console.log(`  steps of ${stepSeconds} s (decide | baseline):`);
    let crossed;
    let last;
    for (const r of d.p99 < TARGET_P99_MS ? STEPS_UP : STEPS_BELOW) {
      const x = summary(await decide(r, stepSeconds));
      const y = summary(await health(r, stepSeconds));
      console.log(`    ${fmt(r).padStart(6)} req/s: decide p50 ${fmt(x.p50, 2)} p99 ${fmt(x.p99, 2)} max ${fmt(x.max, 1)} ms, busy ${pct(x.elu)}, sends late p99 ${fmt(x.lag, 2)} ms${x.bad ? ` (non-200: ${x.bad})` : ''} | health p50 ${fmt(y.p50, 2)} p99 ${fmt(y.p99, 2)} ms, busy ${pct(y.elu)}`);
      if (x.p99 >= TARGET_P99_MS || x.bad) {
        crossed = r;
        break;
      }
      last = r;
    }
    console.log(crossed === undefined
      ? `  p99 stayed under ${TARGET_P99_MS} ms up to ${fmt(last)} req/s`
      : `  p99 crosses ${TARGET_P99_MS} ms between ${last === undefined ? '0' : fmt(last)} and ${fmt(crossed)} req/s`);
    if (stopIngesting) {
      const i = stopIngesting();
      console.log(`  ingested alongside: ${fmt(i.accepted)} events accepted, ${fmt(i.refused)} refused; ${fmt(i.lag)} unprocessed at the end`);
    }
  } finally {
    worker.postMessage('stop');
    await h.close();
  }
}

if (!isMainThread) generator();
else if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
