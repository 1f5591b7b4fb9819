// Memory: load 1,000,000 events for 200,000 people (appended to the log in chunks, processed into
// profiles as they arrive) and report the process's resident set size, sampled all along.
//
//   node --expose-gc bench/rss.js [--events 1000000] [--users 200000] [--chunk 10000]
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { clearInterval, setInterval } from 'node:timers';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../dist/config.js';
import { startHub } from '../dist/engine/hub.js';
import { HUB_ENV, WORKSPACE, fmt, hubEventChunks, isMain, mb, tempDir, verdict } from './lib.js';

const TARGET_BYTES = 1.5 * 2 ** 30;

export async function runRss({ events: count = 1_000_000, users = 200_000, chunk = 10_000 } = {}) {
  console.log(`\n== RSS: ${fmt(count)} events for ${fmt(users)} people, appended in chunks of ${fmt(chunk)} and processed ==`);
  const tmp = tempDir('rss');
  const rss = { start: process.memoryUsage().rss, peak: 0 };
  const sample = () => {
    rss.peak = Math.max(rss.peak, process.memoryUsage().rss);
  };
  const sampler = setInterval(sample, 50);
  let hub;
  try {
    hub = await startHub(loadConfig({ dataDir: tmp.dir }, HUB_ENV), pino({ level: 'silent' }));
    const started = performance.now();
    let head = 0;
    for (const events of hubEventChunks(count, users, chunk)) {
      head = (await hub.store.log.append(events.map((event) => ({ workspaceId: WORKSPACE, event })))).head;
      hub.processor.notify(head);
      sample();
      await yieldToLoop(); // let the processor take its turn, as it does between requests
    }
    const appended = (performance.now() - started) / 1000;
    await hub.processor.processed(head);
    const seconds = (performance.now() - started) / 1000;
    sample();
    const final = process.memoryUsage();
    let afterGc;
    if (typeof globalThis.gc === 'function') {
      globalThis.gc();
      afterGc = process.memoryUsage();
    }
    const counts = await hub.store.reader.counts();
    const size = (f) => ['', '-wal'].reduce((n, s) => n + (statSafe(join(tmp.dir, f + s))), 0);
    console.log(`  loaded ${fmt(head)} events in ${fmt(seconds, 1)} s (${fmt(head / seconds)} events/s; generation and validation included; all appended after ${fmt(appended, 1)} s)`);
    console.log(`  ${fmt(counts.profiles)} profiles, ${fmt(counts.identifiers)} identifiers; log.db ${mb(size('log.db'))}, state.db ${mb(size('state.db'))} (with WAL)`);
    console.log(`  RSS at start ${mb(rss.start)}, peak ${mb(rss.peak)}, after loading ${mb(final.rss)} (heap used ${mb(final.heapUsed)})` +
      (afterGc ? `, after a full GC ${mb(afterGc.rss)} (heap used ${mb(afterGc.heapUsed)})` : ''));
    console.log(`  peak RSS < ${mb(TARGET_BYTES)}: ${verdict(rss.peak < TARGET_BYTES)}`);
    return { seconds, peak: rss.peak, final: final.rss, counts };
  } finally {
    clearInterval(sampler);
    await hub?.close();
    tmp.remove();
  }
}

function statSafe(file) {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { events: { type: 'string' }, users: { type: 'string' }, chunk: { type: 'string' } } });
  await runRss({
    events: Number(values.events ?? 1_000_000),
    users: Number(values.users ?? 200_000),
    chunk: Number(values.chunk ?? 10_000),
  });
}
