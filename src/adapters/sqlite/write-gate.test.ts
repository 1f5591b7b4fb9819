import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { WriteGate } from './write-gate.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('WriteGate', () => {
  it("an API write waits for processing's write transaction to end, with its thread free meanwhile", async () => {
    const processing = new WriteGate();
    const api = new WriteGate(processing.buffer);
    processing.enterProcessing();
    const order: string[] = [];
    const write = api.write(() => order.push('write'));
    setTimeout(() => order.push('timer'), 20);
    await sleep(100);
    expect(order).toEqual(['timer']);
    processing.leaveProcessing();
    await write;
    expect(order).toEqual(['timer', 'write']);
  });

  it('processing lets a waiting API write go first, but waits for it 20 ms at most', async () => {
    const processing = new WriteGate();
    const api = new WriteGate(processing.buffer);
    processing.enterProcessing();
    const write = api.write(() => 'written');
    await sleep(5); // the write is waiting
    processing.leaveProcessing();
    // The write cannot run while this thread is held, so processing waits it out, then takes its turn.
    const t = performance.now();
    processing.enterProcessing();
    expect(performance.now() - t).toBeGreaterThanOrEqual(15);
    let done = false;
    void write.then(() => (done = true));
    await sleep(50);
    expect(done).toBe(false);
    processing.leaveProcessing();
    expect(await write).toBe('written');

    // With nobody waiting, processing takes its turn at once.
    const t2 = performance.now();
    processing.enterProcessing();
    expect(performance.now() - t2).toBeLessThan(5);
    processing.leaveProcessing();
  });

  it('tells processing whether an API write had to wait for one of its transactions since it last asked', async () => {
    const processing = new WriteGate();
    const api = new WriteGate(processing.buffer);
    await api.write(() => 'no transaction in progress');
    expect(processing.contended()).toBe(false);
    processing.enterProcessing();
    const write = api.write(() => 'waited');
    processing.leaveProcessing();
    expect(await write).toBe('waited');
    expect(processing.contended()).toBe(true);
    expect(processing.contended()).toBe(false); // asked: counted afresh
  });
});
