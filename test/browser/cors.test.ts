import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, eventually, launchChromium, profileOf, startSite, startWebHub, visit, WRITE_KEY, type BrowserHandle, type Site, type WebHub } from './harness.js';
import { html, segmentSnippet } from './pages.js';

declare const analytics: { ready(cb: () => void): void; user(): { anonymousId(): string } };
declare const navigator: { sendBeacon(url: string, data: unknown): boolean };
declare const Blob: new (parts: string[], opts: { type: string }) => unknown;

type Attempt = 'ok' | `refused: ${string}`;

describe('CORS: only the origins a workspace allows can send from a browser', { timeout: 20_000 }, () => {
  let chrome: BrowserHandle;
  let hub: WebHub;
  let allowed: Site;
  let other: Site;

  beforeAll(async () => {
    hub = await startWebHub();
    chrome = await launchChromium();
    const pages = { '/shop': () => html('Shop', segmentSnippet(hub.url, WRITE_KEY)), '/blank': html('Blank', '') };
    [allowed, other] = await Promise.all([startSite(pages), startSite(pages)]);
    const put = await hub.app.inject({
      method: 'PUT',
      url: '/v1/workspace/settings',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      payload: { allowedOrigins: [allowed.origin] },
    });
    expect(put.statusCode).toBe(200);
  });
  afterAll(async () => {
    await Promise.all([chrome?.close(), allowed?.close(), other?.close()]);
    await hub?.close();
  });

  const refusedByOrigin = async (): Promise<number> => {
    const text = await hub.hub.metrics.registry.getSingleMetricAsString('xhub_events_rejected_total');
    return Number(/reason="origin"} (\d+)/.exec(text)?.[1] ?? 0);
  };

  it('a page on another origin is refused by the browser, and nothing is written', async () => {
    const v = await visit(chrome.browser);
    try {
      const { page } = v;
      await page.goto(`${other.origin}/blank`);
      const before = await refusedByOrigin();
      const attempts = await page.evaluate(
        async ({ hubUrl, writeKey }) => {
          const attempt = (p: Promise<{ status: number }>): Promise<Attempt> =>
            p.then((r) => (r.status === 200 ? 'ok' : (`refused: ${r.status}` as const)), (e: Error) => `refused: ${e.name}` as const);
          const event = JSON.stringify({ writeKey, anonymousId: 'intruder', event: 'Should Not Land' });
          return {
            // text/plain: a "simple request", sent without a preflight; the hub itself must refuse it
            simple: await attempt(fetch(`${hubUrl}/v1/t`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: event })),
            // Authorization header: preflighted; the preflight is refused, so the POST is never sent
            preflighted: await attempt(
              fetch(`${hubUrl}/v1/track`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Basic ${btoa(`${writeKey}:`)}` }, body: event }),
            ),
            settings: await attempt(fetch(`${hubUrl}/v1/projects/${writeKey}/settings`)),
            beaconQueued: navigator.sendBeacon(`${hubUrl}/beacon/v1/batch?writeKey=${writeKey}`, new Blob([JSON.stringify({ batch: [{ type: 'track', anonymousId: 'intruder', event: 'Beacon' }] })], { type: 'text/plain' })),
          };
        },
        { hubUrl: hub.url, writeKey: WRITE_KEY },
      );
      expect(attempts).toEqual({ simple: 'refused: TypeError', preflighted: 'refused: TypeError', settings: 'refused: TypeError', beaconQueued: true });
      // the simple request, the settings request and the beacon reached the hub and were refused there
      await eventually(async () => ((await refusedByOrigin()) >= before + 3 ? true : undefined), 'the hub to refuse three requests');

      await page.goto(`${other.origin}/shop`);
      await eventually(async () => (v.errors.some((e) => /CORS|Failed to fetch/i.test(e)) ? true : undefined), 'analytics.js to fail to load its settings');
      expect(await hub.hub.store.log.head()).toBe(0);
      expect(await profileOf(hub, 'anonymousId', 'intruder')).toBeUndefined();
    } finally {
      await v.close();
    }
  });

  it('the same page on an allowed origin works', async () => {
    const v = await visit(chrome.browser);
    try {
      const { page } = v;
      await page.goto(`${allowed.origin}/shop`);
      await page.evaluate(() => new Promise<void>((r) => analytics.ready(r)));
      const anonymousId = await page.evaluate(() => analytics.user().anonymousId());
      const p = await eventually(async () => profileOf(hub, 'anonymousId', anonymousId), 'the page event');
      expect(p.timeline.map((e) => e.type)).toEqual(['page']);
      expect(v.errors).toEqual([]);
    } finally {
      await v.close();
    }
  });
});
