// Webhook delivery benchmark (issue 7): signed Standard Webhooks deliveries per second through
// WebhookDelivery (SSRF check with the address pinned, settings cached, two rotated secrets, timeout,
// failure classification) against a raw http.request loop with a keep-alive agent posting the same
// payloads, signed the same way (standardwebhooks, both secrets), in the same run. Both keep N requests
// in flight to a local receiver running in a worker thread (its own core); rounds alternate raw and
// adapter so drift hits both alike. Target: the adapter at ≥ 80 % of the raw loop.
// Run: `npm run build && node bench/webhook.js [--inflight 64] [--seconds 2] [--rounds 4]`.
import { Buffer } from 'node:buffer';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Webhook } from 'standardwebhooks';
import { WebhookDelivery } from '../dist/adapters/http/webhook.js';
import { fmt, isMain, pct, verdict } from './lib.js';

const TARGET = 0.8;

/** The receiver: reads each body and answers 204, keeping connections alive. */
const RECEIVER = `
const http = require('node:http');
const { parentPort } = require('node:worker_threads');
let received = 0;
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => { received++; res.writeHead(204).end(); });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (m) => { if (m === 'count') parentPort.postMessage({ received }); else server.close(() => process.exit(0)), server.closeAllConnections(); });
`;

function startReceiver() {
  const worker = new Worker(RECEIVER, { eval: true });
  const next = () => new Promise((resolve, reject) => (worker.once('message', resolve), worker.once('error', reject)));
  return next().then(({ port }) => ({
    url: `http://127.0.0.1:${port}/hooks/partner`,
    count: async () => (worker.postMessage('count'), (await next()).received),
    stop: () => (worker.postMessage('stop'), new Promise((resolve) => worker.once('exit', resolve))),
  }));
}

const secret = () => `whsec_${randomBytes(24).toString('base64')}`;

/** The payload of delivery i: an order event as a partner gets it (~400 bytes of JSON). */
const payloadOf = (i) => ({
  type: 'journey.action', id: `out_${i}`, journeyId: 'jrn_post_purchase', step: 'notify-partner', profileId: `prof_${i % 5000}`,
  occurredAt: '2026-03-01T12:00:00.000Z',
  data: { orderId: `o-${i}`, total: (i % 5000) / 100, currency: 'EUR', items: [{ sku: `sku-${i % 100}`, qty: 1 }, { sku: 'sku-gift', qty: 1 }], tier: i % 3 === 0 ? 'gold' : 'silver' },
});

/** Runs `send(i)` with `inflight` at once for `seconds`; answers deliveries per second. */
async function drive(send, { inflight, seconds }) {
  const end = performance.now() + seconds * 1000;
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (performance.now() < end) {
      await send(next++);
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inflight }, lane));
  return done / ((performance.now() - started) / 1000);
}

/** The baseline: http.request with a keep-alive agent, the same JSON and Standard Webhooks headers. */
function rawSender(url, secrets, inflight) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: inflight });
  const signers = secrets.map((s) => new Webhook(s));
  const send = (i) => new Promise((resolve, reject) => {
    const id = `out_${i}`;
    const body = JSON.stringify(payloadOf(i));
    const at = new Date();
    const req = http.request(url, {
      method: 'POST', agent,
      headers: {
        'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signers.map((w) => w.sign(id, at, body)).join(' '),
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      res.on('data', () => {});
      res.on('end', () => (res.statusCode >= 200 && res.statusCode < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.end(body);
  });
  return { send, close: () => agent.destroy() };
}

function adapterSender(url, secrets, inflight) {
  const adapter = new WebhookDelivery({ allow: ['127.0.0.1'], maxSockets: inflight });
  const settings = { url, secrets };
  const meta = { workspaceId: 'ws_default', profileId: 'prof_1' };
  const send = async (i) => {
    // A fresh settings object each time, as the contributor registry hands them (credentials opened per send).
    const r = await adapter.send({ key: `out_${i}`, channel: 'webhook', to: '', payload: payloadOf(i), meta }, { ...settings });
    if (!r.ok) throw new Error(`delivery failed: ${r.error}`);
  };
  return { send, close: () => adapter.close() };
}

export async function benchWebhook({ inflight = 64, seconds = 2, rounds = 4 } = {}) {
  const receiver = await startReceiver();
  const secrets = [secret(), secret()];
  const raw = rawSender(receiver.url, secrets, inflight);
  const adapter = adapterSender(receiver.url, secrets, inflight);
  await drive(raw.send, { inflight, seconds: 0.5 });
  await drive(adapter.send, { inflight, seconds: 0.5 });
  const rates = { raw: [], adapter: [] };
  for (let r = 0; r < rounds; r++) {
    rates.raw.push(await drive(raw.send, { inflight, seconds }));
    rates.adapter.push(await drive(adapter.send, { inflight, seconds }));
  }
  const received = await receiver.count();
  raw.close();
  await adapter.close();
  await receiver.stop();
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const result = { inflight, raw: mean(rates.raw), adapter: mean(rates.adapter), rounds: rates, received };
  result.ratio = result.adapter / result.raw;
  return result;
}

export function printWebhook(r) {
  console.log(`webhook deliveries, ${r.inflight} in flight, keep-alive, 2 secrets (receiver in a worker thread; ${fmt(r.received)} requests received)`);
  console.log(`  raw http.request loop (same signed payloads): ${fmt(r.raw)}/s  (rounds: ${r.rounds.raw.map((x) => fmt(x)).join(', ')})`);
  console.log(`  WebhookDelivery:                              ${fmt(r.adapter)}/s  (rounds: ${r.rounds.adapter.map((x) => fmt(x)).join(', ')})`);
  console.log(`  ratio ${pct(r.ratio)} (target ≥ ${pct(TARGET)}) ${verdict(r.ratio >= TARGET)}`);
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { inflight: { type: 'string' }, seconds: { type: 'string' }, rounds: { type: 'string' } } });
  const opts = {
    ...(values.inflight ? { inflight: Number(values.inflight) } : {}),
    ...(values.seconds ? { seconds: Number(values.seconds) } : {}),
    ...(values.rounds ? { rounds: Number(values.rounds) } : {}),
  };
  printWebhook(await benchWebhook(opts));
}
