import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/adapters/sqlite/index.js';
import { loadConfig } from '../src/config.js';
import { validateBatch } from '../src/core/events/validate.js';
import { definitionCaches, processorOf } from '../src/engine/processing.js';
import { systemClock } from '../src/ports/clock.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Processes a backlog of 3,000 events with batches of 100 (500 while catching up); answers each batch's size. */
async function batchesOf(contended: () => boolean): Promise<number[]> {
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
  const processor = processorOf(store, config, systemClock, definitionCaches(store), { processed: (events) => sizes.push(events), failed: (e) => { throw e; } }, contended);
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
  it('takes larger batches, unless the API had to wait for a transaction: then they stay at the batch size', async () => {
    const alone = await batchesOf(() => false);
    expect(alone.reduce((a, b) => a + b, 0)).toBe(3_000);
    expect(alone[0]).toBe(500);
    const contended = await batchesOf(() => true);
    expect(contended.reduce((a, b) => a + b, 0)).toBe(3_000);
    expect(Math.max(...contended)).toBe(100);
  });
});
