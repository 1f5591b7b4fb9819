import { describe, expect, it } from 'vitest';
import { DEFAULT_WORKSPACE } from '../src/engine/keys.js';
import { admin, basic, hubAt, sendBatch, settled, type TestHub } from './helpers.js';

/** The content catalogue (admin) and the real-time decision API, in process against a real hub (SQLite on a temp dir, virtual clock). */

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const iso = (ms: number): string => new Date(ms).toISOString();

interface Problem {
  status: number;
  errors?: { path: string; message: string }[];
}
interface Answer {
  decisionId: string;
  items: { id: string; placement: string; content: unknown; rank: number; score: number }[];
}

const item = (id: string, overrides: Record<string, unknown> = {}) => ({ id, name: `Item ${id}`, placement: 'home', content: { title: id }, ...overrides });

async function create(t: TestHub, body: Record<string, unknown>): Promise<void> {
  const res = await admin(t, 'POST', '/v1/content', body);
  expect(res.statusCode, res.body).toBe(201);
}

const post = (t: TestHub, url: string, payload: unknown, headers: Record<string, string> = { authorization: basic() }) =>
  t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(payload) });

async function decide(t: TestHub, body: Record<string, unknown>): Promise<Answer> {
  const res = await post(t, '/v1/decide', { placement: 'home', ...body });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Answer>();
}
const ids = (a: Answer): string[] => a.items.map((i) => i.id);

async function identify(t: TestHub, userId: string, traits: Record<string, unknown>): Promise<void> {
  await sendBatch(t, [{ type: 'identify', userId, traits, messageId: `id-${userId}-${JSON.stringify(traits)}`, timestamp: iso(T0) }]);
  await settled(t);
}

const errorPaths = (res: { json: <T>() => T }): string[] => (res.json<Problem>().errors ?? []).map((e) => e.path);

describe('content catalogue (admin)', () => {
  it('creates with defaults, lists (by placement), reads, replaces and deletes', async () => {
    const { t } = await hubAt(T0);
    const created = await admin(t, 'POST', '/v1/content', item('spring', { caps: [{ limit: 2, window: { amount: 1, unit: 'days' } }], from: '2026-03-01T01:00:00+01:00' }));
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toEqual({
      id: 'spring', name: 'Item spring', placement: 'home', content: { title: 'spring' }, priority: 50, value: 1, purpose: 'marketing', channel: 'inApp',
      caps: [{ limit: 2, window: { amount: 1, unit: 'days' } }], from: '2026-03-01T00:00:00.000Z', createdAt: iso(T0), updatedAt: iso(T0),
    });
    await create(t, item('banner', { placement: 'checkout', condition: { kind: 'trait', name: 'plan', op: 'equals', value: 'pro' } }));
    expect((await admin(t, 'POST', '/v1/content', item('spring'))).statusCode).toBe(409);

    const all = await admin(t, 'GET', '/v1/content');
    expect(all.json<{ items: { id: string }[] }>().items.map((i) => i.id)).toEqual(['banner', 'spring']);
    const checkout = await admin(t, 'GET', '/v1/content?placement=checkout');
    expect(checkout.json<{ items: { id: string; condition: unknown }[] }>().items).toMatchObject([{ id: 'banner', condition: { kind: 'trait' } }]);

    const replaced = await admin(t, 'PUT', '/v1/content/spring', { name: 'Spring sale', placement: 'home', content: 'plain text', priority: 90 });
    expect(replaced.statusCode, replaced.body).toBe(200);
    expect(replaced.json()).toMatchObject({ id: 'spring', name: 'Spring sale', content: 'plain text', priority: 90, caps: [], createdAt: iso(T0) });
    expect((await admin(t, 'GET', '/v1/content/spring')).json()).toMatchObject({ name: 'Spring sale' });

    expect((await admin(t, 'DELETE', '/v1/content/spring')).statusCode).toBe(204);
    for (const method of ['GET', 'DELETE'] as const) expect((await admin(t, method, '/v1/content/spring')).statusCode).toBe(404);
    expect((await admin(t, 'PUT', '/v1/content/spring', item('spring'))).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/v1/content' })).statusCode).toBe(401);
  });

  it('answers 400 naming each bad field, and writes nothing', async () => {
    const { t } = await hubAt(T0);
    const bad = await admin(t, 'POST', '/v1/content', {
      id: 'bad id!', name: '', placement: 'home', priority: 500, value: -1, purpose: 'spam', channel: 'fax',
      caps: [{ limit: -1, window: { amount: 1, unit: 'weeks' } }], condition: { kind: 'trait', name: 'plan', op: 'nope' }, from: 'yesterday', colour: 'red',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(errorPaths(bad)).toEqual(expect.arrayContaining([
      'id', 'name', 'content', 'priority', 'value', 'purpose', 'channel', 'caps[0].limit', 'caps[0].window.unit', 'condition.op', 'from', 'colour',
    ]));

    const big = await admin(t, 'POST', '/v1/content', item('big', { content: { text: 'x'.repeat(17 * 1024) } }));
    expect(big.statusCode).toBe(400);
    expect(big.json<Problem>().errors).toEqual([{ path: 'content', message: expect.stringContaining('at most 16384') }]);

    const backwards = await admin(t, 'POST', '/v1/content', item('late', { from: iso(T0 + DAY), until: iso(T0) }));
    expect(errorPaths(backwards)).toEqual(['until']);

    await create(t, item('ok'));
    const renamed = await admin(t, 'PUT', '/v1/content/ok', item('other'));
    expect(renamed.statusCode).toBe(400);
    expect(errorPaths(renamed)).toEqual(['id']);
    expect((await admin(t, 'GET', '/v1/content?colour=red')).statusCode).toBe(400);
    expect((await admin(t, 'GET', '/v1/content')).json<{ items: { id: string; name: string }[] }>().items).toEqual([expect.objectContaining({ id: 'ok', name: 'Item ok' })]);
  });
});

describe('POST /v1/decide', () => {
  it('ranks by priority × value, best first, at most `limit`; the trace is stored with every item', async () => {
    const { t } = await hubAt(T0);
    await identify(t, 'ada', { plan: 'pro' });
    await create(t, item('a', { priority: 50, value: 1 }));
    await create(t, item('b', { priority: 10, value: 10 }));
    await create(t, item('c', { priority: 80, value: 1 }));
    await create(t, item('elsewhere', { placement: 'checkout', priority: 100, value: 100 }));

    const two = await decide(t, { userId: 'ada', limit: 2 });
    expect(two.decisionId).toMatch(/^dec_/);
    expect(two.items).toEqual([
      { id: 'b', placement: 'home', content: { title: 'b' }, rank: 1, score: 100 },
      { id: 'c', placement: 'home', content: { title: 'c' }, rank: 2, score: 80 },
    ]);
    expect(ids(await decide(t, { userId: 'ada', context: { page: { path: '/' } } }))).toEqual(['b']);

    const stored = await t.hub.store.decisions.get(DEFAULT_WORKSPACE, two.decisionId);
    const profile = await t.hub.store.reader.byIdentifier(DEFAULT_WORKSPACE, { type: 'userId', value: 'ada' });
    expect(stored).toMatchObject({ id: two.decisionId, profileId: profile?.id, source: 'decide', placement: 'home', policyVersion: 0, at: T0 });
    expect(stored?.candidates.map((c) => [c.candidate.item?.id, c.trace.outcome, c.trace.rule ?? null, c.trace.ranking.score])).toEqual([
      ['b', 'sent', null, 100], ['c', 'sent', null, 80], ['a', 'rejected', 'slots:inApp', 50],
    ]);
    expect(stored?.candidates[0]?.candidate).toMatchObject({ journeyId: 'placement:home', channel: 'inApp', purpose: 'marketing' });
  });

  it('offers an item only while its condition holds; the others are in the trace under rule `condition`', async () => {
    const { t } = await hubAt(T0);
    await identify(t, 'pro-user', { plan: 'pro' });
    await identify(t, 'free-user', { plan: 'free' });
    await create(t, item('upgrade', { priority: 90, condition: { kind: 'trait', name: 'plan', op: 'equals', value: 'free' } }));
    await create(t, item('tips', { priority: 80, condition: { kind: 'trait', name: 'plan', op: 'equals', value: 'pro' } }));
    await create(t, item('generic', { priority: 10 }));

    expect(ids(await decide(t, { userId: 'free-user', limit: 5 }))).toEqual(['upgrade', 'generic']);
    const pro = await decide(t, { userId: 'pro-user', limit: 5 });
    expect(ids(pro)).toEqual(['tips', 'generic']);
    const trace = (await t.hub.store.decisions.get(DEFAULT_WORKSPACE, pro.decisionId))?.candidates.find((c) => c.candidate.item?.id === 'upgrade');
    expect(trace?.outcome).toMatchObject({ outcome: 'rejected', rule: 'condition' });
    expect(trace?.trace).toMatchObject({ outcome: 'rejected', rule: 'condition', ranking: { priority: 90, value: 1, score: 90 } });
  });

  it('offers an item only within its validity dates (rule `validity`)', async () => {
    const { t, clock } = await hubAt(T0);
    await identify(t, 'ada', {});
    await create(t, item('sale', { from: iso(T0 + DAY), until: iso(T0 + 2 * DAY) }));

    const before = await decide(t, { userId: 'ada' });
    expect(before.items).toEqual([]);
    expect((await t.hub.store.decisions.get(DEFAULT_WORKSPACE, before.decisionId))?.candidates[0]?.trace)
      .toMatchObject({ outcome: 'rejected', rule: 'validity', detail: { from: iso(T0 + DAY), until: iso(T0 + 2 * DAY) } });
    clock.advanceTo(T0 + DAY);
    expect(ids(await decide(t, { userId: 'ada' }))).toEqual(['sale']);
    clock.advanceTo(T0 + 2 * DAY);
    expect(ids(await decide(t, { userId: 'ada' }))).toEqual([]);
  });

  it("holds an item's cap per profile: a reservation counts until it expires; a shown item counts for good", async () => {
    const { t, clock } = await hubAt(T0);
    await identify(t, 'ada', {});
    await identify(t, 'bob', {});
    await create(t, item('offer', { caps: [{ limit: 1, window: { amount: 1, unit: 'days' } }] }));

    const first = await decide(t, { userId: 'ada' });
    expect(ids(first)).toEqual(['offer']);
    const again = await decide(t, { userId: 'ada' });
    expect(again.items).toEqual([]);
    expect((await t.hub.store.decisions.get(DEFAULT_WORKSPACE, again.decisionId))?.candidates[0]?.trace)
      .toMatchObject({ rule: 'cap:item:offer', detail: { count: 1, limit: 1 } });
    expect(ids(await decide(t, { userId: 'bob' }))).toEqual(['offer']);

    clock.advance(31 * MINUTE); // the default reservation (30 minutes) expired unshown: it no longer counts
    const second = await decide(t, { userId: 'ada' });
    expect(ids(second)).toEqual(['offer']);
    const shown = await post(t, `/v1/decisions/${second.decisionId}/shown`, { items: ['offer', 'offer'] });
    expect(shown.statusCode, shown.body).toBe(200);
    expect(shown.json()).toEqual({ shown: 1 });
    expect((await post(t, `/v1/decisions/${second.decisionId}/shown`, { items: ['offer'] })).json()).toEqual({ shown: 0 });

    clock.advance(31 * MINUTE); // shown: it counts for the cap's whole window
    expect((await decide(t, { userId: 'ada' })).items).toEqual([]);
    clock.advanceTo(T0 + 31 * MINUTE + DAY + 1);
    expect(ids(await decide(t, { userId: 'ada' }))).toEqual(['offer']);
  });

  it('decides for an unknown visitor with no traits, under a key of its own', async () => {
    const { t } = await hubAt(T0);
    await create(t, item('welcome', { priority: 10, caps: [{ limit: 1, window: { amount: 1, unit: 'days' } }] }));
    await create(t, item('members', { priority: 90, condition: { kind: 'trait', name: 'plan', op: 'exists' } }));

    const a = await decide(t, { anonymousId: 'visitor-1', limit: 3 });
    expect(ids(a)).toEqual(['welcome']);
    const stored = await t.hub.store.decisions.get(DEFAULT_WORKSPACE, a.decisionId);
    expect(stored?.profileId).toBe(`anon:${DEFAULT_WORKSPACE}:visitor-1`);
    expect(stored?.candidates.map((c) => c.trace.rule ?? 'sent')).toEqual(['condition', 'sent']);
    expect((await decide(t, { anonymousId: 'visitor-1' })).items).toEqual([]);
    expect(ids(await decide(t, { anonymousId: 'visitor-2', userId: 'never-seen' }))).toEqual(['welcome']);
    expect(await t.hub.store.reader.counts()).toMatchObject({ profiles: 0 });
  });

  it('finds a known profile by anonymousId', async () => {
    const { t } = await hubAt(T0);
    await sendBatch(t, [{ type: 'identify', anonymousId: 'anon-7', traits: { plan: 'pro' }, messageId: 'i-1', timestamp: iso(T0) }]);
    await settled(t);
    await create(t, item('members', { condition: { kind: 'trait', name: 'plan', op: 'equals', value: 'pro' } }));
    expect(ids(await decide(t, { anonymousId: 'anon-7' }))).toEqual(['members']);
  });

  it('answers 400 naming the field, 401 without a write key, and writes nothing', async () => {
    const { t } = await hubAt(T0);
    await create(t, item('a'));
    const cases: [unknown, string[]][] = [
      [{ placement: 'home' }, ['userId']],
      [{ userId: 'ada' }, ['placement']],
      [{ userId: 'ada', placement: 'home', limit: 0 }, ['limit']],
      [{ userId: 'ada', placement: 'home', limit: 21 }, ['limit']],
      [{ userId: 'ada', placement: 'home', colour: 'red' }, ['colour']],
      [[], ['']],
    ];
    for (const [body, paths] of cases) {
      const res = await post(t, '/v1/decide', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(errorPaths(res)).toEqual(paths);
    }
    expect((await post(t, '/v1/decide', { userId: 'ada', placement: 'home' }, {})).statusCode).toBe(401);
    expect((await post(t, '/v1/decide', { userId: 'ada', placement: 'home' }, { authorization: basic('nope') })).statusCode).toBe(401);
    expect((await t.hub.store.decisions.ofProfile(DEFAULT_WORKSPACE, `user:${DEFAULT_WORKSPACE}:ada`, { limit: 10 })).decisions).toEqual([]);
    const viaBody = await post(t, '/v1/decide', { userId: 'ada', placement: 'home', writeKey: 'test-write-key' }, {});
    expect(viaBody.statusCode, viaBody.body).toBe(200);
  });

  it('answers cross-origin requests (CORS preflight) as the other write-key routes do', async () => {
    const { t } = await hubAt(T0);
    for (const url of ['/v1/decide', '/v1/decisions/dec_x/shown']) {
      const res = await t.app.inject({ method: 'OPTIONS', url, headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } });
      expect(res.statusCode).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('https://shop.example');
    }
    const res = await post(t, '/v1/decide', { userId: 'ada', placement: 'home' }, { authorization: basic(), origin: 'https://shop.example' });
    expect(res.headers['access-control-allow-origin']).toBe('https://shop.example');
  });
});

describe('POST /v1/decisions/{id}/shown', () => {
  it('answers 404 for a decision the workspace does not have, 400 naming the field, 401 without a key', async () => {
    const { t } = await hubAt(T0);
    const unknown = await post(t, '/v1/decisions/dec_nope/shown', { items: ['a'] });
    expect(unknown.statusCode).toBe(404);
    const bad = await post(t, '/v1/decisions/dec_nope/shown', { items: [] });
    expect(bad.statusCode).toBe(400);
    expect(errorPaths(bad)).toEqual(['items']);
    expect((await post(t, '/v1/decisions/dec_nope/shown', { items: ['a'] }, {})).statusCode).toBe(401);

    await create(t, item('a'));
    const d = await decide(t, { anonymousId: 'v' });
    expect((await post(t, `/v1/decisions/${d.decisionId}/shown`, { items: ['not-in-it'] })).json()).toEqual({ shown: 0 });
  });
});

describe('OpenAPI', () => {
  it('documents the catalogue and the decision API', async () => {
    const { t } = await hubAt(T0);
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/content', '/v1/content/{id}', '/v1/decide', '/v1/decisions/{id}/shown']));
    expect(Object.keys(doc.paths['/v1/content/{id}'] ?? {})).toEqual(['get', 'put', 'delete']);
  });
});
