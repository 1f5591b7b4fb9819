import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, foreignRequests, launchChromium, profileOf, startSite, startWebHub, visit, WRITE_KEY, type BrowserHandle, type Site, type WebHub } from './harness.js';
import { html, segmentSnippet } from './pages.js';

declare const navigator: { userAgent: string };
declare const window: { location: { href: string } };
declare const analytics: {
  ready(cb: () => void): void;
  track(event: string, properties?: object): Promise<unknown>;
  identify(userId: string, traits?: object): Promise<unknown>;
  user(): { anonymousId(): string; id(): string | null };
};

describe('Segment analytics.js in Chromium, from another origin, against the hub', { timeout: 20_000 }, () => {
  let chrome: BrowserHandle;
  let hub: WebHub;
  let site: Site;

  beforeAll(async () => {
    hub = await startWebHub();
    chrome = await launchChromium();
    site = await startSite({
      '/shop': () => html('Shop', segmentSnippet(hub.url, WRITE_KEY)),
      '/cart': () => html('Cart', segmentSnippet(hub.url, WRITE_KEY, { integrations: { 'Segment.io': { deliveryStrategy: { strategy: 'batching', config: { size: 50, timeout: 60_000 } } } } })),
      '/bye': html('Bye', '<p>bye</p>'),
    });
  });
  afterAll(async () => {
    await Promise.all([chrome?.close(), site?.close()]);
    await hub?.close();
  });

  it('page, identify and track land on one profile with the browser context; the anonymous id survives a reload', async () => {
    const v = await visit(chrome.browser);
    try {
      const { page } = v;
      await page.goto(`${site.origin}/shop?utm_source=news`, { referer: 'https://search.example/q=tents' });
      await page.evaluate(() => new Promise<void>((r) => analytics.ready(r)));
      const anonymousId = await page.evaluate(() => analytics.user().anonymousId());
      await page.evaluate(() => analytics.track('Product Viewed', { sku: 'TENT-2P' }));

      await page.reload();
      await page.evaluate(() => new Promise<void>((r) => analytics.ready(r)));
      expect(await page.evaluate(() => analytics.user().anonymousId())).toBe(anonymousId);
      await page.evaluate(() => analytics.identify('user-ada', { email: 'ada@example.com', name: 'Ada' }));
      await page.evaluate(() => analytics.track('Order Completed', { total: 42 }));
      const userAgent = await page.evaluate(() => navigator.userAgent);

      const profile = await eventually(async () => {
        const p = await profileOf(hub, 'userId', 'user-ada');
        return p && p.timeline.length >= 5 ? p : undefined;
      }, 'five events on the profile of user-ada');
      expect((await profileOf(hub, 'anonymousId', anonymousId))?.id).toBe(profile.id);
      expect(profile.identifiers).toEqual(expect.arrayContaining([{ type: 'anonymousId', value: anonymousId }, { type: 'userId', value: 'user-ada' }]));
      expect(profile.traits).toMatchObject({ email: 'ada@example.com', name: 'Ada' });
      expect(profile.timeline.map((e) => e.event ?? e.type)).toEqual(['page', 'Product Viewed', 'page', 'identify', 'Order Completed']);
      for (const e of profile.timeline) {
        expect(e.context?.userAgent).toBe(userAgent);
        expect(e.context?.page).toMatchObject({ url: `${site.origin}/shop?utm_source=news`, referrer: 'https://search.example/q=tents', path: '/shop' });
      }
      expect(foreignRequests(v.requests, site.origin, hub.url)).toEqual([]);
      expect(v.errors).toEqual([]);
    } finally {
      await v.close();
    }
  });

  it('a track made as the page navigates away is not lost: the hub turns on keepalive in its settings', async () => {
    const v = await visit(chrome.browser);
    try {
      const { page } = v;
      await page.goto(`${site.origin}/shop`);
      await page.evaluate(() => new Promise<void>((r) => analytics.ready(r)));
      const anonymousId = await page.evaluate(() => analytics.user().anonymousId());
      await page.evaluate(() => {
        void analytics.track('Checkout Started', { step: 1 });
        window.location.href = '/bye';
      });
      await page.waitForURL('**/bye');
      const profile = await eventually(async () => {
        const p = await profileOf(hub, 'anonymousId', anonymousId);
        return p?.timeline.some((e) => e.event === 'Checkout Started') ? p : undefined;
      }, 'the event sent during unload');
      expect(profile.timeline.map((e) => e.event ?? e.type)).toEqual(['page', 'Checkout Started']);
    } finally {
      await v.close();
    }
  });

  it('batched events still waiting when the page unloads are flushed to /v1/b with keepalive', async () => {
    const v = await visit(chrome.browser);
    try {
      const { page } = v;
      await page.goto(`${site.origin}/cart`);
      await page.evaluate(() => new Promise<void>((r) => analytics.ready(r)));
      const anonymousId = await page.evaluate(() => analytics.user().anonymousId());
      await page.evaluate(() => analytics.track('Cart Viewed'));
      await page.evaluate(() => analytics.track('Coupon Applied', { code: 'SPRING' }));
      await page.waitForTimeout(300);
      expect((await profileOf(hub, 'anonymousId', anonymousId))?.timeline.length ?? 0).toBe(0);
      await page.goto(`${site.origin}/bye`);
      const profile = await eventually(async () => {
        const p = await profileOf(hub, 'anonymousId', anonymousId);
        return p && p.timeline.length >= 3 ? p : undefined;
      }, 'the batch flushed on unload');
      expect(profile.timeline.map((e) => e.event ?? e.type)).toEqual(['page', 'Cart Viewed', 'Coupon Applied']);
    } finally {
      await v.close();
    }
  });
});
