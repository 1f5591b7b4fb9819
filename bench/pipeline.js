// End-to-end durable events/s: submit through the Ingestor (group commit to log.db) and process
// (identity resolution + profiles + timeline into state.db) until the processing cursor has
// caught up, on a fresh data dir. Baseline: raw better-sqlite3 batched append of the same JSON
// events into a table of the same shape, WAL, synchronous=NORMAL, transactions of the same size
// (the hub's mean group-commit size).
//
//   node bench/pipeline.js [--events 200000] [--users 40000] [--submit 100] [--concurrency 50]
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { loadConfig } from '../dist/config.js';
import { startHub } from '../dist/engine/hub.js';
import { HUB_ENV, WORKSPACE, fmt, hubEventChunks, isMain, pct, submitConcurrently, tempDir, verdict } from './lib.js';

const TARGET_RATIO = 0.25;
const TARGET_ABSOLUTE = 30_000;

/**
 * Raw better-sqlite3: every event appended in transactions of `txSize`, nothing else. `serialise`:
 * timed from the same event objects the hub is given (JSON.stringify included, as in the hub);
 * otherwise from JSON strings made beforehand (a stricter baseline).
 */
function baseline(events, txSize, serialise) {
  const tmp = tempDir('raw');
  try {
    const db = new Database(join(tmp.dir, 'raw.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY, workspace_id TEXT NOT NULL, message_id TEXT NOT NULL,
               received_at INTEGER NOT NULL, body TEXT NOT NULL);
             CREATE UNIQUE INDEX events_message ON events (workspace_id, message_id);`);
    const insert = db.prepare('INSERT INTO events (workspace_id, message_id, received_at, body) VALUES (?, ?, ?, ?)');
    const json = serialise ? undefined : events.map((e) => JSON.stringify(e));
    const tx = db.transaction((from, to) => {
      for (let i = from; i < to; i++) {
        const e = events[i];
        insert.run(WORKSPACE, e.messageId, Date.parse(e.receivedAt), json ? json[i] : JSON.stringify(e));
      }
    });
    const started = performance.now();
    for (let i = 0; i < events.length; i += txSize) tx.immediate(i, Math.min(events.length, i + txSize));
    const seconds = (performance.now() - started) / 1000;
    db.close();
    return { seconds, perSec: events.length / seconds };
  } finally {
    tmp.remove();
  }
}

const best = (f) => [f(), f(), f()].sort((a, b) => a.seconds - b.seconds)[0];

async function hubRun(events, { submit, concurrency, batchSize }) {
  const tmp = tempDir('pipeline');
  const config = { ...loadConfig({ dataDir: tmp.dir }, HUB_ENV), ...(batchSize ? { batchSize } : {}) };
  const hub = await startHub(config, pino({ level: 'silent' }));
  try {
    const started = performance.now();
    const head = await submitConcurrently(hub, events, { submit, concurrency });
    const ingested = (performance.now() - started) / 1000;
    const lagAtIngested = hub.processor.lag;
    await hub.processor.processed(head);
    const seconds = (performance.now() - started) / 1000;
    const commits = (await hub.metrics.commitSeconds.get()).values.find((v) => v.metricName === 'xhub_commit_seconds_count')?.value ?? 0;
    const counts = await hub.store.reader.counts();
    return { seconds, perSec: events.length / seconds, ingested, lagAtIngested, head, commits, counts, processing: config.processing };
  } finally {
    await hub.close();
    tmp.remove();
  }
}

export async function runPipeline({ events: count = 200_000, users = 40_000, submit = 100, concurrency = 50, batchSize } = {}) {
  console.log(`\n== End-to-end durable events/s: ${fmt(count)} events over ${fmt(users)} users (10 % identify), ${concurrency} concurrent clients submitting batches of ${fmt(submit)} ==`);
  const genStart = performance.now();
  const events = [];
  for (const chunk of hubEventChunks(count, users, 500)) events.push(...chunk);
  console.log(`  generated and validated the events in ${fmt((performance.now() - genStart) / 1000, 1)} s (not timed)`);

  const hub = await hubRun(events, { submit, concurrency, batchSize });
  // Transactions of the hub's mean group-commit size (= `submit` when submits do not overlap).
  const txSize = Math.max(1, Math.round(count / Math.max(1, hub.commits)));
  const raw = best(() => baseline(events, txSize, true));
  const rawJson = best(() => baseline(events, txSize, false));
  const ratio = hub.perSec / raw.perSec;
  console.log(`  raw better-sqlite3 append, JSON.stringify included (baseline, best of 3, tx of ${fmt(txSize)}): ${fmt(raw.perSec).padStart(9)} events/s (${fmt(raw.seconds, 2)} s)`);
  console.log(`  raw better-sqlite3 append of JSON serialised beforehand (stricter, best of 3):  ${fmt(rawJson.perSec).padStart(9)} events/s (${fmt(rawJson.seconds, 2)} s)`);
  console.log(`  hub ingest + identity + profile (durable): ${fmt(hub.perSec).padStart(9)} events/s (${fmt(hub.seconds, 2)} s; all acked after ${fmt(hub.ingested, 2)} s with ${fmt(hub.lagAtIngested)} unprocessed; processing ${hub.processing})`);
  console.log(`  ${fmt(hub.commits)} group commits, log head ${fmt(hub.head)}, ${fmt(hub.counts.profiles)} profiles, ${fmt(hub.counts.identifiers)} identifiers`);
  console.log(`  ratio hub / baseline: ${pct(ratio)} (target >= ${pct(TARGET_RATIO)}) ${verdict(ratio >= TARGET_RATIO)}; against the stricter baseline ${pct(hub.perSec / rawJson.perSec)}`);
  console.log(`  absolute: ${fmt(hub.perSec)} events/s (target >= ${fmt(TARGET_ABSOLUTE)}) ${verdict(hub.perSec >= TARGET_ABSOLUTE)}`);
  return { ratio, hub, raw, rawJson };
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' }, users: { type: 'string' }, submit: { type: 'string' },
      concurrency: { type: 'string' }, 'batch-size': { type: 'string' },
    },
  });
  await runPipeline({
    events: Number(values.events ?? 200_000),
    users: Number(values.users ?? 40_000),
    submit: Number(values.submit ?? 100),
    concurrency: Number(values.concurrency ?? 50),
    batchSize: values['batch-size'] ? Number(values['batch-size']) : undefined,
  });
}
