import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, WRITE_KEY, type TestHub } from '../../test/helpers.js';
import { segmentFiles } from './sdk-assets.js';

describe('SDK bundles served from the hub', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(async () => t.close());

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ url, headers });

  it.each([
    ['/sdk/segment/standalone.js', 'analytics.js standalone', /AnalyticsBrowser|analytics/],
    ['/sdk/segment/index.js', 'analytics.js AnalyticsNext', /AnalyticsNext/],
    [`/analytics.js/v1/${WRITE_KEY}/analytics.min.js`, "analytics.js at Segment's CDN path", /analytics-next\/bundles/],
    ['/sdk/rudderstack/rsa.js', 'RudderStack bundled', /RudderAnalytics/],
    ['/sdk/rudderstack/rsa-legacy.js', 'RudderStack legacy bundled', /RudderAnalytics/],
  ])('%s (%s): JavaScript, cacheable, with an ETag', async (url, _what, content) => {
    const r = await get(url);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(r.headers['cache-control']).toBe('public, max-age=300');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers.etag).toMatch(/^"[\w-]{27}"$/);
    expect(r.body).toMatch(content);
  });

  it("serves every lazily loaded analytics.js chunk where it looks for them, immutable under its content hash", async () => {
    const chunks = [...segmentFiles().keys()].filter((n) => n.includes('.bundle.') && n.endsWith('.js'));
    expect(chunks.length).toBeGreaterThan(3);
    for (const name of chunks) {
      const r = await get(`/analytics-next/bundles/${name}`);
      expect(r.statusCode, name).toBe(200);
      expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    const map = await get('/sdk/segment/standalone.js.map');
    expect(map.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('gzips when the browser accepts it, and answers 304 to a matching If-None-Match', async () => {
    const plain = await get('/sdk/rudderstack/rsa.js');
    const gz = await get('/sdk/rudderstack/rsa.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toBe('Accept-Encoding');
    expect(gz.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
    expect(gunzipSync(gz.rawPayload).equals(plain.rawPayload)).toBe(true);
    expect((await get('/sdk/rudderstack/rsa.js', { 'accept-encoding': 'gzip;q=0' })).headers['content-encoding']).toBeUndefined();
    const again = await get('/sdk/rudderstack/rsa.js', { 'if-none-match': String(plain.headers.etag) });
    expect(again.statusCode).toBe(304);
    expect(again.rawPayload.length).toBe(0);
  });

  it.each([
    '/sdk/segment/..%2Fpackage.json',
    '/sdk/segment/..%2F..%2F..%2Fpackage.json',
    '/sdk/segment/%2e%2e%2fpackage.json',
    '/sdk/segment/../../package.json',
    '/sdk/segment/standalone.js.gz',
    '/sdk/segment/.',
    '/sdk/segment/..',
    '/sdk/rudderstack/..%2F..%2Fpackage.json',
    '/sdk/rudderstack/index.js',
    '/analytics-next/bundles/..%2f..%2f..%2f..%2fpackage.json',
    '/sdk/segment/%00standalone.js',
  ])('never reaches another file: %s', async (url) => {
    const r = await get(url);
    expect([400, 404]).toContain(r.statusCode);
    expect(r.body).not.toMatch(/"name":|"version":/);
  });
});
