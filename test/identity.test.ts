import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.js';
import { DEFAULT_IDENTITY_RULES } from '../src/core/identity/identifier.js';
import { basic, bearer, startTestHub, type TestHub } from './helpers.js';

/** Identity resolution as a client sees it: Segment calls in, profiles and timelines out (in-process). */

interface ProfileBody {
  id: string;
  identifiers: { type: string; value: string }[];
  traits: Record<string, unknown>;
  groups: { groupId: string; traits: Record<string, unknown> }[];
  mergedFrom: string[];
  createdAt: string;
  updatedAt: string;
}
interface Item {
  kind: string;
  messageId: string;
  type: string;
  timestamp: string;
  [k: string]: unknown;
}
interface Page {
  items: Item[];
  nextCursor: string | null;
}

const open: TestHub[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});
async function hub(overrides: Partial<Config> = {}): Promise<TestHub> {
  const t = await startTestHub(overrides);
  open.push(t);
  return t;
}

async function send(t: TestHub, type: string, body: Record<string, unknown>): Promise<void> {
  const res = await t.app.inject({ method: 'POST', url: `/v1/${type}`, headers: { authorization: basic() }, payload: body });
  expect(res.statusCode, res.body).toBe(200);
}

/** Sends one call and waits until it is processed, so that each call is a batch of its own. */
async function sendAndSettle(t: TestHub, type: string, body: Record<string, unknown>): Promise<void> {
  await send(t, type, body);
  await t.settle();
}

async function get(t: TestHub, url: string): Promise<{ status: number; body: unknown; contentType: string | undefined }> {
  const res = await t.app.inject({ method: 'GET', url, headers: { authorization: bearer() } });
  return { status: res.statusCode, body: res.json(), contentType: res.headers['content-type'] as string | undefined };
}

async function profile(t: TestHub, type: string, value: string): Promise<ProfileBody> {
  const res = await get(t, `/v1/profiles/by/${type}/${encodeURIComponent(value)}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as ProfileBody;
}

async function byId(t: TestHub, id: string): Promise<ProfileBody> {
  const res = await get(t, `/v1/profiles/${id}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as ProfileBody;
}

async function timeline(t: TestHub, id: string, query = ''): Promise<Page> {
  const res = await get(t, `/v1/profiles/${id}/timeline${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Page;
}

const ids = (p: ProfileBody): string[] => p.identifiers.map((i) => `${i.type}=${i.value}`);
const at = (minute: number): string => new Date(Date.UTC(2026, 0, 10, 12, minute)).toISOString();

describe('one customer across devices', () => {
  it('anonymous browsing, identify, a second device and an alias end in one profile with the whole timeline', async () => {
    const t = await hub();
    await sendAndSettle(t, 'page', { anonymousId: 'laptop-1', name: 'Home', messageId: 'm1', timestamp: at(0) });
    await sendAndSettle(t, 'track', { anonymousId: 'laptop-1', event: 'Product Viewed', properties: { sku: 'A' }, messageId: 'm2', timestamp: at(1) });
    const laptop = await profile(t, 'anonymousId', 'laptop-1');
    await sendAndSettle(t, 'identify', { anonymousId: 'laptop-1', userId: 'ada', traits: { email: 'Ada@Example.com', name: 'Ada' }, messageId: 'm3', timestamp: at(2) });
    expect((await profile(t, 'userId', 'ada')).id).toBe(laptop.id);
    await sendAndSettle(t, 'track', { anonymousId: 'phone-1', event: 'App Opened', messageId: 'm4', timestamp: at(3) });
    const phone = await profile(t, 'anonymousId', 'phone-1');
    expect(phone.id).not.toBe(laptop.id);
    expect(ids(phone)).toEqual(['anonymousId=phone-1']);

    await sendAndSettle(t, 'alias', { previousId: 'phone-1', userId: 'ada', messageId: 'm5', timestamp: at(4) });

    const ada = await profile(t, 'userId', 'ada');
    expect(ids(ada)).toEqual(['anonymousId=laptop-1', 'anonymousId=phone-1', 'email=ada@example.com', 'userId=ada']);
    expect(ada.traits).toEqual({ email: 'Ada@Example.com', name: 'Ada' });
    // The older profile survives (equal creation times fall back to the smaller id) and lists the other.
    const laptopFirst = laptop.createdAt < phone.createdAt || (laptop.createdAt === phone.createdAt && laptop.id < phone.id);
    const [survivor, loser] = laptopFirst ? [laptop.id, phone.id] : [phone.id, laptop.id];
    expect(ada.id).toBe(survivor);
    expect(ada.createdAt).toBe(laptopFirst ? laptop.createdAt : phone.createdAt);
    expect(ada.mergedFrom).toEqual([loser]);
    // Every identifier, and the merged-away id, answer with the survivor.
    for (const [type, value] of [['anonymousId', 'laptop-1'], ['anonymousId', 'phone-1'], ['email', 'ada@example.com']] as const) {
      expect((await profile(t, type, value)).id).toBe(ada.id);
    }
    expect(await byId(t, loser)).toEqual(ada);
    expect(await byId(t, ada.id)).toEqual(ada);

    const page = await timeline(t, ada.id);
    expect(page.nextCursor).toBeNull();
    expect(page.items.map((i) => i.messageId)).toEqual(['m5', 'm4', 'm3', 'm2', 'm1']);
    expect(page.items.map((i) => i.type)).toEqual(['alias', 'track', 'identify', 'track', 'page']);
    expect(page.items[0]).toMatchObject({ kind: 'event', previousId: 'phone-1', userId: 'ada' });
    expect(page.items[1]).toMatchObject({ event: 'App Opened', anonymousId: 'phone-1' });
    // The merged-away id's timeline is the survivor's, too.
    expect(await timeline(t, loser)).toEqual(page);
  });

  it('gives the same profile when the whole story arrives in one batch request', async () => {
    const t = await hub();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: basic() },
      payload: {
        batch: [
          { type: 'page', anonymousId: 'laptop-2', messageId: 'b1', timestamp: at(0) },
          { type: 'identify', anonymousId: 'laptop-2', userId: 'bea', traits: { email: 'bea@example.com' }, messageId: 'b2', timestamp: at(1) },
          { type: 'track', anonymousId: 'phone-2', event: 'App Opened', messageId: 'b3', timestamp: at(2) },
          { type: 'alias', previousId: 'phone-2', userId: 'bea', messageId: 'b4', timestamp: at(3) },
        ],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    await t.settle();
    const bea = await profile(t, 'anonymousId', 'phone-2');
    expect(ids(bea)).toEqual(['anonymousId=laptop-2', 'anonymousId=phone-2', 'email=bea@example.com', 'userId=bea']);
    expect(bea.mergedFrom).toHaveLength(1);
    expect((await byId(t, bea.mergedFrom[0] as string)).id).toBe(bea.id);
    expect((await timeline(t, bea.id)).items.map((i) => i.messageId)).toEqual(['b4', 'b3', 'b2', 'b1']);
    expect(await t.hub.store.reader.counts()).toEqual({ profiles: 1, identifiers: 4 });
  });

  it('keeps two users who share a device (an anonymousId) as two profiles', async () => {
    const t = await hub();
    await sendAndSettle(t, 'identify', { anonymousId: 'family-tablet', userId: 'bob', traits: { name: 'Bob' }, messageId: 's1', timestamp: at(0) });
    await sendAndSettle(t, 'identify', { anonymousId: 'family-tablet', userId: 'carol', traits: { name: 'Carol' }, messageId: 's2', timestamp: at(1) });
    await sendAndSettle(t, 'track', { anonymousId: 'family-tablet', userId: 'carol', event: 'Played', messageId: 's3', timestamp: at(2) });

    const bob = await profile(t, 'userId', 'bob');
    const carol = await profile(t, 'userId', 'carol');
    expect(bob.id).not.toBe(carol.id);
    expect(ids(bob)).toEqual(['anonymousId=family-tablet', 'userId=bob']);
    expect(ids(carol)).toEqual(['userId=carol']);
    expect(bob.traits).toEqual({ name: 'Bob' });
    expect(carol.traits).toEqual({ name: 'Carol' });
    expect(bob.mergedFrom).toEqual([]);
    expect(carol.mergedFrom).toEqual([]);
    expect((await profile(t, 'anonymousId', 'family-tablet')).id).toBe(bob.id);
    expect((await timeline(t, bob.id)).items.map((i) => i.messageId)).toEqual(['s1']);
    expect((await timeline(t, carol.id)).items.map((i) => i.messageId)).toEqual(['s3', 's2']);
    expect(await t.hub.store.reader.counts()).toEqual({ profiles: 2, identifiers: 3 });
  });
});

describe('groups', () => {
  it('keeps the account traits (latest wins) and every profile\'s memberships', async () => {
    const t = await hub();
    await sendAndSettle(t, 'identify', { userId: 'dan', traits: { plan: 'personal' }, messageId: 'g0', timestamp: at(0) });
    await sendAndSettle(t, 'group', { userId: 'dan', groupId: 'acme', traits: { name: 'Acme', plan: 'enterprise', seats: 50 }, messageId: 'g1', timestamp: at(1) });
    await sendAndSettle(t, 'group', { userId: 'eve', groupId: 'acme', traits: { seats: 75 }, messageId: 'g2', timestamp: at(2) });
    await sendAndSettle(t, 'group', { userId: 'dan', groupId: 'initech', traits: { name: 'Initech' }, messageId: 'g3', timestamp: at(3) });
    // An older group call arriving late does not overwrite the newer account trait.
    await sendAndSettle(t, 'group', { userId: 'eve', groupId: 'acme', traits: { seats: 10, region: 'EU' }, messageId: 'g4', timestamp: at(0) });

    const acme = { groupId: 'acme', traits: { name: 'Acme', plan: 'enterprise', seats: 75, region: 'EU' } };
    const dan = await profile(t, 'userId', 'dan');
    expect(dan.groups).toEqual([acme, { groupId: 'initech', traits: { name: 'Initech' } }]);
    // Account traits stay on the account: the profile's own `plan` is untouched.
    expect(dan.traits).toEqual({ plan: 'personal' });
    const eve = await profile(t, 'userId', 'eve');
    expect(eve.groups).toEqual([acme]);
    expect(eve.traits).toEqual({});
    const items = (await timeline(t, eve.id)).items;
    expect(items.map((i) => [i.messageId, i.type, i.groupId])).toEqual([['g2', 'group', 'acme'], ['g4', 'group', 'acme']]);
  });
});

describe('identifier normalisation and trait merging', () => {
  it('resolves e-mail addresses whatever their case or surrounding spaces', async () => {
    const t = await hub();
    await sendAndSettle(t, 'identify', { userId: 'grace', traits: { email: 'Grace.Hopper@Example.COM' }, messageId: 'e1', timestamp: at(0) });
    // Another device, known only by the e-mail in context.traits, written differently.
    await sendAndSettle(t, 'track', { anonymousId: 'kiosk-7', event: 'Signed In', context: { traits: { email: '  grace.hopper@example.com ' } }, messageId: 'e2', timestamp: at(1) });
    await sendAndSettle(t, 'identify', { anonymousId: 'kiosk-8', traits: { email: 'GRACE.HOPPER@EXAMPLE.COM' }, messageId: 'e3', timestamp: at(2) });

    const grace = await profile(t, 'userId', 'grace');
    expect(ids(grace)).toEqual(['anonymousId=kiosk-7', 'anonymousId=kiosk-8', 'email=grace.hopper@example.com', 'userId=grace']);
    for (const spelling of ['grace.hopper@example.com', 'Grace.Hopper@Example.COM', 'GRACE.HOPPER@EXAMPLE.COM']) {
      expect((await profile(t, 'email', spelling)).id).toBe(grace.id);
    }
    // The trait keeps what the customer typed last; only the identifier is normalised.
    expect(grace.traits).toEqual({ email: 'GRACE.HOPPER@EXAMPLE.COM' });
    expect((await timeline(t, grace.id)).items.map((i) => i.messageId)).toEqual(['e3', 'e2', 'e1']);
  });

  it('keeps the latest trait by event timestamp even when the later event arrives first', async () => {
    const t = await hub();
    await sendAndSettle(t, 'identify', { userId: 'hal', traits: { plan: 'pro', city: 'Paris' }, messageId: 't-late', timestamp: at(30) });
    await sendAndSettle(t, 'identify', { userId: 'hal', traits: { plan: 'free', city: 'Lyon', country: 'FR' }, messageId: 't-early', timestamp: at(10) });
    const hal = await profile(t, 'userId', 'hal');
    expect(hal.traits).toEqual({ plan: 'pro', city: 'Paris', country: 'FR' });
    // The timeline is in event time too, not arrival order.
    expect((await timeline(t, hal.id)).items.map((i) => i.messageId)).toEqual(['t-late', 't-early']);
  });

  it('keeps the latest trait across a merge, whichever profile held it and whichever survives', async () => {
    // The older profile survives a merge: try the newer value on the older and on the younger one.
    for (const knownFirst of [true, false]) {
      const t = await hub();
      const device = { anonymousId: 'tv-1', traits: { language: 'fr' }, messageId: 'x-new', timestamp: at(50) };
      const known = { userId: 'ivy', traits: { language: 'en', tier: 'gold' }, messageId: 'x-old', timestamp: at(5) };
      for (const call of knownFirst ? [known, device] : [device, known]) await sendAndSettle(t, 'identify', call);
      await sendAndSettle(t, 'alias', { previousId: 'tv-1', userId: 'ivy', messageId: 'x-alias', timestamp: at(60) });
      const ivy = await profile(t, 'userId', 'ivy');
      expect(ids(ivy)).toEqual(['anonymousId=tv-1', 'userId=ivy']);
      expect(ivy.traits, `known first: ${knownFirst}`).toEqual({ language: 'fr', tier: 'gold' });
      expect(ivy.mergedFrom).toHaveLength(1);
    }
  });

  it('breaks timestamp ties by messageId, so arrival order never matters', async () => {
    for (const order of [['tie-a', 'tie-b'], ['tie-b', 'tie-a']]) {
      const t = await hub();
      for (const messageId of order) {
        await sendAndSettle(t, 'identify', { userId: 'joe', traits: { color: messageId === 'tie-a' ? 'red' : 'blue' }, messageId, timestamp: at(1) });
      }
      expect((await profile(t, 'userId', 'joe')).traits).toEqual({ color: 'blue' });
    }
  });
});

describe('timeline pagination', () => {
  it('pages newest first with limit and cursor, without gaps or repeats, and ends with nextCursor null', async () => {
    const t = await hub();
    // Seven events; p3 and p4 share a timestamp (then the later in the log comes first).
    const minutes = [0, 1, 2, 3, 3, 5, 6];
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: basic() },
      // Sent out of order: the timeline follows event time.
      payload: { batch: [6, 2, 0, 3, 4, 1, 5].map((i) => ({ type: 'track', userId: 'kim', event: `E${i}`, messageId: `p${i}`, timestamp: at(minutes[i] as number) })) },
    });
    expect(res.statusCode, res.body).toBe(200);
    await t.settle();
    const kim = await profile(t, 'userId', 'kim');

    const pages: Page[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await timeline(t, kim.id, `?limit=3${cursor === null ? '' : `&cursor=${cursor}`}`);
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor !== null && pages.length < 10);

    expect(pages.map((p) => p.items.map((i) => i.messageId))).toEqual([['p6', 'p5', 'p4'], ['p3', 'p2', 'p1'], ['p0']]);
    expect(pages.map((p) => p.nextCursor === null)).toEqual([false, false, true]);
    const all = pages.flatMap((p) => p.items);
    expect(all.map((i) => i.event)).toEqual(['E6', 'E5', 'E4', 'E3', 'E2', 'E1', 'E0']);
    const times = all.map((i) => Date.parse(i.timestamp));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    // A page that ends exactly at the last event says so.
    const exact = await timeline(t, kim.id, '?limit=7');
    expect(exact.items).toHaveLength(7);
    expect(exact.nextCursor).toBeNull();
    // The default limit covers them all; a bigger one too.
    expect((await timeline(t, kim.id)).items.map((i) => i.messageId)).toEqual(all.map((i) => i.messageId));
    expect((await timeline(t, kim.id, '?limit=200')).items).toHaveLength(7);
  });

  it('rejects a limit out of range and a cursor it did not issue', async () => {
    const t = await hub();
    await sendAndSettle(t, 'track', { userId: 'lea', event: 'X' });
    const lea = await profile(t, 'userId', 'lea');
    for (const query of ['?limit=0', '?limit=201', '?limit=abc', '?cursor=bm90LWEtY3Vyc29y', '?unknown=1']) {
      const res = await get(t, `/v1/profiles/${lea.id}/timeline${query}`);
      expect(res.status, query).toBe(400);
      expect(res.contentType).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 400, errors: [expect.objectContaining({ path: expect.any(String), message: expect.any(String) })] });
    }
  });
});

describe('lookups that find nothing', () => {
  it('answers 404 problem details for unknown identifiers and ids', async () => {
    const t = await hub();
    await sendAndSettle(t, 'identify', { userId: 'mia', traits: { email: 'mia@example.com' } });
    for (const url of [
      '/v1/profiles/by/userId/nobody',
      '/v1/profiles/by/email/nobody@example.com',
      // A known value under another type is not a match.
      '/v1/profiles/by/anonymousId/mia',
      '/v1/profiles/by/deviceId/mia',
      '/v1/profiles/prof_00000000000000000000000000',
      '/v1/profiles/prof_00000000000000000000000000/timeline',
    ]) {
      const res = await get(t, url);
      expect(res.status, url).toBe(404);
      expect(res.contentType).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 404, title: 'Not Found', detail: expect.stringMatching(/^no profile/) });
    }
    expect((await profile(t, 'userId', 'mia')).identifiers).toHaveLength(2);
  });

  it('needs the admin key to read profiles', async () => {
    const t = await hub();
    await sendAndSettle(t, 'track', { userId: 'noa', event: 'X' });
    const none = await t.app.inject({ method: 'GET', url: '/v1/profiles/by/userId/noa' });
    expect(none.statusCode).toBe(401);
    const writeKey = await t.app.inject({ method: 'GET', url: '/v1/profiles/by/userId/noa', headers: { authorization: bearer('test-write-key') } });
    expect(writeKey.statusCode).toBe(401);
  });
});

describe('custom identifier types from configuration', () => {
  const rules = { identifiers: [...DEFAULT_IDENTITY_RULES.identifiers, { type: 'deviceId', paths: ['context.device.id'] }] };
  const story = async (t: TestHub): Promise<void> => {
    await sendAndSettle(t, 'track', { anonymousId: 'web-session-1', event: 'Opened', context: { device: { id: 'dev-42' } }, messageId: 'd1', timestamp: at(0) });
    await sendAndSettle(t, 'track', { anonymousId: 'web-session-2', event: 'Opened', context: { device: { id: 'dev-42' } }, messageId: 'd2', timestamp: at(1) });
  };

  it('merges two anonymous ids that share a device id', async () => {
    const t = await hub({ identity: rules });
    await story(t);
    const p = await profile(t, 'deviceId', 'dev-42');
    expect(ids(p)).toEqual(['anonymousId=web-session-1', 'anonymousId=web-session-2', 'deviceId=dev-42']);
    expect((await profile(t, 'anonymousId', 'web-session-1')).id).toBe(p.id);
    expect((await profile(t, 'anonymousId', 'web-session-2')).id).toBe(p.id);
    expect((await timeline(t, p.id)).items.map((i) => i.messageId)).toEqual(['d2', 'd1']);
  });

  it('does not, with the default rules (the configuration is what links them)', async () => {
    const t = await hub();
    await story(t);
    const a = await profile(t, 'anonymousId', 'web-session-1');
    const b = await profile(t, 'anonymousId', 'web-session-2');
    expect(a.id).not.toBe(b.id);
    expect((await get(t, '/v1/profiles/by/deviceId/dev-42')).status).toBe(404);
  });
});
