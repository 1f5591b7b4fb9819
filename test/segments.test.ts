import { describe, expect, it } from 'vitest';
import type { Condition } from '../src/core/conditions/schema.js';
import { previewCondition } from '../src/engine/preview.js';
import { admin, hubAt, sendBatch, settled, startTestHub, type TestHub } from './helpers.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const iso = (ms: number): string => new Date(ms).toISOString();

async function profileOf(hub: TestHub, userId: string) {
  const p = (await admin(hub, 'GET', `/v1/profiles/by/userId/${userId}`)).json<{ id: string }>();
  const segments = (await admin(hub, 'GET', `/v1/profiles/${p.id}/segments`)).json<{ items: { segmentId: string }[] }>().items.map((s) => s.segmentId);
  const timeline = (await admin(hub, 'GET', `/v1/profiles/${p.id}/timeline?limit=200`)).json<{ items: { event?: string; type: string; timestamp: string; properties?: Record<string, unknown> }[] }>().items;
  return { id: p.id, segments, timeline };
}

const order = (userId: string, ts: number, extra: Record<string, unknown> = {}) => ({
  type: 'track', userId, event: 'Order Completed', timestamp: iso(ts), messageId: `o-${userId}-${ts}`, properties: { revenue: 10, ...extra },
});

describe('segments over the admin API, kept up to date by the event stream and exact timers', () => {
  it('a profile enters "bought in the last 30 days" with its order and leaves at the exact instant the 30 days run out', async () => {
    const { t, clock } = await hubAt(T0);
    const created = await admin(t, 'POST', '/v1/segments', {
      name: 'Recent buyers', condition: { kind: 'event', event: 'Order Completed', within: { last: { amount: 30, unit: 'days' } } },
    });
    expect(created.statusCode, created.body).toBe(201);
    const seg = created.json<{ id: string }>().id;
    const bought = T0 - DAY;
    await sendBatch(t, [order('ada', bought), { type: 'track', userId: 'bob', event: 'Page Viewed', timestamp: iso(T0) }]);
    await settled(t);

    let ada = await profileOf(t, 'ada');
    expect(ada.segments).toEqual([seg]);
    expect(ada.timeline[0]).toMatchObject({ event: 'Segment Entered', timestamp: iso(T0), properties: { segmentId: seg, segmentName: 'Recent buyers' } });
    expect((await profileOf(t, 'bob')).segments).toEqual([]);
    expect((await admin(t, 'GET', `/v1/segments/${seg}/count`)).json()).toMatchObject({ count: 1 });

    clock.advanceTo(bought + 30 * DAY); // exactly at the edge: still within the last 30 days
    await settled(t);
    expect((await profileOf(t, 'ada')).segments).toEqual([seg]);

    clock.advanceTo(bought + 30 * DAY + 1);
    await settled(t);
    ada = await profileOf(t, 'ada');
    expect(ada.segments).toEqual([]);
    expect(ada.timeline[0]).toMatchObject({ event: 'Segment Exited', timestamp: iso(bought + 30 * DAY + 1) });
    expect(ada.timeline.filter((e) => e.event === 'Segment Exited')).toHaveLength(1);
    expect((await admin(t, 'GET', `/v1/segments/${seg}/count`)).json()).toMatchObject({ count: 0 });
  });

  it('a computed trait over a rolling window drives a segment; merging profiles combines their histories', async () => {
    const { t, clock } = await hubAt(T0);
    const trait = await admin(t, 'POST', '/v1/computed-traits', { name: 'orders_7d', event: 'Order Completed', aggregate: 'count', window: { amount: 7, unit: 'days' } });
    expect(trait.statusCode, trait.body).toBe(201);
    const seg = (await admin(t, 'POST', '/v1/segments', {
      name: 'Frequent', condition: { kind: 'trait', source: 'computed', name: 'orders_7d', op: 'gte', value: 2 },
    })).json<{ id: string }>().id;
    // One order as an anonymous visitor, one once known: the alias joins them, and the count is 2.
    await sendBatch(t, [
      { type: 'track', anonymousId: 'anon-1', event: 'Order Completed', timestamp: iso(T0 - 2 * DAY), messageId: 'a1', properties: {} },
      order('cy', T0 - DAY),
    ]);
    await settled(t);
    expect((await profileOf(t, 'cy')).segments).toEqual([]);
    await sendBatch(t, [{ type: 'alias', previousId: 'anon-1', userId: 'cy', messageId: 'al' }]);
    await settled(t);
    expect((await profileOf(t, 'cy')).segments).toEqual([seg]);
    clock.advanceTo(T0 - 2 * DAY + 7 * DAY + 1); // the anonymous order leaves the window
    await settled(t);
    expect((await profileOf(t, 'cy')).segments).toEqual([]);
  });

  it('a computed trait created (then changed) after the events is backfilled from each profile history, as a segment on it', async () => {
    const { t } = await hubAt(T0);
    const orders = (u: string, n: number, revenue: number) => Array.from({ length: n }, (_, i) => order(u, T0 - (i + 1) * DAY, { revenue }));
    await sendBatch(t, [...orders('ann', 3, 10), ...orders('ben', 1, 50), { type: 'track', userId: 'cal', event: 'Page Viewed', timestamp: iso(T0) }]);
    await settled(t);
    const big = { event: 'Order Completed', aggregate: 'count', where: [{ property: 'revenue', op: 'gte', value: 20 }] };
    const trait = await admin(t, 'POST', '/v1/computed-traits', { name: 'orders', ...big });
    expect(trait.statusCode, trait.body).toBe(201);
    await settled(t);
    const one = (await admin(t, 'POST', '/v1/segments', { name: 'One+', condition: { kind: 'trait', source: 'computed', name: 'orders', op: 'gte', value: 1 } })).json<{ id: string }>().id;
    await settled(t);
    expect((await profileOf(t, 'ann')).segments).toEqual([]);
    expect((await profileOf(t, 'ben')).segments).toEqual([one]);
    // Now every order counts: each profile's count is taken again from its history (not added to what was stored).
    const changed = await admin(t, 'PUT', `/v1/computed-traits/${trait.json<{ id: string }>().id}`, { name: 'orders', event: 'Order Completed', aggregate: 'count' });
    expect(changed.statusCode, changed.body).toBe(200);
    await settled(t);
    const two = (await admin(t, 'POST', '/v1/segments', { name: 'Two+', condition: { kind: 'trait', source: 'computed', name: 'orders', op: 'gte', value: 2 } })).json<{ id: string }>().id;
    await settled(t);
    expect((await profileOf(t, 'ann')).segments.sort()).toEqual([one, two].sort());
    expect((await profileOf(t, 'ben')).segments).toEqual([one]);
    expect((await profileOf(t, 'cal')).segments).toEqual([]);
  });

  it('a new segment is backfilled over existing profiles with progress, members page by page, and a preview estimate', async () => {
    const { t } = await hubAt(T0);
    const users = Array.from({ length: 60 }, (_, i) => `u${String(i).padStart(2, '0')}`);
    await sendBatch(t, users.map((u, i) => (i % 3 === 0 ? order(u, T0 - i * MIN, { revenue: 100 + i }) : { type: 'identify', userId: u, traits: { plan: 'free' }, timestamp: iso(T0) })));
    await settled(t);
    const condition = { kind: 'event', event: 'Order Completed', where: [{ property: 'revenue', op: 'gte', value: 100 }] };
    const preview = (await admin(t, 'POST', '/v1/segments/preview', { condition })).json<{ estimate: number; sampled: number; total: number }>();
    expect(preview).toMatchObject({ estimate: 20, sampled: 60, total: 60 });
    // Reading the sample's timelines, the preview lets the event loop run other work in between.
    let turns = 0;
    let spinning = true;
    const spin = (): void => {
      if (!spinning) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    expect(await previewCondition(t.hub, 'ws_default', condition as Condition)).toMatchObject({ estimate: 20 });
    spinning = false;
    expect(turns).toBeGreaterThan(0);

    const created = await admin(t, 'POST', '/v1/segments', { name: 'Big spenders', condition });
    const seg = created.json<{ id: string; backfill: { status: string; total: number } }>();
    expect(seg.backfill).toMatchObject({ status: 'running', total: 60 });
    await settled(t);
    expect((await admin(t, 'GET', `/v1/segments/${seg.id}`)).json()).toMatchObject({ backfill: { status: 'done', processed: 60, total: 60 } });
    expect((await admin(t, 'GET', `/v1/segments/${seg.id}/count`)).json()).toMatchObject({ count: 20 });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await admin(t, 'GET', `/v1/segments/${seg.id}/members?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      const page: { items: { profileId: string }[]; nextCursor: string | null } = res.json();
      seen.push(...page.items.map((m) => m.profileId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(20);
    expect((await profileOf(t, 'u03')).timeline[0]).toMatchObject({ event: 'Segment Entered' });
  });

  it('a future-dated event enters a rolling-window segment at its own instant and leaves exactly when its window runs out', async () => {
    const { t, clock } = await hubAt(T0);
    const seg = (await admin(t, 'POST', '/v1/segments', {
      name: 'Pinged in the last 3 s', condition: { kind: 'event', event: 'Ping', within: { last: { amount: 3, unit: 'seconds' } } },
    })).json<{ id: string }>().id;
    const at = T0 + 1_000; // the client's clock is a second ahead of the hub's
    await sendBatch(t, [{ type: 'track', userId: 'dee', event: 'Ping', timestamp: iso(at), messageId: 'ping-dee' }]);
    await settled(t);
    expect((await profileOf(t, 'dee')).segments).toEqual([]);
    clock.advanceTo(at);
    await settled(t);
    expect((await profileOf(t, 'dee')).timeline.find((e) => e.event === 'Segment Entered')).toMatchObject({ timestamp: iso(at) });
    clock.advanceTo(at + 3_000);
    await settled(t);
    expect((await profileOf(t, 'dee')).segments).toEqual([seg]);
    clock.advanceTo(at + 3_001);
    await settled(t);
    const dee = await profileOf(t, 'dee');
    expect(dee.segments).toEqual([]);
    expect(dee.timeline[0]).toMatchObject({ event: 'Segment Exited', timestamp: iso(at + 3_001) });
  });

  it('refuses bad definitions with a 400 naming the path, and saves nothing', async () => {
    const { t } = await hubAt(T0);
    const cases: [unknown, string, RegExp][] = [
      [{ name: 'x', condition: { kind: 'trait', name: 'plan', op: 'like', value: 'p' } }, 'condition.op', /./],
      [{ name: 'x', condition: { kind: 'trait', name: 'email', op: 'matches', value: '(a+)\\1' } }, 'condition.value', /backreferences/],
      [{ name: 'x', condition: { kind: 'inSegment', segment: 'seg_nope' } }, 'condition', /unknown segment seg_nope/],
      [{ name: 'x', condition: { kind: 'and', of: [{ kind: 'trait', name: 'a', op: 'gt', value: { n: 1 } }] } }, 'condition.of[0].value', /./],
      [{ name: '', condition: { kind: 'inSegment', segment: 's' } }, 'name', /./],
      [{ name: 'x' }, 'condition', /required/],
    ];
    let deep: unknown = { kind: 'trait', name: 'a', op: 'exists' };
    for (let i = 0; i < 30; i++) deep = { kind: 'not', of: deep };
    cases.push([{ name: 'deep', condition: deep }, 'condition', /deeper than 12/]);
    for (const [body, path, message] of cases) {
      const res = await admin(t, 'POST', '/v1/segments', body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json<{ errors: { path: string; message: string }[] }>().errors).toContainEqual({ path: expect.stringMatching(new RegExp(`^${path.replace(/[[\].]/g, '\\$&')}`)) as unknown, message: expect.stringMatching(message) as unknown });
    }
    const bad = await admin(t, 'POST', '/v1/computed-traits', { name: 'sum_x', event: 'E', aggregate: 'sum' });
    expect(bad.json<{ errors: { path: string }[] }>().errors[0]?.path).toBe('property');
    expect((await admin(t, 'GET', '/v1/segments')).json()).toEqual({ items: [], nextCursor: null });
    expect((await admin(t, 'GET', '/v1/computed-traits')).json()).toEqual({ items: [], nextCursor: null });
  });

  it("a workspace's admin changes run one at a time: a name taken twice at once, a segment deleted while another names it", async () => {
    // Processing on its thread (the system clock): admin writes then wait for their turn at the write lock.
    const t = await startTestHub();
    try {
      const twins = { name: 'Twins', condition: { kind: 'trait', name: 'plan', op: 'equals', value: 'pro' } };
      const both = await Promise.all([admin(t, 'POST', '/v1/segments', twins), admin(t, 'POST', '/v1/segments', twins)]);
      expect(both.map((r) => r.statusCode).sort()).toEqual([201, 400]);
      expect(both.find((r) => r.statusCode === 400)?.body).toContain("a segment named 'Twins' exists");
      const a = (await admin(t, 'POST', '/v1/segments', { name: 'A', condition: { kind: 'trait', name: 'plan', op: 'exists' } })).json<{ id: string }>().id;
      const [removed, naming] = await Promise.all([
        admin(t, 'DELETE', `/v1/segments/${a}`),
        admin(t, 'POST', '/v1/segments', { name: 'B', condition: { kind: 'inSegment', segment: a } }),
      ]);
      expect(removed.statusCode, removed.body).toBe(204);
      expect(naming.statusCode, naming.body).toBe(400); // A is gone by then: B may not name it
      expect((await admin(t, 'GET', '/v1/segments')).json<{ items: { name: string }[] }>().items.map((s) => s.name).sort()).toEqual(['Twins']);
    } finally {
      await t.close();
    }
  });

  it('context signals: publishing the weather of a city re-evaluates its profiles, and the value expires exactly', async () => {
    const { t, clock } = await hubAt(T0);
    const seg = (await admin(t, 'POST', '/v1/segments', {
      name: 'Rainy city', condition: { kind: 'context', dimension: 'weather', keyTrait: 'city', field: 'condition', op: 'equals', value: 'rain' },
    })).json<{ id: string }>().id;
    await sendBatch(t, [['ada', 'Lyon'], ['bob', 'Paris'], ['cy', 'Lyon']].map(([u, city]) => ({ type: 'identify', userId: u, traits: { city }, timestamp: iso(T0) })));
    await settled(t);
    const members = async () => (await Promise.all(['ada', 'bob', 'cy'].map(async (u) => ((await profileOf(t, u)).segments.includes(seg) ? u : '')))).filter(Boolean);
    expect(await members()).toEqual([]);

    const lyon = await admin(t, 'PUT', '/v1/context/weather/Lyon', { value: { condition: 'rain', tempC: 9 }, validFor: { amount: 2, unit: 'hours' } });
    expect(lyon.json()).toMatchObject({ dimension: 'weather', key: 'Lyon', validUntil: iso(T0 + 2 * 60 * MIN), reevaluated: 2 });
    await settled(t);
    expect(await members()).toEqual(['ada', 'cy']);
    await admin(t, 'PUT', '/v1/context/weather/Paris', { value: { condition: 'rain' } });
    await settled(t);
    expect(await members()).toEqual(['ada', 'bob', 'cy']);

    clock.advanceTo(T0 + 2 * 60 * MIN); // still valid at its last instant
    await settled(t);
    expect(await members()).toEqual(['ada', 'bob', 'cy']);
    clock.advanceTo(T0 + 2 * 60 * MIN + 1);
    await settled(t);
    expect(await members()).toEqual(['bob']);
    expect((await admin(t, 'DELETE', '/v1/context/weather/Paris')).statusCode).toBe(204);
    await settled(t);
    expect(await members()).toEqual([]);

    const bad = await admin(t, 'PUT', '/v1/context/weather/Nice', { value: 'sunny' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ errors: { path: string }[] }>().errors[0]?.path).toBe('value');
    expect((await admin(t, 'GET', '/v1/context/weather')).json<{ items: { key: string }[] }>().items.map((v) => v.key)).toEqual(['Lyon']);
  });
});
