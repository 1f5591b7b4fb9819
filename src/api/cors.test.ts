import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basic, bearer, startTestHub, WRITE_KEY, type TestHub } from '../../test/helpers.js';
import { hashKey } from '../engine/keys.js';

const SHOP = 'https://shop.example.com';
const event = (anonymousId = 'a-1') => JSON.stringify({ writeKey: WRITE_KEY, anonymousId, event: 'Viewed' });

describe('CORS on write-key endpoints', () => {
  let t: TestHub;
  beforeEach(async () => {
    t = await startTestHub();
  });
  afterEach(async () => t.close());

  const allow = async (allowedOrigins: string[]) => {
    const r = await t.app.inject({ method: 'PUT', url: '/v1/workspace/settings', headers: { authorization: bearer() }, payload: { allowedOrigins } });
    expect(r.statusCode).toBe(200);
  };
  const preflight = (url: string, origin: string, headers = 'authorization,content-type') =>
    t.app.inject({ method: 'OPTIONS', url, headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': headers } });
  const post = (url: string, origin?: string, body = event()) =>
    t.app.inject({ method: 'POST', url, headers: { 'content-type': 'text/plain', ...(origin ? { origin } : {}) }, payload: body });

  it('answers a preflight from any origin by default, echoing the origin, never with credentials', async () => {
    for (const url of ['/v1/t', '/v1/track', '/v1/batch', '/v1/b', '/v1/projects/whatever/settings', '/sourceConfig/', '/beacon/v1/batch', '/v1/m']) {
      const r = await preflight(url, SHOP, 'authorization,content-type,anonymousid,x-retry-count');
      expect(r.statusCode, url).toBe(204);
      expect(r.headers['access-control-allow-origin']).toBe(SHOP);
      expect(r.headers['access-control-allow-methods']).toBe('GET, HEAD, POST');
      expect(r.headers['access-control-allow-headers']).toBe('authorization,content-type,anonymousid,x-retry-count');
      expect(r.headers['access-control-max-age']).toBe('600');
      expect(r.headers['access-control-allow-credentials']).toBeUndefined();
      expect(r.headers.vary).toContain('Origin');
    }
  });

  it('grants the response of an allowed cross-origin POST to the page, and exposes Retry-After', async () => {
    const r = await post('/v1/t', SHOP);
    expect(r.statusCode).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe(SHOP);
    expect(r.headers['access-control-expose-headers']).toBe('Retry-After');
    expect(r.headers['access-control-allow-credentials']).toBeUndefined();
    expect(r.headers.vary).toBe('Origin');
    // errors are readable by the page too (the SDK decides whether to retry)
    const bad = await post('/v1/t', SHOP, JSON.stringify({ writeKey: WRITE_KEY, event: 'No ids' }));
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['access-control-allow-origin']).toBe(SHOP);
  });

  it('a request without Origin (a server) or from the hub itself carries no CORS headers and is never refused', async () => {
    await allow([]);
    const server = await post('/v1/t');
    expect(server.statusCode).toBe(200);
    expect(server.headers['access-control-allow-origin']).toBeUndefined();
    const same = await t.app.inject({ method: 'POST', url: '/v1/t', headers: { host: 'hub.test:8080', origin: 'http://hub.test:8080' }, payload: event() });
    expect(same.statusCode).toBe(200);
    expect(same.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a disallowed origin: no CORS headers, 403, nothing written — also for simple text/plain POSTs', async () => {
    await allow([SHOP, 'https://*.example.org']);
    const evil = 'https://evil.test';
    const pre = await preflight('/v1/t', evil);
    expect(pre.statusCode).toBe(403);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const batch = JSON.stringify({ writeKey: WRITE_KEY, batch: [{ type: 'track', anonymousId: 'x', event: 'E' }] });
    const attempts = [['/v1/t', event()], ['/v1/track', event()], ['/v1/b', batch], ['/v1/batch', batch], [`/beacon/v1/batch?writeKey=${WRITE_KEY}`, batch]];
    for (const [url = '', body] of attempts) {
      const r = await post(url, evil, body);
      expect(r.statusCode, url).toBe(403);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
      expect(r.json<{ detail: string }>().detail).toMatch(/origin https:\/\/evil.test may not send/);
    }
    const settings = await t.app.inject({ url: `/v1/projects/${WRITE_KEY}/settings`, headers: { origin: evil } });
    expect(settings.statusCode).toBe(403);
    expect(settings.headers['access-control-allow-origin']).toBeUndefined();
    expect(await t.hub.store.log.head()).toBe(0);

    expect((await post('/v1/t', 'https://a.example.org')).statusCode).toBe(200);
    expect((await post('/v1/t', SHOP)).headers['access-control-allow-origin']).toBe(SHOP);
    expect(await t.hub.store.log.head()).toBe(2);
  });

  it("checks the origin against the write key's own workspace, not any workspace", async () => {
    await allow([SHOP]);
    const ws = t.hub.store.workspaces;
    await ws.ensureWorkspace('ws_other', 'Other');
    await ws.addKey(hashKey('other-write-key'), 'ws_other', 'write');
    await t.hub.origins.update('ws_other', { allowedOrigins: ['https://other.example.net'] });
    // the preflight carries no key: any workspace's origin passes it
    expect((await preflight('/v1/t', 'https://other.example.net')).statusCode).toBe(204);
    // the request itself names the workspace: the default workspace does not allow that origin
    const r = await t.app.inject({ method: 'POST', url: '/v1/t', headers: { origin: 'https://other.example.net', authorization: basic() }, payload: { anonymousId: 'a', event: 'E' } });
    expect(r.statusCode).toBe(403);
    const ok = await t.app.inject({ method: 'POST', url: '/v1/t', headers: { origin: 'https://other.example.net', authorization: basic('other-write-key') }, payload: { anonymousId: 'a', event: 'E' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('https://other.example.net');
  });

  it('a settings change applies at once', async () => {
    expect((await post('/v1/t', SHOP)).statusCode).toBe(200);
    await allow(['https://elsewhere.test']);
    expect((await post('/v1/t', SHOP)).statusCode).toBe(403);
    await allow(['*']);
    expect((await post('/v1/t', SHOP)).statusCode).toBe(200);
  });

  it('admin endpoints never answer cross-origin: no CORS headers on preflights or requests', async () => {
    for (const url of ['/v1/workspace/settings', '/v1/profiles/prof_x', '/v1/profiles/by/userId/u', '/openapi.json']) {
      const pre = await t.app.inject({ method: 'OPTIONS', url, headers: { origin: SHOP, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
      expect(pre.statusCode, url).toBe(403);
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
      expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
    }
    const get = await t.app.inject({ url: '/v1/workspace/settings', headers: { origin: SHOP, authorization: bearer(), cookie: 'session=1' } });
    expect(get.statusCode).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
    expect(get.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('a plain OPTIONS (no preflight) lists the methods of a write-key path; an unknown path is 404', async () => {
    const r = await t.app.inject({ method: 'OPTIONS', url: '/v1/t' });
    expect(r.statusCode).toBe(204);
    expect(r.headers.allow).toBe('GET, HEAD, POST, OPTIONS');
    expect((await t.app.inject({ method: 'OPTIONS', url: '/nowhere' })).statusCode).toBe(404);
  });

  it('does not echo request headers that are not a header list', async () => {
    const r = await preflight('/v1/t', SHOP, 'content-type\r\nx-evil: 1');
    expect(r.statusCode).toBe(204);
    expect(r.headers['access-control-allow-headers']).toBeUndefined();
  });
});
