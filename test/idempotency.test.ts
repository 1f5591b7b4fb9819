import { describe, expect, it } from 'vitest';
import { bearer, hubAt, type TestHub } from './helpers.js';

/** Admin POSTs with an Idempotency-Key act once: a retry gets the first answer (DESIGN §5b). */

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

const post = (t: TestHub, url: string, payload: unknown, key?: string) =>
  t.app.inject({
    method: 'POST', url, payload: JSON.stringify(payload),
    headers: { authorization: bearer(), 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
  });

const segment = { name: 'Buyers', condition: { kind: 'event', event: 'Order Completed' } };
const journey = {
  id: 'welcome', name: 'Welcome', owner: 'ada@example.com', team: 'Growth', entry: { event: 'Signed Up' }, start: 'end', steps: { end: { kind: 'exit' } },
};

describe('Idempotency-Key on admin POSTs', () => {
  it('a retried create answers the first answer and creates nothing more', async () => {
    const { t } = await hubAt(T0);
    const first = await post(t, '/v1/segments', segment, 'k-1');
    expect(first.statusCode, first.body).toBe(201);
    const again = await post(t, '/v1/segments', segment, 'k-1');
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    const list = await t.app.inject({ method: 'GET', url: '/v1/segments', headers: { authorization: bearer() } });
    expect(list.json<{ items: unknown[] }>().items).toHaveLength(1);
    // Without the key the same request acts again (here: refused, the name exists).
    expect((await post(t, '/v1/segments', segment)).statusCode).toBe(400);
  });

  it('a retried publish makes one version; the same key with another request is a 422', async () => {
    const { t } = await hubAt(T0);
    expect((await post(t, '/v1/journeys', journey)).statusCode).toBe(201);
    const first = await post(t, '/v1/journeys/welcome/publish', {}, 'pub-1');
    const again = await post(t, '/v1/journeys/welcome/publish', {}, 'pub-1');
    expect(first.json()).toEqual({ version: 1 });
    expect(again.json()).toEqual({ version: 1 });
    expect((await t.hub.store.journeys.versions('ws_default', 'welcome')).map((v) => v.version)).toEqual([1]);
    const reused = await post(t, '/v1/journeys/welcome/pause', {}, 'pub-1');
    expect(reused.statusCode).toBe(422);
    expect(reused.json()).toMatchObject({ errors: [{ path: 'Idempotency-Key' }] });
    expect((await t.hub.store.journeys.get('ws_default', 'welcome'))?.status).toBe('live');
  });

  it('an invalid key is a 400 naming the header; a first answer of 400 is kept like any other', async () => {
    const { t } = await hubAt(T0);
    const long = await post(t, '/v1/segments', segment, 'x'.repeat(256));
    expect(long.statusCode).toBe(400);
    expect(long.json()).toMatchObject({ errors: [{ path: 'Idempotency-Key' }] });
    const bad = { name: 'Bad', condition: { kind: 'event' } };
    const first = await post(t, '/v1/segments', bad, 'k-bad');
    const again = await post(t, '/v1/segments', bad, 'k-bad');
    expect(first.statusCode).toBe(400);
    expect(again.statusCode).toBe(400);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
  });
});
