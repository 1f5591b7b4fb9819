// Validation of ingested calls (the ingestion hot path before the log): /v1/batch request bodies of
// 100 Segment calls (track, page, identify, as SDKs send them), JSON text → validated, normalised
// events. Baseline, same bodies, same run: JSON.parse alone (what any JSON endpoint pays).
// Best of 5 rounds each, alternating.
//
//   npm run build && node bench/validate.js [--events 200000] [--batch 100]
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { validateBatch } from '../dist/core/events/validate.js';
import { fmt, isMain, pct, segmentCalls } from './lib.js';

export function runValidate({ events = 200_000, batch = 100 } = {}) {
  const calls = [...segmentCalls(events, events / 5)];
  const bodies = [];
  for (let i = 0; i < calls.length; i += batch) bodies.push(JSON.stringify({ batch: calls.slice(i, i + batch), sentAt: '2026-01-01T12:00:00.000Z' }));
  let n = 0;
  const ctx = { receivedAt: Date.UTC(2026, 0, 1, 12), newMessageId: () => `gen-${n++}` };
  const parseOnly = () => {
    let count = 0;
    for (const b of bodies) count += JSON.parse(b).batch.length;
    return count;
  };
  const parseAndValidate = () => {
    let count = 0;
    for (const b of bodies) {
      const r = validateBatch(JSON.parse(b), ctx);
      if (!r.ok) throw new Error(`generated calls are invalid: ${JSON.stringify(r.error.errors.slice(0, 3))}`);
      count += r.value.events.length;
    }
    return count;
  };
  const best = { parse: Infinity, validate: Infinity };
  for (let round = 0; round < 5; round++) {
    for (const [name, run] of [['parse', parseOnly], ['validate', parseAndValidate]]) {
      const started = performance.now();
      const count = run();
      best[name] = Math.min(best[name], ((performance.now() - started) * 1000) / count);
    }
  }
  console.log(`\n== Validation: ${fmt(events)} Segment calls in /v1/batch bodies of ${batch}, best of 5 rounds ==`);
  console.log(`  JSON.parse alone (baseline):        ${fmt(best.parse, 2)} µs per event`);
  console.log(`  JSON.parse + validateBatch (hub):   ${fmt(best.validate, 2)} µs per event (validation itself ${fmt(best.validate - best.parse, 2)} µs)`);
  console.log(`  ratio baseline / hub: ${pct(best.parse / best.validate)}`);
  return best;
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { events: { type: 'string' }, batch: { type: 'string' } } });
  runValidate({ events: Number(values.events ?? 200_000), batch: Number(values.batch ?? 100) });
}
