import { describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import type { WriteGate } from '../src/adapters/sqlite/write-gate.js';
import { ProcessingThread } from '../src/engine/processing-thread.js';
import { Processor } from '../src/engine/processor.js';
import { admin, sendBatch, settled, startTestHub, type TestHub } from './helpers.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

/** 40 people: anonymous visits, then some identify (merging their visits), order and join a company. */
function events(from = 0, count = 40): unknown[] {
  const out: unknown[] = [];
  for (let i = from; i < from + count; i++) {
    const ts = (k: number): string => iso(T0 + i * 1000 + k);
    out.push({ type: 'page', anonymousId: `anon-${i}`, name: 'Home', timestamp: ts(0), messageId: `p-${i}` });
    if (i % 2 === 0) out.push({ type: 'identify', anonymousId: `anon-${i}`, userId: `u${i}`, traits: { email: `u${i}@example.com`, plan: i % 4 === 0 ? 'pro' : 'free' }, timestamp: ts(1), messageId: `i-${i}` });
    if (i % 3 === 0) out.push({ type: 'track', userId: `u${i}`, anonymousId: `anon-${i}`, event: 'Order Completed', properties: { revenue: i }, timestamp: ts(2), messageId: `o-${i}` });
    if (i % 5 === 0) out.push({ type: 'group', userId: `u${i}`, anonymousId: `anon-${i}`, groupId: `acme-${i % 2}`, traits: { name: 'Acme' }, timestamp: ts(3), messageId: `g-${i}` });
  }
  return out;
}

/** What the read API answers about each person, without the ids (made from the clock). */
async function people(t: TestHub, from = 0, count = 40) {
  const out: unknown[] = [];
  for (let i = from; i < from + count; i++) {
    const res = await admin(t, 'GET', `/v1/profiles/by/anonymousId/anon-${i}`);
    expect(res.statusCode, res.body).toBe(200);
    const p = res.json<{ id: string; identifiers: unknown[]; traits: unknown; groups: unknown[] }>();
    const timeline = (await admin(t, 'GET', `/v1/profiles/${p.id}/timeline?limit=50`)).json<{ items: { messageId: string }[] }>();
    out.push({ identifiers: p.identifiers, traits: p.traits, groups: p.groups, timeline: timeline.items.map((e) => e.messageId) });
  }
  return out;
}

const count = async (t: TestHub, segment: string): Promise<number> => (await admin(t, 'GET', `/v1/segments/${segment}/count`)).json<{ count: number }>().count;

describe('processing on a thread of its own (the default on the system clock)', () => {
  it('gives the same profiles, identifiers, traits, groups and timelines as processing on the main thread', async () => {
    const seen: unknown[] = [];
    for (const processing of ['thread', 'inline'] as const) {
      const t = await startTestHub({ processing });
      try {
        expect(t.hub.processor).toBeInstanceOf(processing === 'thread' ? ProcessingThread : Processor);
        await sendBatch(t, events());
        await t.settle();
        const head = await t.hub.store.log.head();
        expect(t.hub.processor.position).toEqual({ cursor: head, head });
        expect(t.hub.processor.lag).toBe(0);
        seen.push(await people(t));
      } finally {
        await t.close();
      }
    }
    expect(seen[0]).toEqual(seen[1]);
    expect(JSON.stringify(seen[0])).toContain('u0@example.com');
  });

  it('takes up definitions changed over the API: a new segment is backfilled, follows new events, and a change to it is backfilled again', async () => {
    const t = await startTestHub();
    try {
      await sendBatch(t, events(0, 12));
      await settled(t);
      const created = await admin(t, 'POST', '/v1/segments', { name: 'Buyers', condition: { kind: 'event', event: 'Order Completed' } });
      expect(created.statusCode, created.body).toBe(201);
      const seg = created.json<{ id: string }>().id;
      await settled(t);
      expect((await admin(t, 'GET', `/v1/segments/${seg}`)).json()).toMatchObject({ backfill: { status: 'done' } });
      expect(await count(t, seg)).toBe(4); // u0, u3, u6, u9

      await sendBatch(t, events(12, 6)); // u12 and u15 order
      await settled(t);
      expect(await count(t, seg)).toBe(6);

      const changed = await admin(t, 'PUT', `/v1/segments/${seg}`, {
        name: 'Big buyers', condition: { kind: 'event', event: 'Order Completed', where: [{ property: 'revenue', op: 'gte', value: 9 }] },
      });
      expect(changed.statusCode, changed.body).toBe(200);
      await settled(t);
      expect(await count(t, seg)).toBe(3); // u9, u12, u15
    } finally {
      await t.close();
    }
  });

  it("a thread that dies inside a write transaction does not hold up the API's writes", async () => {
    const t = await startTestHub();
    try {
      const thread = t.hub.processor as unknown as { worker: Worker; gate: WriteGate };
      thread.gate.enterProcessing(); // as the thread would have left it
      const exited = new Promise((r) => thread.worker.once('exit', r));
      await thread.worker.terminate();
      await exited;
      const write = t.hub.store.context.put('ws_default', { dimension: 'weather', key: 'Lyon', value: { rain: true }, updatedAt: 1 }).then(() => 'written');
      expect(await Promise.race([write, new Promise((r) => setTimeout(() => r('still waiting'), 2_000))])).toBe('written');
    } finally {
      await t.close();
    }
  });

  it('is started again when its thread dies, and processes every event acknowledged meanwhile once', async () => {
    const t = await startTestHub();
    try {
      await sendBatch(t, events(0, 10));
      await t.settle();
      const thread = t.hub.processor as unknown as { worker: Worker };
      await thread.worker.terminate();
      await sendBatch(t, events(10, 10)); // acknowledged while no thread processes
      await t.settle();
      expect(t.hub.processor.lag).toBe(0);
      const all = await people(t, 0, 20);
      expect(all).toHaveLength(20);
      // Each event once on its timeline: the page, and the identify, order and group where sent.
      const timelines = all.map((p) => (p as { timeline: string[] }).timeline);
      expect(timelines.flat()).toHaveLength(new Set(timelines.flat()).size);
      expect(timelines.flat()).toHaveLength(events(0, 20).length);
    } finally {
      await t.close();
    }
  });
});
