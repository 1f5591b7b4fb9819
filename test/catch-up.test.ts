import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/adapters/sqlite/index.js';
import { loadConfig } from '../src/config.js';
import { validateBatch } from '../src/core/events/validate.js';
import { definitionCaches, processorOf } from '../src/engine/processing.js';
import { batchLimit, type Contention } from '../src/engine/processor.js';
import { systemClock } from '../src/ports/clock.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Processes a backlog of 3,000 events with batches of 100 (500 while catching up); answers each batch's size. */
async function batchesOf(contention: Contention): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'xhub-catch-up-'));
  dirs.push(dir);
  const config = { ...loadConfig({ dataDir: dir }, {}), batchSize: 100 };
  const store = openSqliteStore(dir, 'normal');
  let n = 0;
  const calls = Array.from({ length: 3_000 }, (_, i) => ({ type: 'track', userId: `u${i % 50}`, event: 'Viewed', timestamp: '2026-03-01T12:00:00.000Z' }));
  const valid = validateBatch({ batch: calls }, { receivedAt: Date.now(), newMessageId: () => `m${n++}` });
  if (!valid.ok) throw new Error(JSON.stringify(valid.error));
  await store.log.append(valid.value.events.map((event) => ({ workspaceId: 'ws_default', event })));
  const sizes: number[] = [];
  const processor = processorOf(store, config, systemClock, definitionCaches(store), { processed: (events) => sizes.push(events), failed: (e) => { throw e; } }, contention);
  try {
    await processor.start();
    await processor.processed(await store.log.head());
    return sizes;
  } finally {
    await processor.stop();
    await store.close();
  }
}

describe('catching up on a backlog', () => {
  it('takes larger batches, unless API writes are being made: then they stay at the batch size at most', async () => {
    const alone = await batchesOf({ contended: () => false, held: () => 1 });
    expect(alone.reduce((a, b) => a + b, 0)).toBe(3_000);
    expect(alone[0]).toBe(500);
    const contended = await batchesOf({ contended: () => true, held: () => 1 });
    expect(contended.reduce((a, b) => a + b, 0)).toBe(3_000);
    expect(Math.max(...contended)).toBe(100);
  });

  it('while API writes are being made, sizes batches by how long its transactions held the write lock', async () => {
    const slow = await batchesOf({ contended: () => true, held: () => 10_000 });
    expect(slow.reduce((a, b) => a + b, 0)).toBe(3_000);
    expect(new Set(slow.slice(1, -1))).toEqual(new Set([20]));
  });
});

describe('the size of a batch', () => {
  const alone = { batchSize: 2_000, lag: 100, contended: false, msPerEvent: 0.1 };
  it('is the batch size, or five times more (at most 10,000) on a backlog of more than five batches', () => {
    expect(batchLimit(alone)).toBe(2_000);
    expect(batchLimit({ ...alone, lag: 10_000 })).toBe(2_000);
    expect(batchLimit({ ...alone, lag: 10_001 })).toBe(10_000);
    expect(batchLimit({ ...alone, batchSize: 500, lag: 10_000 })).toBe(2_500);
    expect(batchLimit({ ...alone, lag: 10_001, msPerEvent: 5 })).toBe(10_000); // alone, however long it takes
  });

  it('while API writes are made, is what the last batches processed in 25 ms, at least 20 events and at most the batch size', () => {
    const contended = { ...alone, lag: 100_000, contended: true };
    expect(batchLimit({ ...contended, msPerEvent: 0.1 })).toBe(250);
    expect(batchLimit({ ...contended, msPerEvent: 0.125 })).toBe(200);
    expect(batchLimit({ ...contended, msPerEvent: 5 })).toBe(20);
    expect(batchLimit({ ...contended, msPerEvent: 0.001 })).toBe(2_000);
    expect(batchLimit({ ...contended, msPerEvent: undefined })).toBe(200); // not known yet: a short one to learn from
    expect(batchLimit({ ...contended, batchSize: 100, msPerEvent: undefined })).toBe(100);
  });
});
