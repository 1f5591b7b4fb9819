import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basic, bearer, startTestHub, WRITE_KEY, type TestHub } from '../../test/helpers.js';
import { SHORT_PATHS } from './web-routes.js';

interface Item {
  readonly messageId: string;
  readonly type: string;
  readonly event?: string;
  readonly traits?: Record<string, unknown>;
  readonly properties?: Record<string, unknown>;
}

describe('web SDK endpoints (in-process)', () => {
  let t: TestHub;
  beforeEach(async () => {
    t = await startTestHub();
  });
  afterEach(async () => t.close());

  const text = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, headers: { 'content-type': 'text/plain', ...headers }, payload: JSON.stringify(body) });
  const timeline = async (type: string, value: string): Promise<Item[]> => {
    await t.settle();
    const p = await t.app.inject({ url: `/v1/profiles/by/${type}/${value}`, headers: { authorization: bearer() } });
    if (p.statusCode !== 200) return [];
    const id = p.json<{ id: string }>().id;
    const tl = await t.app.inject({ url: `/v1/profiles/${id}/timeline`, headers: { authorization: bearer() } });
    return tl.json<{ items: Item[] }>().items.reverse();
  };

  it('maps each short path to its type: /v1/t track, /v1/i identify, /v1/p page, /v1/s screen, /v1/g group, /v1/a alias', () => {
    expect(Object.fromEntries(SHORT_PATHS)).toEqual({ '/v1/t': 'track', '/v1/i': 'identify', '/v1/p': 'page', '/v1/s': 'screen', '/v1/g': 'group', '/v1/a': 'alias' });
  });

  it('accepts what analytics.js sends: text/plain, write key in the body and as Basic, userId null', async () => {
    const common = { writeKey: WRITE_KEY, anonymousId: 'anon-1', userId: null, context: { userAgent: 'UA' }, _metadata: { bundled: ['Segment.io'] } };
    const calls: [string, object][] = [
      ['/v1/p', { ...common, messageId: 'm-p', type: 'page', properties: { url: 'https://shop.example.com/' } }],
      ['/v1/t', { ...common, messageId: 'm-t', type: 'track', event: 'Viewed' }],
      ['/v1/s', { ...common, messageId: 'm-s', type: 'screen', name: 'Home' }],
      ['/v1/g', { ...common, messageId: 'm-g', type: 'group', groupId: 'acme' }],
      ['/v1/i', { ...common, messageId: 'm-i', type: 'identify', userId: 'u-1', traits: { plan: 'pro' } }],
      ['/v1/a', { ...common, messageId: 'm-a', type: 'alias', userId: 'u-1', previousId: 'anon-1' }],
    ];
    for (const [url, body] of calls) {
      const r = await text(url, body, { authorization: basic() });
      expect(r.statusCode, url).toBe(200);
      expect(r.json()).toEqual({ success: true });
    }
    expect((await timeline('anonymousId', 'anon-1')).map((e) => e.messageId)).toEqual(['m-p', 'm-t', 'm-s', 'm-g', 'm-i', 'm-a']);
  });

  it('validates like the long paths: a wrong type, no ids, a bad key', async () => {
    const wrong = await text('/v1/t', { writeKey: WRITE_KEY, type: 'page', anonymousId: 'a' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json<{ errors: { path: string }[] }>().errors[0]?.path).toBe('type');
    const noIds = await text('/v1/p', { writeKey: WRITE_KEY, userId: null, anonymousId: null });
    expect(noIds.json<{ errors: { path: string }[] }>().errors[0]?.path).toBe('userId');
    expect((await text('/v1/t', { writeKey: 'nope', anonymousId: 'a', event: 'E' })).statusCode).toBe(401);
    expect((await text('/v1/t', { anonymousId: 'a', event: 'E' })).statusCode).toBe(401);
    expect(await t.hub.store.log.head()).toBe(0);
  });

  it('is idempotent across short and long paths: one messageId is stored once', async () => {
    const body = { writeKey: WRITE_KEY, anonymousId: 'anon-2', event: 'Retried', messageId: 'same' };
    for (const url of ['/v1/t', '/v1/t', '/v1/track']) expect((await text(url, body)).statusCode).toBe(200);
    expect(await t.hub.store.log.head()).toBe(1);
  });

  it('/v1/b is /v1/batch: all or nothing', async () => {
    const batch = (second: object) => ({ writeKey: WRITE_KEY, batch: [{ type: 'track', anonymousId: 'anon-3', event: 'One', messageId: 'b-1' }, second], sentAt: new Date().toISOString() });
    const bad = await text('/v1/b', batch({ type: 'nope', anonymousId: 'anon-3' }));
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ errors: { path: string }[] }>().errors[0]?.path).toBe('batch[1].type');
    expect(await t.hub.store.log.head()).toBe(0);
    expect((await text('/v1/b', batch({ type: 'page', anonymousId: 'anon-3', messageId: 'b-2' }))).statusCode).toBe(200);
    expect((await timeline('anonymousId', 'anon-3')).map((e) => e.messageId)).toEqual(['b-1', 'b-2']);
  });

  it('accepts what RudderStack sends: null properties, identify traits in context.traits, beacon batches keyed by the query string', async () => {
    const rs = { anonymousId: 'rs-anon', channel: 'web', event: null, properties: null, integrations: { All: true }, context: { traits: {} } };
    const headers = { authorization: basic(), 'content-type': 'application/json;charset=UTF-8', anonymousid: Buffer.from('rs-anon').toString('base64') };
    const track = await t.app.inject({ method: 'POST', url: '/v1/track', headers, payload: JSON.stringify({ ...rs, type: 'track', event: 'Clicked', messageId: 'r-1' }) });
    expect(track.statusCode).toBe(200);
    const identify = { ...rs, type: 'identify', userId: 'rs-user', messageId: 'r-2', context: { traits: { email: 'Grace@Example.com', name: 'Grace' } } };
    expect((await t.app.inject({ method: 'POST', url: '/v1/identify', headers, payload: JSON.stringify(identify) })).statusCode).toBe(200);
    const beacon = await text(`/beacon/v1/batch?writeKey=${WRITE_KEY}`, { batch: [{ ...rs, type: 'track', event: 'Left', messageId: 'r-3' }], sentAt: new Date().toISOString() });
    expect(beacon.statusCode).toBe(200);
    expect((await text('/beacon/v1/batch?writeKey=nope', { batch: [{ ...rs, type: 'track', event: 'X' }] })).statusCode).toBe(401);

    const items = await timeline('email', 'grace@example.com');
    expect(items.map((e) => e.messageId)).toEqual(['r-1', 'r-2', 'r-3']);
    expect(items[0]).not.toHaveProperty('properties');
    expect(items[1]?.traits).toEqual({ email: 'Grace@Example.com', name: 'Grace' });
    const profile = await t.app.inject({ url: '/v1/profiles/by/userId/rs-user', headers: { authorization: bearer() } });
    expect(profile.json<{ traits: object }>().traits).toMatchObject({ name: 'Grace' });
  });

  it('accepts and drops the SDKs’ own metrics', async () => {
    const series = { series: [{ type: 'Counter', metric: 'analytics_js.invoke', value: 1, tags: { library: 'analytics.js' } }] };
    for (const url of ['/v1/m', '/rsaMetrics']) {
      const r = await text(url, series);
      expect(r.statusCode, url).toBe(200);
    }
    expect(await t.hub.store.log.head()).toBe(0);
  });

  describe('analytics.js settings', () => {
    it('point the SDK back at the hub, by the host and protocol the browser used', async () => {
      const r = await t.app.inject({ url: `/v1/projects/${WRITE_KEY}/settings`, headers: { host: 'hub.example.com:8443', origin: 'https://shop.example.com' } });
      expect(r.statusCode).toBe(200);
      expect(r.headers['cache-control']).toBe('private, max-age=300');
      expect(r.headers['access-control-allow-origin']).toBe('https://shop.example.com');
      const s = r.json<{ integrations: Record<string, Record<string, unknown>>; metrics: Record<string, unknown>; remotePlugins: unknown[] }>();
      expect(Object.keys(s.integrations)).toEqual(['Segment.io']);
      expect(s.integrations['Segment.io']).toMatchObject({
        apiKey: WRITE_KEY,
        apiHost: 'hub.example.com:8443/v1',
        protocol: 'http',
        deliveryStrategy: { strategy: 'standard', config: { keepalive: true } },
      });
      expect(s.metrics).toMatchObject({ sampleRate: 0 });
      expect(s.remotePlugins).toEqual([]);
    });

    it('behind a TLS proxy, say https and the public host', async () => {
      const r = await t.app.inject({ url: `/v1/projects/${WRITE_KEY}/settings`, headers: { host: '10.0.0.5:8080', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'events.example.com' } });
      expect(r.json<{ integrations: Record<string, unknown> }>().integrations['Segment.io']).toMatchObject({ apiHost: 'events.example.com/v1', protocol: 'https' });
    });

    it('are 404 for an unknown write key', async () => {
      const r = await t.app.inject({ url: '/v1/projects/not-a-key/settings' });
      expect(r.statusCode).toBe(404);
      expect(r.headers['content-type']).toMatch(/problem\+json/);
    });
  });

  describe('RudderStack source config', () => {
    const url = `/sourceConfig/?p=npm&v=3.34.1&build=modern&writeKey=${WRITE_KEY}&lockIntegrationsVersion=true&lockPluginsVersion=true`;

    it('answers the SDK (Basic auth, and the key in the query) with an enabled source and no destinations', async () => {
      for (const r of [await t.app.inject({ url, headers: { authorization: basic() } }), await t.app.inject({ url: `/sourceConfig?writeKey=${WRITE_KEY}` })]) {
        expect(r.statusCode).toBe(200);
        const body = r.json<{ source: Record<string, unknown> }>();
        expect(body.source).toMatchObject({ enabled: true, destinations: [], writeKey: WRITE_KEY, config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } } });
        expect(typeof body.source.id).toBe('string');
      }
    });

    it('is 401 without a key or with a wrong one', async () => {
      expect((await t.app.inject({ url: '/sourceConfig/' })).statusCode).toBe(401);
      expect((await t.app.inject({ url: '/sourceConfig/?writeKey=nope' })).statusCode).toBe(401);
      expect((await t.app.inject({ url, headers: { authorization: basic('nope') } })).statusCode).toBe(401);
    });
  });

  it('every web route is in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    const expected: [string, string][] = [
      ...SHORT_PATHS.map(([p]) => [p, 'post'] as [string, string]),
      ['/v1/b', 'post'], ['/v1/m', 'post'], ['/beacon/v1/batch', 'post'], ['/rsaMetrics', 'post'],
      ['/v1/projects/{writeKey}/settings', 'get'], ['/sourceConfig/', 'get'],
      ['/sdk/segment/{file}', 'get'], ['/analytics-next/bundles/{file}', 'get'], ['/analytics.js/v1/{writeKey}/analytics.min.js', 'get'], ['/sdk/rudderstack/{file}', 'get'],
      ['/v1/workspace/settings', 'get'], ['/v1/workspace/settings', 'put'],
    ];
    for (const [path, method] of expected) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
  });
});
