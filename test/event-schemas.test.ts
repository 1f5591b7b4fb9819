import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../src/adapters/clock/virtual.js';
import { bearer, startTestHub, type TestHub } from './helpers.js';

/** The event schemas admin API in-process, and journeys checked against them (an unknown event is refused; nothing is saved or published). */

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

let t: TestHub | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function hubAt(now: number): Promise<{ t: TestHub; clock: VirtualClock }> {
  const clock = new VirtualClock(now);
  t = await startTestHub({}, clock);
  return { t, clock };
}

const admin = (hub: TestHub, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  hub.app.inject({ method, url, headers: { authorization: bearer(), 'content-type': 'application/json' }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });
const schemaUrl = (event: string) => `/v1/event-schemas/${encodeURIComponent(event)}`;

interface Problem {
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}
const pathsOf = (body: string) => (JSON.parse(body) as Problem).errors?.map((e) => e.path).sort();

const cartUpdated = { description: 'the cart changed', properties: { cartId: { type: 'string', required: true }, total: { type: 'number' } } };
const orderCompleted = { properties: { cartId: { type: 'string', required: true }, orderId: { type: 'string' }, revenue: { type: 'number' } } };

/** Cart updated → wait a day for the order of the same cart → goal; else a reminder. */
const cartJourney = (awaited = 'Order Completed') => ({
  id: 'abandoned-cart',
  name: 'Abandoned cart',
  owner: 'ada@example.com',
  team: 'growth',
  entry: { event: 'Cart Updated', where: [{ property: 'total', op: 'gt', value: 0 }] },
  goal: { event: { event: 'Order Completed' }, within: { amount: 7, unit: 'days' } },
  start: 'await',
  steps: {
    await: { kind: 'waitFor', event: awaited, sameAsEntry: ['cartId'], timeout: { amount: 1, unit: 'days' }, next: 'done', onTimeout: 'remind' },
    remind: { kind: 'action', channel: 'email', template: 'cart-reminder', next: 'done' },
    done: { kind: 'exit' },
  },
});

async function putSchemas(hub: TestHub): Promise<void> {
  for (const [event, body] of [['Cart Updated', cartUpdated], ['Order Completed', orderCompleted]] as const) {
    const res = await admin(hub, 'PUT', schemaUrl(event), body);
    expect(res.statusCode, res.body).toBe(201);
  }
}

describe('event schemas admin API', () => {
  it('creates (201), replaces (200, a new version), reads, lists and deletes (204) schemas named by events with spaces', async () => {
    const { t, clock } = await hubAt(T0);
    expect((await admin(t, 'GET', '/v1/event-schemas')).json()).toEqual({ items: [], nextCursor: null });

    const created = await admin(t, 'PUT', '/v1/event-schemas/Cart%20Updated', cartUpdated);
    expect(created.statusCode, created.body).toBe(201);
    const first = { event: 'Cart Updated', ...cartUpdated, version: 1, createdAt: iso(T0), updatedAt: iso(T0) };
    expect(created.json()).toEqual(first);
    expect((await admin(t, 'GET', '/v1/event-schemas/Cart%20Updated')).json()).toEqual(first);

    clock.advance(60_000);
    const replaced = await admin(t, 'PUT', schemaUrl('Cart Updated'), { properties: { cartId: { type: 'string' } } });
    expect(replaced.statusCode, replaced.body).toBe(200);
    const second = { event: 'Cart Updated', properties: { cartId: { type: 'string' } }, version: 2, createdAt: iso(T0), updatedAt: iso(T0 + 60_000) };
    expect(replaced.json()).toEqual(second);

    const slashed = await admin(t, 'PUT', schemaUrl('Checkout Step/Viewed'), { properties: {} });
    expect(slashed.statusCode, slashed.body).toBe(201);
    expect(slashed.json()).toMatchObject({ event: 'Checkout Step/Viewed', properties: {} });
    const list = (await admin(t, 'GET', '/v1/event-schemas')).json<{ items: { event: string }[]; nextCursor: null }>();
    expect(list.items.map((s) => s.event)).toEqual(['Cart Updated', 'Checkout Step/Viewed']);
    expect(list.items[0]).toEqual(second);
    expect(list.nextCursor).toBeNull();

    const long = `${'Long '.repeat(51)}x`;
    expect(long).toHaveLength(256);
    expect((await admin(t, 'PUT', schemaUrl(long), { properties: {} })).statusCode).toBe(201);
    expect((await admin(t, 'GET', schemaUrl(long))).json()).toMatchObject({ event: long });
    expect((await admin(t, 'DELETE', schemaUrl(long))).statusCode).toBe(204);

    expect((await admin(t, 'DELETE', schemaUrl('Cart Updated'))).statusCode).toBe(204);
    const gone = await admin(t, 'GET', schemaUrl('Cart Updated'));
    expect(gone.statusCode).toBe(404);
    expect(gone.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(gone.json<Problem>().detail).toMatch(/"Cart Updated"/);
    expect((await admin(t, 'DELETE', schemaUrl('Cart Updated'))).statusCode).toBe(404);
    expect((await admin(t, 'GET', '/v1/event-schemas')).json<{ items: unknown[] }>().items).toHaveLength(1);
    expect((await t.app.inject({ url: '/v1/event-schemas' })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'PUT', url: schemaUrl('X'), payload: { properties: {} } })).statusCode).toBe(401);
  });

  it('refuses an invalid schema with a 400 naming each bad field, and saves nothing', async () => {
    const { t } = await hubAt(T0);
    const cases: [string, string, unknown, string[]][] = [
      ['unknown property type', 'Cart Updated', { properties: { total: { type: 'money' } } }, ['properties.total.type']],
      ['property without a type', 'Cart Updated', { properties: { total: { required: true } } }, ['properties.total.type']],
      ['required not a boolean', 'Cart Updated', { properties: { total: { type: 'number', required: 'yes' } } }, ['properties.total.required']],
      ['unknown field', 'Cart Updated', { properties: {}, colour: 'blue' }, ['colour']],
      ['unknown field of a property', 'Cart Updated', { properties: { total: { type: 'number', format: 'money' } } }, ['properties.total.format']],
      ['no properties', 'Cart Updated', { description: 'x' }, ['properties']],
      ['description not a string', 'Cart Updated', { description: 3, properties: {} }, ['description']],
      ['event name too long', 'x'.repeat(257), { properties: {} }, ['event']],
      ['both', 'x'.repeat(257), { properties: { a: { type: 'text' } } }, ['event', 'properties.a.type']],
    ];
    for (const [what, event, body, paths] of cases) {
      const res = await admin(t, 'PUT', schemaUrl(event), body);
      expect(res.statusCode, what).toBe(400);
      expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
      expect(pathsOf(res.body), what).toEqual(paths);
    }
    expect((await admin(t, 'GET', '/v1/event-schemas')).json()).toEqual({ items: [], nextCursor: null });
  });
});

describe('journeys checked against event schemas', () => {
  it('refuses a journey waiting for an undeclared event (400 naming steps.<id>.event, nothing saved); the right names are accepted', async () => {
    const { t } = await hubAt(T0);
    await putSchemas(t);

    const wrong = await admin(t, 'POST', '/v1/journeys', cartJourney('Order Shipped'));
    expect(wrong.statusCode, wrong.body).toBe(400);
    expect(wrong.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(wrong.json<Problem>().errors).toEqual([
      { path: 'steps.await.event', message: 'names unknown event "Order Shipped" (not in the workspace\'s event schemas)' },
    ]);
    expect((await admin(t, 'GET', '/v1/journeys/abandoned-cart')).statusCode).toBe(404);
    expect((await admin(t, 'GET', '/v1/journeys')).json()).toEqual({ items: [], nextCursor: null });

    const badProperty = cartJourney();
    const colour = await admin(t, 'POST', '/v1/journeys', { ...badProperty, entry: { event: 'Cart Updated', where: [{ property: 'colour', op: 'exists' }] } });
    expect(colour.statusCode).toBe(400);
    expect(colour.json<Problem>().errors).toEqual([{ path: 'entry.where[0].property', message: '"colour" is not a property of event "Cart Updated"' }]);

    const right = await admin(t, 'POST', '/v1/journeys', cartJourney());
    expect(right.statusCode, right.body).toBe(201);
    expect((await admin(t, 'GET', '/v1/journeys/abandoned-cart')).statusCode).toBe(200);
  });

  it('publish checks again: a draft naming an event whose schema was deleted is not published', async () => {
    const { t } = await hubAt(T0);
    await putSchemas(t);
    expect((await admin(t, 'POST', '/v1/journeys', cartJourney())).statusCode).toBe(201);
    await admin(t, 'PUT', schemaUrl('Cart Updated'), { properties: { cartId: { type: 'string' } } });

    const refused = await admin(t, 'POST', '/v1/journeys/abandoned-cart/publish');
    expect(refused.statusCode, refused.body).toBe(400);
    expect(refused.json<Problem>().errors).toEqual([{ path: 'entry.where[0].property', message: '"total" is not a property of event "Cart Updated"' }]);
    expect((await admin(t, 'GET', '/v1/journeys/abandoned-cart')).json()).toMatchObject({ status: 'draft', liveVersion: null, versions: [] });

    // Without any event schema, nothing is checked (opt-in), as before.
    for (const e of ['Cart Updated', 'Order Completed']) expect((await admin(t, 'DELETE', schemaUrl(e))).statusCode).toBe(204);
    const published = await admin(t, 'POST', '/v1/journeys/abandoned-cart/publish');
    expect(published.statusCode, published.body).toBe(200);
    expect((await admin(t, 'POST', '/v1/journeys', { ...cartJourney('Order Shipped'), id: 'other' })).statusCode).toBe(201);
  });

  it('documents the routes in /openapi.json', async () => {
    const { t } = await hubAt(T0);
    const doc = (await t.app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    for (const [path, method] of [['/v1/event-schemas', 'get'], ['/v1/event-schemas/{event}', 'get'], ['/v1/event-schemas/{event}', 'put'], ['/v1/event-schemas/{event}', 'delete']] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
  });
});
