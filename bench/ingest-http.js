// HTTP ingestion throughput: the hub's /v1/batch and /v1/track against a bare fastify no-op POST
// that answers {success:true}, same bodies, same connections, same machine, same run.
// Each server runs in a child process of its own; the load generator (autocannon) runs here.
// The hub also processes what it ingests (identity, profiles) on the same thread, as `xhub serve`
// does: the single calls come from 500 people, the batches from 10,000.
//
//   node bench/ingest-http.js [--duration 8] [--connections 50] [--batch 20] [--rounds 2]
import { Buffer } from 'node:buffer';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ADMIN_KEY, HUB_ENV, WRITE_KEY, fmt, isMain, pct, tempDir, verdict } from './lib.js';

const TARGET = 0.6;
const self = fileURLToPath(import.meta.url);

const TEMPLATES = 500;

/**
 * One track call of person `u` (every other one already identified); `[<id>]` is replaced by
 * autocannon with a fresh id per request, so every messageId is new.
 */
function call(u, i) {
  return {
    type: 'track',
    messageId: `[<id>]-${i}`,
    anonymousId: `anon-${u}`,
    ...(u % 2 === 0 ? { userId: `user-${u}` } : {}),
    event: 'Product Viewed',
    properties: { sku: `sku-${i}`, price: 19.99, currency: 'EUR' },
    context: { library: { name: 'analytics-node', version: '3.1.0' } },
    timestamp: '2026-01-01T12:00:00.000Z',
  };
}

/** Each connection cycles through TEMPLATES different bodies: 500 people (single calls) or 10,000 (batches). */
function scenarios(batch) {
  const batchBody = (k) => JSON.stringify({ batch: Array.from({ length: batch }, (_, i) => call((k * batch + i) % 10_000, i)), sentAt: '2026-01-01T12:00:00.000Z' });
  return [
    { name: `/v1/batch (${batch} track events per request)`, path: '/v1/batch', events: batch, bodies: Array.from({ length: TEMPLATES }, (_, k) => batchBody(k)) },
    { name: '/v1/track (one event per request)', path: '/v1/track', events: 1, bodies: Array.from({ length: TEMPLATES }, (_, k) => JSON.stringify(call(k, 0))) },
  ];
}

// ---- server side (child process) ----

async function serve(kind) {
  let app;
  let hub;
  let data;
  if (kind === 'bare') {
    const { default: Fastify } = await import('fastify');
    app = Fastify({ logger: false });
    const ok = async () => ({ success: true });
    app.post('/v1/batch', ok);
    app.post('/v1/track', ok);
  } else {
    const { pino } = await import('pino');
    const { loadConfig } = await import('../dist/config.js');
    const { startHub } = await import('../dist/engine/hub.js');
    const { bootstrapKeys } = await import('../dist/engine/keys.js');
    const { buildApp } = await import('../dist/api/app.js');
    data = tempDir('http');
    const config = { ...loadConfig({ dataDir: data.dir }, HUB_ENV), writeKey: WRITE_KEY, adminKey: ADMIN_KEY };
    hub = await startHub(config, pino({ level: 'silent' }));
    await bootstrapKeys(hub.store.workspaces, config);
    app = buildApp(hub);
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.send({ port: app.server.address().port });
  process.on('message', async (m) => {
    if (m !== 'stop') return;
    await app.close();
    let stats = {};
    if (hub) {
      const head = await hub.store.log.head();
      const before = hub.processor.position.cursor;
      const started = performance.now();
      await hub.processor.processed(head);
      stats = { head, lagAtStop: head - before, catchUpSeconds: (performance.now() - started) / 1000 };
      await hub.close();
      data.remove();
    }
    process.send({ stats }, () => process.exit(0));
  });
}

// ---- load side ----

async function startServer(kind) {
  const child = fork(self, ['--serve', kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [{ port }] = await once(child, 'message');
  return {
    port,
    stop: async () => {
      child.send('stop');
      const [{ stats }] = await once(child, 'message');
      await once(child, 'exit');
      return stats;
    },
  };
}

async function load(port, s, { connections, duration }) {
  const { default: autocannon } = await import('autocannon');
  const run = (seconds) =>
    autocannon({
      url: `http://127.0.0.1:${port}${s.path}`,
      method: 'POST',
      connections,
      duration: seconds,
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` },
      requests: s.bodies.map((body) => ({ method: 'POST', path: s.path, body })),
      idReplacement: true,
    });
  await run(Math.min(2, duration)); // warm-up: JIT, connections, SQLite pages
  const r = await run(duration);
  const ok = r['2xx'];
  return {
    reqPerSec: ok / r.duration,
    eventsPerSec: (ok * s.events) / r.duration,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    p99: r.latency.p99,
  };
}

async function measure(kind, s, opts) {
  const server = await startServer(kind);
  try {
    const result = await load(server.port, s, opts);
    return { ...result, stats: await server.stop() };
  } catch (e) {
    await server.stop();
    throw e;
  }
}

export async function runIngestHttp({ duration = 8, connections = 50, batch = 20, rounds = 2 } = {}) {
  const { loadConfig } = await import('../dist/config.js');
  console.log(`\n== HTTP ingestion: hub vs bare fastify no-op POST (${connections} connections, ${rounds} alternating rounds of ${duration} s each, servers in child processes; hub processing ${loadConfig({}, HUB_ENV).processing}) ==`);
  const results = [];
  for (const s of scenarios(batch)) {
    const runs = { base: [], hub: [] };
    for (let r = 0; r < rounds; r++) {
      runs.base.push(await measure('bare', s, { connections, duration }));
      runs.hub.push(await measure('hub', s, { connections, duration }));
    }
    const bestOf = (list) => list.reduce((a, b) => (b.reqPerSec > a.reqPerSec ? b : a));
    const base = bestOf(runs.base);
    const hub = bestOf(runs.hub);
    const ratio = hub.reqPerSec / base.reqPerSec;
    results.push({ scenario: s.name, ratio, hub, base });
    console.log(`\n${s.name}, bodies of ${fmt(s.bodies[0].length)} bytes (best of ${rounds}; all runs in brackets)`);
    for (const [label, r, all] of [['bare fastify (baseline)', base, runs.base], ['hub (ack after commit)  ', hub, runs.hub]]) {
      console.log(`  ${label} ${fmt(r.reqPerSec).padStart(8)} req/s  ${fmt(r.eventsPerSec).padStart(9)} events/s  p99 ${r.p99} ms  non-2xx ${r.non2xx}  errors ${r.errors}  [${all.map((x) => fmt(x.reqPerSec)).join(', ')} req/s]`);
    }
    const st = hub.stats;
    console.log(`  hub log head ${fmt(st.head)} events; unprocessed at stop ${fmt(st.lagAtStop)}, caught up in ${fmt(st.catchUpSeconds, 2)} s`);
    const clean = runs.hub.every((x) => x.non2xx === 0 && x.errors === 0);
    console.log(`  ratio hub / baseline: ${pct(ratio)} (target >= ${pct(TARGET)}) ${verdict(ratio >= TARGET && clean)}`);
  }
  return results;
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' }, duration: { type: 'string' }, connections: { type: 'string' }, batch: { type: 'string' }, rounds: { type: 'string' },
    },
  });
  if (values.serve) await serve(values.serve);
  else {
    await runIngestHttp({
      duration: Number(values.duration ?? 8),
      connections: Number(values.connections ?? 50),
      batch: Number(values.batch ?? 20),
      rounds: Number(values.rounds ?? 2),
    });
  }
}
