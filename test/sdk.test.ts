import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, startTestHub, WRITE_KEY, type TestHub } from './helpers.js';

/**
 * End to end over a real socket on 127.0.0.1 with the two server-side SDKs people point at a
 * Segment-compatible endpoint: what they send must land, durably, in one profile and its timeline.
 */

interface Seen {
  readonly url: string | undefined;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  readonly authorization: string | undefined;
}

interface Listening {
  readonly t: TestHub;
  readonly url: string;
  /** Every HTTP request the server received (observed beside fastify's own listener). */
  readonly seen: Seen[];
}

type Item = Record<string, unknown> & { messageId: string; type: string };
interface ProfileBody {
  id: string;
  identifiers: { type: string; value: string }[];
  traits: Record<string, unknown>;
  groups: { groupId: string; traits: Record<string, unknown> }[];
  mergedFrom: string[];
}

const dirs: string[] = [];
const hubs: TestHub[] = [];
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A hub on a data directory this file owns (so it survives a restart), listening on loopback. */
async function listen(dataDir: string): Promise<Listening> {
  const t = await startTestHub({ dataDir });
  hubs.push(t);
  const seen: Seen[] = [];
  t.app.server.on('request', (req: IncomingMessage) => {
    seen.push({
      url: req.url,
      contentType: req.headers['content-type'],
      contentEncoding: req.headers['content-encoding'],
      authorization: req.headers.authorization,
    });
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as AddressInfo;
  return { t, url: `http://127.0.0.1:${port}`, seen };
}

function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'xhub-sdk-'));
  dirs.push(d);
  return d;
}

/** Rejects when `p` does not settle within `ms`: nothing in this file may hang. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function profileOf(t: TestHub, type: string, value: string): Promise<ProfileBody> {
  const res = await t.app.inject({ method: 'GET', url: `/v1/profiles/by/${type}/${encodeURIComponent(value)}`, headers: { authorization: bearer() } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ProfileBody>();
}

async function timelineOf(t: TestHub, id: string): Promise<Item[]> {
  const res = await t.app.inject({ method: 'GET', url: `/v1/profiles/${id}/timeline?limit=200`, headers: { authorization: bearer() } });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json<{ items: Item[]; nextCursor: string | null }>();
  expect(body.nextCursor).toBeNull();
  return body.items;
}

const byMessageId = (items: readonly Item[]): Map<string, Item> => new Map(items.map((i) => [i.messageId, i]));
const ids = (p: ProfileBody): string[] => p.identifiers.map((i) => `${i.type}=${i.value}`);

/** Newest first: timestamps never increase down the list. */
function expectNewestFirst(items: readonly Item[]): void {
  const times = items.map((i) => Date.parse(i.timestamp as string));
  expect(times).toEqual([...times].sort((a, b) => b - a));
}

/**
 * Durability: the events are in the log under the SDK's message ids, and a hub restarted on the
 * same data directory (new process state, new SQLite connections) answers with the same profile.
 */
async function expectDurable(l: Listening, dataDir: string, messageIds: readonly string[], userId: string, before: ProfileBody): Promise<void> {
  const logged = await l.t.hub.store.log.readAfter(0, 1000);
  expect(logged.map((e) => e.event.messageId).sort()).toEqual([...messageIds].sort());
  const timelineBefore = await timelineOf(l.t, before.id);
  const index = hubs.indexOf(l.t);
  hubs.splice(index, 1);
  await l.t.close(); // removes only the helper's own scratch directory; ours stays
  const again = await startTestHub({ dataDir });
  hubs.push(again);
  await again.settle();
  expect(await again.hub.store.log.head()).toBe(messageIds.length);
  const after = await profileOf(again, 'userId', userId);
  expect(after).toEqual(before);
  expect(await timelineOf(again, after.id)).toEqual(timelineBefore);
}

describe('@segment/analytics-node against the hub', () => {
  it('identify, track, page and group arrive in one batch and build one profile with its timeline', async () => {
    const dataDir = freshDir();
    const l = await listen(dataDir);
    const analytics = new SegmentAnalytics({
      writeKey: WRITE_KEY,
      host: l.url,
      flushAt: 10,
      flushInterval: 60_000,
      maxRetries: 0,
      httpRequestTimeout: 5_000,
    });
    const statuses: number[] = [];
    const errors: unknown[] = [];
    analytics.on('http_response', (r) => statuses.push(r.status));
    analytics.on('error', (e) => errors.push(e));
    const delivered: Promise<void>[] = [];
    const done = (): ((err?: unknown) => void) => {
      let settle!: (err?: unknown) => void;
      delivered.push(new Promise<void>((resolve, reject) => (settle = (err) => (err ? reject(err as Error) : resolve()))));
      return settle;
    };

    const userId = 'seg-user-1';
    const base = Date.now() - 60 * 60_000;
    const at = (minutes: number): Date => new Date(base + minutes * 60_000);
    analytics.identify(
      { userId, anonymousId: 'seg-anon-1', traits: { email: 'Seg.User@Example.com', plan: 'pro', seats: 3 }, timestamp: at(0), messageId: 'seg-identify' },
      done(),
    );
    analytics.track(
      { userId, event: 'Order Completed', properties: { orderId: 'o-1', total: 42.5, currency: 'EUR', items: [{ sku: 'a', qty: 2 }] }, timestamp: at(1), messageId: 'seg-track' },
      done(),
    );
    analytics.page({ userId, category: 'Docs', name: 'Pricing', properties: { path: '/pricing', referrer: '' }, timestamp: at(2), messageId: 'seg-page' }, done());
    analytics.group({ userId, groupId: 'acme', traits: { name: 'Acme Inc', employees: 250 }, timestamp: at(3), messageId: 'seg-group' }, done());
    await within(15_000, 'Segment closeAndFlush', analytics.closeAndFlush({ timeout: 10_000 }));
    await within(1_000, 'Segment callbacks', Promise.all(delivered));

    expect(errors).toEqual([]);
    expect(statuses).toEqual([200]);
    expect(l.seen).toHaveLength(1);
    expect(l.seen[0]).toMatchObject({ url: '/v1/batch', authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` });
    expect(l.seen[0]?.contentType).toMatch(/^application\/json/);

    await within(10_000, 'processing', l.t.settle());
    const profile = await profileOf(l.t, 'userId', userId);
    expect(ids(profile)).toEqual(['anonymousId=seg-anon-1', 'email=seg.user@example.com', 'userId=seg-user-1']);
    expect(profile.traits).toEqual({ email: 'Seg.User@Example.com', plan: 'pro', seats: 3 });
    expect(profile.groups).toEqual([{ groupId: 'acme', traits: { name: 'Acme Inc', employees: 250 } }]);
    expect(profile.mergedFrom).toEqual([]);
    expect((await profileOf(l.t, 'email', 'SEG.USER@example.com')).id).toBe(profile.id);
    expect((await profileOf(l.t, 'anonymousId', 'seg-anon-1')).id).toBe(profile.id);

    const items = await timelineOf(l.t, profile.id);
    expect(items.map((i) => i.messageId)).toEqual(['seg-group', 'seg-page', 'seg-track', 'seg-identify']);
    expectNewestFirst(items);
    const m = byMessageId(items);
    for (const item of items) {
      expect(item.context).toMatchObject({ library: { name: '@segment/analytics-node', version: expect.stringMatching(/^\d+\.\d+\.\d+/) } });
      expect(item.userId).toBe(userId);
    }
    expect(m.get('seg-identify')).toMatchObject({ type: 'identify', anonymousId: 'seg-anon-1', traits: { email: 'Seg.User@Example.com', plan: 'pro', seats: 3 } });
    expect(m.get('seg-track')).toMatchObject({
      type: 'track',
      event: 'Order Completed',
      properties: { orderId: 'o-1', total: 42.5, currency: 'EUR', items: [{ sku: 'a', qty: 2 }] },
    });
    // The Segment core copies the page category into properties, as analytics.js does.
    expect(m.get('seg-page')).toMatchObject({ type: 'page', name: 'Pricing', category: 'Docs', properties: { path: '/pricing', referrer: '', category: 'Docs' } });
    expect(m.get('seg-group')).toMatchObject({ type: 'group', groupId: 'acme', traits: { name: 'Acme Inc', employees: 250 } });
    // The SDK stamps `timestamp` and `sentAt` from the same clock as the hub: the skew-corrected
    // event time stays the one the caller gave, within the request's own latency.
    const slack = 5_000;
    for (const [messageId, minutes] of [['seg-identify', 0], ['seg-track', 1], ['seg-page', 2], ['seg-group', 3]] as const) {
      const stored = Date.parse(m.get(messageId)?.timestamp as string);
      expect(Math.abs(stored - at(minutes).getTime())).toBeLessThan(slack);
    }

    await expectDurable(l, dataDir, ['seg-identify', 'seg-track', 'seg-page', 'seg-group'], userId, profile);
  });
});

describe('@rudderstack/rudder-sdk-node against the hub', () => {
  it('gzip bodies with a non-JSON content type are read, one request per event, into one profile', async () => {
    const dataDir = freshDir();
    const l = await listen(dataDir);
    const errors: unknown[] = [];
    const analytics = new RudderAnalytics(WRITE_KEY, {
      dataPlaneUrl: l.url,
      flushAt: 1,
      flushInterval: 60_000,
      retryCount: 0,
      logLevel: 'error',
      axiosConfig: { timeout: 5_000, proxy: false },
      errorHandler: (e: unknown) => errors.push(e),
    });
    const calls: Promise<void>[] = [];
    const done = (): ((err?: unknown) => void) => {
      let settle!: (err?: unknown) => void;
      calls.push(new Promise<void>((resolve, reject) => (settle = (err) => (err ? reject(err as Error) : resolve()))));
      return settle;
    };

    const userId = 'rs-user-1';
    analytics.identify({ userId, anonymousId: 'rs-anon-1', traits: { email: 'RS.User@Example.com', plan: 'team' } }, done());
    analytics.track({ userId, anonymousId: 'rs-anon-1', event: 'Product Viewed', properties: { sku: 'sku-9', price: 19.99, tags: ['new', 'sale'] } }, done());
    analytics.page({ userId, name: 'Home', category: 'Marketing', properties: { path: '/', title: 'Welcome' } }, done());
    await within(15_000, 'RudderStack flush', new Promise<void>((resolve, reject) => {
      void analytics.flush((err) => (err ? reject(err) : resolve())).catch(reject);
    }));
    await within(5_000, 'RudderStack callbacks', Promise.all(calls));

    expect(errors).toEqual([]);
    expect(l.seen).toHaveLength(3);
    for (const s of l.seen) {
      expect(s.url).toBe('/v1/batch');
      expect(s.contentEncoding).toBe('gzip');
      expect(s.contentType).not.toMatch(/json/);
      expect(s.authorization).toBe(`Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`);
    }

    await within(10_000, 'processing', l.t.settle());
    const profile = await profileOf(l.t, 'userId', userId);
    expect(ids(profile)).toEqual(['anonymousId=rs-anon-1', 'email=rs.user@example.com', 'userId=rs-user-1']);
    expect(profile.traits).toEqual({ email: 'RS.User@Example.com', plan: 'team' });
    expect(profile.groups).toEqual([]);

    const items = await timelineOf(l.t, profile.id);
    expect(items).toHaveLength(3);
    expectNewestFirst(items);
    const byType = new Map(items.map((i) => [i.type, i]));
    expect([...byType.keys()].sort()).toEqual(['identify', 'page', 'track']);
    for (const item of items) {
      expect(item.context).toMatchObject({ library: { name: 'analytics-node', version: expect.stringMatching(/^\d+\.\d+\.\d+/) } });
      expect(item.userId).toBe(userId);
      // Without an explicit time, the event happened about when it was sent.
      expect(Math.abs(Date.parse(item.timestamp as string) - Date.parse(item.receivedAt as string))).toBeLessThan(5_000);
    }
    // RudderStack copies identify traits into context.traits as well.
    expect(byType.get('identify')).toMatchObject({ anonymousId: 'rs-anon-1', traits: { email: 'RS.User@Example.com', plan: 'team' }, context: { traits: { email: 'RS.User@Example.com' } } });
    expect(byType.get('track')).toMatchObject({ event: 'Product Viewed', properties: { sku: 'sku-9', price: 19.99, tags: ['new', 'sale'] } });
    expect(byType.get('page')).toMatchObject({ name: 'Home', category: 'Marketing', properties: { path: '/', title: 'Welcome' } });

    await expectDurable(l, dataDir, items.map((i) => i.messageId), userId, profile);
  });

  it('a group call with gzip lands on the profile with the account traits', async () => {
    const l = await listen(freshDir());
    const analytics = new RudderAnalytics(WRITE_KEY, {
      dataPlaneUrl: l.url,
      flushAt: 1,
      retryCount: 0,
      logLevel: 'error',
      axiosConfig: { timeout: 5_000, proxy: false },
    });
    analytics.group({ userId: 'rs-user-2', groupId: 'globex', traits: { name: 'Globex', industry: 'energy' } });
    await within(15_000, 'RudderStack flush', new Promise<void>((resolve, reject) => {
      void analytics.flush((err) => (err ? reject(err) : resolve())).catch(reject);
    }));
    expect(l.seen.map((s) => s.contentEncoding)).toEqual(['gzip']);
    await within(10_000, 'processing', l.t.settle());
    const profile = await profileOf(l.t, 'userId', 'rs-user-2');
    expect(profile.groups).toEqual([{ groupId: 'globex', traits: { name: 'Globex', industry: 'energy' } }]);
    expect(profile.traits).toEqual({});
    const items = await timelineOf(l.t, profile.id);
    expect(items).toEqual([expect.objectContaining({ type: 'group', groupId: 'globex', context: expect.objectContaining({ library: expect.objectContaining({ name: 'analytics-node' }) }) })]);
  });
});
