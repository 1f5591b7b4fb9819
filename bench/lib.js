// Shared pieces of the benchmarks: a seeded event generator (events built by the hub's own
// validation, so they are exactly what the API would store), temp dirs and printing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { validateBatch } from '../dist/core/events/validate.js';

export const WORKSPACE = 'ws_default';
export const WRITE_KEY = 'bench-write-key';
export const ADMIN_KEY = 'bench-admin-key';
/**
 * The environment the benches' hubs are configured from: none of the caller's, except
 * `XHUB_PROCESSING` (thread or inline), so that the two ways of processing can be compared.
 */
export const HUB_ENV = { XHUB_PROCESSING: process.env.XHUB_PROCESSING };

/** mulberry32: a small seeded PRNG, so every run generates the same events. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PAGES = ['/', '/pricing', '/docs', '/blog/launch', '/signup', '/account'];
const EVENTS = ['Product Viewed', 'Added to Cart', 'Checkout Started', 'Order Completed', 'Video Played'];

/**
 * Segment calls for `users` people, as SDKs send them: each person browses anonymously
 * (anonymousId), and `identifyShare` of the calls are an identify linking the anonymousId to a
 * userId with traits; after that, the person's track/page calls carry both ids.
 */
export function* segmentCalls(count, users, { seed = 42, identifyShare = 0.1, start = Date.UTC(2026, 0, 1) } = {}) {
  const random = rng(seed);
  const identified = new Uint8Array(users);
  for (let i = 0; i < count; i++) {
    const u = Math.floor(random() * users);
    const anonymousId = `anon-${u}`;
    const timestamp = new Date(start + i * 10).toISOString();
    const messageId = `m-${seed}-${i}`;
    const r = random();
    if (r < identifyShare) {
      identified[u] = 1;
      yield {
        type: 'identify', messageId, anonymousId, userId: `user-${u}`, timestamp,
        traits: { email: `user${u}@example.com`, name: `User ${u}`, plan: r < identifyShare / 2 ? 'free' : 'pro', logins: i % 97 },
      };
      continue;
    }
    const ids = identified[u] ? { anonymousId, userId: `user-${u}` } : { anonymousId };
    if (r < identifyShare + (1 - identifyShare) / 2) {
      yield {
        type: 'track', messageId, ...ids, timestamp, event: EVENTS[i % EVENTS.length],
        properties: { sku: `sku-${i % 1000}`, price: (i % 5000) / 100, currency: 'EUR' },
        context: { library: { name: 'analytics-node', version: '3.1.0' }, ip: '10.0.0.1' },
      };
    } else {
      const path = PAGES[i % PAGES.length];
      yield {
        type: 'page', messageId, ...ids, timestamp, name: path,
        properties: { path, url: `https://example.com${path}`, referrer: 'https://search.example/' },
        context: { library: { name: 'analytics.js', version: '5.2.0' }, userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' },
      };
    }
  }
}

/** HubEvents (validated and normalised by the hub's own code), in chunks of `chunk`. */
export function* hubEventChunks(count, users, chunk, opts = {}) {
  const receivedAt = Date.UTC(2026, 0, 2);
  let n = 0;
  const ctx = { receivedAt, newMessageId: () => `gen-${n++}` };
  let batch = [];
  const flush = () => {
    const r = validateBatch({ batch }, ctx);
    if (!r.ok) throw new Error(`generated events are invalid: ${JSON.stringify(r.error.errors.slice(0, 3))}`);
    batch = [];
    return r.value.events;
  };
  for (const call of segmentCalls(count, users, opts)) {
    batch.push(call);
    if (batch.length === chunk) yield flush();
  }
  if (batch.length > 0) yield flush();
}

export function tempDir(name) {
  const dir = mkdtempSync(join(tmpdir(), `xhub-bench-${name}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const mb = (bytes) => `${fmt(bytes / 2 ** 20)} MB`;
export const pct = (ratio) => `${fmt(ratio * 100, 1)} %`;
export const verdict = (ok) => (ok ? 'PASS' : 'MISS');

/** Whether this module is the script node was started with (so each bench also runs alone). */
export const isMain = (metaUrl) => process.argv[1] !== undefined && fileURLToPath(metaUrl) === process.argv[1];

/**
 * Emulates `concurrency` clients submitting `events` through the hub's Ingestor in batches of `submit`
 * (each awaits its acknowledgement before sending the next); answers the log head reached.
 */
export async function submitConcurrently(hub, events, { submit, concurrency }) {
  const chunks = [];
  for (let i = 0; i < events.length; i += submit) chunks.push(events.slice(i, i + submit));
  let next = 0;
  let head = 0;
  const client = async () => {
    while (next < chunks.length) {
      const outcome = await hub.ingestor.submit(WORKSPACE, chunks[next++]);
      if (outcome.kind !== 'committed') throw new Error(`submit refused: ${outcome.reason}`);
      head = Math.max(head, outcome.head);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return head;
}

/** Worker: polls hub_events every millisecond on its own read-only connection; notes when each profile's first matching event became visible. */
const POLLER = `
const { workerData, parentPort } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { readonly: true });
db.pragma('busy_timeout = 5000');
const rows = db.prepare("SELECT id, profile_id, ts, json_extract(body, '$.event') AS event, json_extract(body, '$.properties.' || ?) AS value FROM hub_events WHERE id > ? ORDER BY id");
const flag = new Int32Array(workerData.flag);
const seen = {};
let after = 0;
let polls = 0;
while (Atomics.load(flag, 0) === 0) {
  const found = rows.all(workerData.property ?? 'none', after);
  const at = performance.timeOrigin + performance.now();
  polls++;
  for (const r of found) {
    after = r.id;
    if (r.event !== workerData.event || (workerData.property && r.value !== workerData.value) || seen[r.profile_id] !== undefined) continue;
    seen[r.profile_id] = { at, ts: r.ts };
  }
  Atomics.wait(flag, 0, 0, 1);
}
db.close();
parentPort.postMessage({ seen, polls });
`;

/**
 * Watches a state.db from a worker thread, as an outside reader would: for each profile, when its first
 * hub event named `event` (with `properties[property] === value` when given) became visible, and its `ts`.
 */
export function pollHubEvents(file, { event, property, value }) {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(POLLER, { eval: true, workerData: { file, event, property, value, flag: flag.buffer, sqlite: fileURLToPath(import.meta.resolve('better-sqlite3')) } });
  const done = new Promise((resolve, reject) => (worker.once('message', resolve), worker.once('error', reject)));
  return {
    stop: () => {
      Atomics.store(flag, 0, 1);
      return done;
    },
  };
}

export const epochNow = () => performance.timeOrigin + performance.now();

export function percentiles(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  return { n: s.length, p50: at(50), p90: at(90), p99: at(99), max: s.at(-1) };
}
export const fmtP = (p) => `p50 ${fmt(p.p50, 1)} ms, p90 ${fmt(p.p90, 1)} ms, p99 ${fmt(p.p99, 1)} ms, max ${fmt(p.max, 1)} ms (n = ${fmt(p.n)})`;
