import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, foreignRequests, launchChromium, profileOf, startSite, startWebHub, visit, WRITE_KEY, type BrowserHandle, type Site, type WebHub } from './harness.js';
import { html, rudderstackSnippet } from './pages.js';

declare const navigator: { userAgent: string };
declare const window: { location: { href: string } };
declare const rudderanalytics: {
  ready(cb: () => void): void;
  track(event: string, properties?: object): void;
  identify(userId: string, traits?: object): void;
  getAnonymousId(): string;
};

describe("RudderStack's JavaScript SDK (v3) in Chromium, from another origin, against the hub", { timeout: 20_000 }, () => {
  let chrome: BrowserHandle;
  let hub: WebHub;
  let site: Site;

  beforeAll(async () => {
    hub = await startWebHub();
    chrome = await launchChromium();
    site = await startSite({
      '/shop': () => html('Shop', rudderstackSnippet(hub.url, WRITE_KEY)),
      '/beacon': () => html('Checkout', rudderstackSnippet(hub.url, WRITE_KEY, { useBeacon: true })),
      '/bye': html('Bye', '<p>bye</p>'),
    });
  });
  afterAll(async () => {
    await Promise.all([chrome?.close(), site?.close()]);
    await hub?.close();
  });

  const ready = () => new Promise<void>((r) => rudderanalytics.ready(r));

  it('page, identify and track land on one profile with the browser context; the anonymous id survives a reload', async () => {
    const v = await visit(chrome.browser);
    try {
      const { page } = v;
      await page.goto(`${site.origin}/shop?utm_source=news`, { referer: 'https://search.example/q=boots' });
      await page.evaluate(ready);
      const anonymousId = await page.evaluate(() => rudderanalytics.getAnonymousId());
      await page.evaluate(() => rudderanalytics.track('Product Viewed', { sku: 'BOOT-42' }));

      await page.reload();
      await page.evaluate(ready);
      expect(await page.evaluate(() => rudderanalytics.getAnonymousId())).toBe(anonymousId);
      await page.evaluate(() => rudderanalytics.identify('user-grace', { email: 'grace@example.com', name: 'Grace' }));
      await page.evaluate(() => rudderanalytics.track('Order Completed', { total: 99 }));
      const userAgent = await page.evaluate(() => navigator.userAgent);

      const profile = await eventually(async () => {
        const p = await profileOf(hub, 'userId', 'user-grace');
        return p && p.timeline.length >= 5 ? p : undefined;
      }, 'five events on the profile of user-grace');
      expect((await profileOf(hub, 'anonymousId', anonymousId))?.id).toBe(profile.id);
      expect(profile.identifiers).toEqual(expect.arrayContaining([{ type: 'anonymousId', value: anonymousId }, { type: 'userId', value: 'user-grace' }]));
      expect(profile.traits).toMatchObject({ email: 'grace@example.com', name: 'Grace' });
      expect(profile.timeline.map((e) => e.event ?? e.type)).toEqual(['page', 'Product Viewed', 'page', 'identify', 'Order Completed']);
      for (const e of profile.timeline) {
        expect(e.context?.userAgent).toBe(userAgent);
        expect(e.context?.page).toMatchObject({ url: `${site.origin}/shop?utm_source=news`, referrer: 'https://search.example/q=boots', path: '/shop' });
      }
      expect(foreignRequests(v.requests, site.origin, hub.url)).toEqual([]);
      expect(v.errors).toEqual([]);
    } finally {
      await v.close();
    }
  });

  it('with useBeacon, a track made as the page navigates away arrives by navigator.sendBeacon', async () => {
    const v = await visit(chrome.browser);
    try {
      const { page } = v;
      await page.goto(`${site.origin}/beacon`);
      await page.evaluate(ready);
      const anonymousId = await page.evaluate(() => rudderanalytics.getAnonymousId());
      await page.evaluate(() => {
        rudderanalytics.track('Checkout Started');
        window.location.href = '/bye';
      });
      await page.waitForURL('**/bye');
      const profile = await eventually(async () => {
        const p = await profileOf(hub, 'anonymousId', anonymousId);
        return p?.timeline.some((e) => e.event === 'Checkout Started') ? p : undefined;
      }, 'the event sent by beacon during unload');
      expect(profile.timeline.map((e) => e.event ?? e.type)).toEqual(['page', 'Checkout Started']);
    } finally {
      await v.close();
    }
  });
});
