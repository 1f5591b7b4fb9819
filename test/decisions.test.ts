import { describe, expect, it } from 'vitest';
import type { JourneyDefinitionInput } from '../src/core/journeys/definition.js';
import { publishJourney, saveJourney } from '../src/engine/journeys.js';
import { DEFAULT_WORKSPACE } from '../src/engine/keys.js';
import { RETENTION_EVERY_MS } from '../src/engine/retention.js';
import { admin, basic, hubAt, sendBatch, settled, type TestHub } from './helpers.js';

const T0 = Date.parse('2026-03-02T12:00:00.000Z'); // a Monday, 13:00 in Paris
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number): string => new Date(ms).toISOString();

async function deploy(hub: TestHub, def: JourneyDefinitionInput): Promise<void> {
  const saved = await saveJourney(hub.hub, DEFAULT_WORKSPACE, def);
  expect(saved.ok, JSON.stringify(saved)).toBe(true);
  expect((await publishJourney(hub.hub, DEFAULT_WORKSPACE, def.id)).ok).toBe(true);
}

/** Entered by `event`, proposes one message, then waits a day; `notSent` leads to an exit step of its own. */
const messaging = (id: string, event: string, channel: string, priority = 50): JourneyDefinitionInput => ({
  id, name: id, owner: 'ada@example.com', team: 'CRM', entry: { event }, start: 'send',
  steps: {
    send: { kind: 'action', channel, template: `${id}-1`, priority, next: 'nap', notSent: 'skipped' },
    nap: { kind: 'wait', for: { amount: 1, unit: 'days' }, next: 'end' },
    skipped: { kind: 'exit' },
    end: { kind: 'exit' },
  },
} as JourneyDefinitionInput);

interface CandidateView { journeyId: string; outcome: string; rule: string | null; until: string | null; detail?: Record<string, unknown>; why: string; channel: string }
interface DecisionView { id: string; at: string; policyVersion: number; candidates: CandidateView[] }

async function decisionsOf(t: TestHub, userId: string, query = ''): Promise<DecisionView[]> {
  const p = (await admin(t, 'GET', `/v1/profiles/by/userId/${userId}`)).json<{ id: string }>();
  const res = await admin(t, 'GET', `/v1/profiles/${p.id}/decisions${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: DecisionView[] }>().items;
}

const optedIn = { consent: { marketing: true } };

describe('central arbitration of journeys, with the contact policy and the decision trace', () => {
  it('PUT /v1/policy validates (400 naming the field, nothing deployed) and versions each deploy', async () => {
    const { t } = await hubAt(T0);
    expect((await admin(t, 'GET', '/v1/policy')).json()).toMatchObject({ version: 0, policy: { optIn: [] } });
    const bad = await admin(t, 'PUT', '/v1/policy', { caps: [{ id: 'weekly', limit: -1, window: { amount: 7, unit: 'days' } }] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ errors: { path: string }[] }>().errors.map((e) => e.path)).toEqual(['caps[0].limit']);
    const unknownGroup = await admin(t, 'PUT', '/v1/policy', { caps: [{ id: 'g', limit: 1, window: { amount: 1, unit: 'days' }, conflictGroup: 'nope' }] });
    expect(unknownGroup.json<{ errors: { path: string; message: string }[] }>().errors).toEqual([{ path: 'caps[0].conflictGroup', message: 'names unknown conflict group "nope"' }]);
    expect((await admin(t, 'GET', '/v1/policy/versions')).json()).toEqual({ items: [], nextCursor: null });

    expect((await admin(t, 'PUT', '/v1/policy', { caps: [] })).json()).toMatchObject({ version: 1, policy: { optIn: ['marketing'] } });
    expect((await admin(t, 'PUT', '/v1/policy', { optIn: [] })).json()).toMatchObject({ version: 2 });
    expect((await admin(t, 'GET', '/v1/policy')).json()).toMatchObject({ version: 2, policy: { optIn: [] } });
    expect((await admin(t, 'GET', '/v1/policy/versions')).json<{ items: { version: number }[] }>().items.map((v) => v.version)).toEqual([2, 1]);
    expect((await admin(t, 'GET', '/v1/policy/versions/1')).json()).toMatchObject({ version: 1, policy: { optIn: ['marketing'] } });
    expect((await admin(t, 'GET', '/v1/policy/versions/9')).statusCode).toBe(404);
    expect((await admin(t, 'GET', '/v1/policy/versions/abc')).json<{ errors: { path: string }[] }>().errors.map((e) => e.path)).toEqual(['version']);
    expect((await admin(t, 'PUT', '/v1/policy', { reservation: { amount: 0, unit: 'minutes' } })).json<{ errors: { path: string }[] }>().errors.map((e) => e.path)).toEqual(['reservation']);
  });

  it('journeys competing for one profile: the cap holds across them and over time, losers take notSent, and the trace says why', async () => {
    const { t, clock } = await hubAt(T0);
    expect((await admin(t, 'PUT', '/v1/policy', { caps: [{ id: 'marketing-daily', limit: 1, window: { amount: 1, unit: 'days' } }] })).statusCode).toBe(200);
    await deploy(t, messaging('promo', 'Browsed', 'email', 80));
    await deploy(t, messaging('tips', 'Browsed', 'sms', 20));
    await deploy(t, messaging('later', 'Came Back', 'push', 99));
    await sendBatch(t, [
      { type: 'identify', userId: 'ada', traits: optedIn, timestamp: iso(T0) },
      { type: 'track', userId: 'ada', event: 'Browsed', timestamp: iso(T0) },
    ]);
    await settled(t);
    const [first] = await decisionsOf(t, 'ada');
    expect(first?.policyVersion).toBe(1);
    expect(first?.candidates.map((c) => [c.journeyId, c.outcome, c.rule])).toEqual([['promo', 'sent', null], ['tips', 'rejected', 'cap:marketing-daily']]);
    expect(first?.candidates[1]?.detail).toEqual({ count: 1, limit: 1, window: { amount: 1, unit: 'days' } });
    expect(first?.candidates[1]?.why).toBe('rejected: cap marketing-daily reached: 1 of 1 in 1 day [cap:marketing-daily]; score 20 = priority 20 × propensity 1 (default) × value 1');

    // Later, another journey: the ledger remembers what was sent (the cap counts across decisions) until the window ends.
    clock.advanceTo(T0 + 23 * HOUR);
    await sendBatch(t, [{ type: 'track', userId: 'ada', event: 'Came Back', timestamp: iso(T0 + 23 * HOUR) }]);
    await settled(t);
    expect((await decisionsOf(t, 'ada'))[0]?.candidates.map((c) => [c.journeyId, c.outcome, c.rule])).toEqual([['later', 'rejected', 'cap:marketing-daily']]);
    // The day after the message, the window has passed: a further journey's message goes.
    await deploy(t, messaging('after', 'Returned', 'email'));
    clock.advanceTo(T0 + DAY + 1);
    await sendBatch(t, [{ type: 'track', userId: 'ada', event: 'Returned', timestamp: iso(T0 + DAY + 1) }]);
    await settled(t);
    expect((await decisionsOf(t, 'ada'))[0]?.candidates.map((c) => [c.journeyId, c.outcome])).toEqual([['after', 'sent']]);
    expect((await admin(t, 'GET', '/v1/journeys/tips/stats')).json()).toMatchObject({ actions: { rejected: 1 }, exited: { completed: 1 }, active: [] });
    expect((await admin(t, 'GET', '/v1/journeys/promo/stats')).json()).toMatchObject({ actions: { sent: 1 } });

    const page = await decisionsOf(t, 'ada', '?journey=promo');
    expect(page.map((d) => d.id)).toEqual([first?.id]);
    const one = await admin(t, 'GET', `/v1/decisions/${first?.id}`);
    expect(one.json()).toMatchObject({ id: first?.id, source: 'journey', candidates: [{ journeyId: 'promo' }, { journeyId: 'tips' }] });
    expect((await admin(t, 'GET', '/v1/decisions/dec_nope')).statusCode).toBe(404);
    const p = (await admin(t, 'GET', '/v1/profiles/by/userId/ada')).json<{ id: string }>();
    expect((await admin(t, 'GET', `/v1/profiles/${p.id}/decisions?cursor=nonsense`)).json<{ errors: { path: string }[] }>().errors.map((e) => e.path)).toEqual(['cursor']);
  });

  it('consent, suppression and quiet hours: rejected with their rule, or deferred and sent when quiet hours end (nothing lost)', async () => {
    const { t, clock } = await hubAt(Date.parse('2026-03-02T21:30:00.000Z')); // 22:30 in Paris
    const now = clock.now();
    expect((await admin(t, 'PUT', '/v1/policy', { quietHours: { from: '21:00', to: '08:00' } })).statusCode).toBe(200);
    await deploy(t, messaging('promo', 'Browsed', 'email'));
    await deploy(t, messaging('receipt', 'Ordered', 'email'));
    expect((await admin(t, 'POST', '/v1/suppressions', { type: 'email', value: 'BOB@example.com', channel: 'email', reason: 'hard bounce' })).statusCode).toBe(201);
    await sendBatch(t, [
      { type: 'identify', userId: 'ada', traits: { ...optedIn, timezone: 'Europe/Paris' }, timestamp: iso(now) },
      { type: 'identify', userId: 'cy', traits: { timezone: 'Europe/Paris' }, timestamp: iso(now) },
      { type: 'identify', userId: 'bob', traits: { ...optedIn, email: 'bob@example.com' }, timestamp: iso(now) },
      ...['ada', 'cy', 'bob'].map((userId) => ({ type: 'track', userId, event: 'Browsed', timestamp: iso(now) })),
    ]);
    await settled(t);
    const ruleOf = async (u: string) => (await decisionsOf(t, u))[0]?.candidates[0];
    expect(await ruleOf('cy')).toMatchObject({ outcome: 'rejected', rule: 'consent:marketing:email' });
    expect(await ruleOf('bob')).toMatchObject({ outcome: 'rejected', rule: 'suppression:email' });
    const morning = Date.parse('2026-03-03T07:00:00.000Z'); // 08:00 in Paris
    expect(await ruleOf('ada')).toMatchObject({ outcome: 'deferred', rule: 'quietHours', until: iso(morning) });

    clock.advanceTo(morning - 1);
    await settled(t);
    expect(await decisionsOf(t, 'ada')).toHaveLength(1);
    clock.advanceTo(morning);
    await settled(t);
    expect(await ruleOf('ada')).toMatchObject({ outcome: 'sent' });
    expect((await admin(t, 'GET', '/v1/journeys/promo/stats')).json()).toMatchObject({ actions: { deferred: 1, sent: 1, rejected: 2 }, exited: { completed: 2 } });

    // Listed, then lifted: bob can be reached again.
    expect((await admin(t, 'GET', '/v1/suppressions')).json()).toMatchObject({ items: [{ type: 'email', value: 'bob@example.com', channel: 'email', reason: 'hard bounce' }] });
    expect((await admin(t, 'DELETE', '/v1/suppressions?type=email&value=bob@example.com&channel=email')).statusCode).toBe(204);
    expect((await admin(t, 'DELETE', '/v1/suppressions?type=email&value=bob@example.com&channel=email')).statusCode).toBe(404);
    expect((await admin(t, 'POST', '/v1/suppressions', { type: 'email', channel: 'fax' })).json<{ errors: { path: string }[] }>().errors.map((e) => e.path)).toEqual(['value', 'channel']);
  });

  it('decision traces are kept for the retention period, then expire', async () => {
    const { t, clock } = await hubAt(T0);
    expect((await admin(t, 'PUT', '/v1/policy', { optIn: [], retention: { amount: 10, unit: 'days' } })).statusCode).toBe(200);
    await deploy(t, messaging('promo', 'Browsed', 'email'));
    await sendBatch(t, [{ type: 'track', userId: 'ada', event: 'Browsed', timestamp: iso(T0) }]);
    await settled(t);
    expect(await decisionsOf(t, 'ada')).toHaveLength(1);
    clock.advanceTo(T0 + 10 * DAY - RETENTION_EVERY_MS);
    await sendBatch(t, [{ type: 'track', userId: 'ada', event: 'Poke', timestamp: iso(clock.now()) }]);
    await settled(t);
    expect(await decisionsOf(t, 'ada')).toHaveLength(1);
    clock.advanceTo(T0 + 10 * DAY + RETENTION_EVERY_MS);
    await sendBatch(t, [{ type: 'track', userId: 'ada', event: 'Poke', timestamp: iso(clock.now()), messageId: 'poke-2' }]);
    await settled(t);
    expect(await decisionsOf(t, 'ada')).toEqual([]);
  });

  it('best channel and send time from the receipts that came back: the channel with the best engagement, at the best hour', async () => {
    const { t, clock } = await hubAt(T0); // 13:00 in Paris
    const receipt = (event: string, channel: string, at: number, n: number) => ({ type: 'track', userId: 'ada', event, properties: { channel }, timestamp: iso(at), messageId: `${event}-${channel}-${at}-${n}` });
    const evening = Date.parse('2026-02-20T17:10:00.000Z'); // 18:10 in Paris
    await sendBatch(t, [
      { type: 'identify', userId: 'ada', traits: { timezone: 'Europe/Paris' }, timestamp: iso(evening) },
      ...[0, 1, 2, 3].flatMap((n) => [receipt('Message Delivered', 'email', evening + n * DAY, n), receipt('Message Delivered', 'sms', evening + n * DAY, n)]),
      ...[0, 1, 2].map((n) => receipt('Message Opened', 'sms', evening + n * DAY + 60_000, n)),
      receipt('Message Opened', 'email', evening, 9),
    ]);
    await settled(t);
    await deploy(t, {
      id: 'nudge', name: 'Nudge', owner: 'ada@example.com', team: 'CRM', entry: { event: 'Browsed' }, start: 'send',
      steps: { send: { kind: 'action', channels: ['email', 'sms'], template: 'nudge', sendTime: { within: { amount: 1, unit: 'days' } }, next: 'end' }, end: { kind: 'exit' } },
    } as JourneyDefinitionInput);
    await sendBatch(t, [{ type: 'track', userId: 'ada', event: 'Browsed', timestamp: iso(T0) }]);
    await settled(t);
    const sixPm = Date.parse('2026-03-02T17:00:00.000Z'); // 18:00 in Paris, the hour of most opens
    const [deferred] = await decisionsOf(t, 'ada');
    expect(deferred?.candidates[0]).toMatchObject({ outcome: 'deferred', rule: 'sendTime', until: iso(sixPm), channel: 'sms' });
    expect(deferred?.candidates[0]?.detail).toMatchObject({ hour: 18, timezone: 'Europe/Paris' });

    clock.advanceTo(sixPm);
    await settled(t);
    const [sent] = await decisionsOf(t, 'ada');
    expect(sent?.candidates[0]).toMatchObject({ outcome: 'sent', channel: 'sms' });
  });

  it('every decision, policy and suppression route is in the OpenAPI document', async () => {
    const { t } = await hubAt(T0);
    const doc = (await t.app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    const expected: [string, string][] = [
      ['/v1/profiles/{id}/decisions', 'get'], ['/v1/decisions/{id}', 'get'], ['/v1/policy', 'get'], ['/v1/policy', 'put'], ['/v1/policy/validate', 'post'],
      ['/v1/policy/versions', 'get'], ['/v1/policy/versions/{version}', 'get'], ['/v1/suppressions', 'get'], ['/v1/suppressions', 'post'], ['/v1/suppressions', 'delete'],
    ];
    for (const [path, method] of expected) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
  });

  it("a merge in the same batch: the survivor's caps count what was sent to the profile merged into it", async () => {
    const { t, clock } = await hubAt(T0);
    expect((await admin(t, 'PUT', '/v1/policy', { optIn: [], caps: [{ id: 'daily', limit: 1, window: { amount: 1, unit: 'days' } }] })).statusCode).toBe(200);
    await deploy(t, messaging('promo', 'Browsed', 'email'));
    await deploy(t, messaging('later', 'Came Back', 'email'));
    await sendBatch(t, [
      { type: 'track', anonymousId: 'anon-1', event: 'Browsed', timestamp: iso(T0) },
      { type: 'identify', userId: 'ada', traits: { plan: 'pro' }, timestamp: iso(T0) },
    ]);
    await settled(t);
    clock.advanceTo(T0 + HOUR);
    await sendBatch(t, [
      { type: 'identify', anonymousId: 'anon-1', userId: 'ada', timestamp: iso(T0 + HOUR) },
      { type: 'track', userId: 'ada', event: 'Came Back', timestamp: iso(T0 + HOUR) },
    ]);
    await settled(t);
    const decisions = await decisionsOf(t, 'ada');
    expect(decisions.map((d) => d.candidates.map((c) => [c.journeyId, c.outcome, c.rule]))).toEqual([[['later', 'rejected', 'cap:daily']], [['promo', 'sent', null]]]);
  });

  it("retention keeps the contacts a catalogue item's own cap still counts", async () => {
    const { t, clock } = await hubAt(T0);
    expect((await admin(t, 'PUT', '/v1/policy', { optIn: [], retention: { amount: 10, unit: 'days' } })).statusCode).toBe(200);
    expect((await admin(t, 'POST', '/v1/content', { id: 'hero', name: 'Hero', placement: 'home', content: {}, caps: [{ limit: 1, window: { amount: 365, unit: 'days' } }] })).statusCode).toBe(201);
    const decide = async () => (await t.app.inject({ method: 'POST', url: '/v1/decide', headers: { authorization: basic() }, payload: { userId: 'ada', placement: 'home' } })).json<{ decisionId: string; items: { id: string }[] }>();
    const first = await decide();
    expect(first.items.map((i) => i.id)).toEqual(['hero']);
    expect((await t.app.inject({ method: 'POST', url: `/v1/decisions/${first.decisionId}/shown`, headers: { authorization: basic() }, payload: { items: ['hero'] } })).json()).toEqual({ shown: 1 });
    clock.advanceTo(T0 + 20 * DAY);
    await sendBatch(t, [{ type: 'track', userId: 'someone', event: 'Poke', timestamp: iso(clock.now()) }]);
    await settled(t);
    expect((await t.hub.store.decisions.get(DEFAULT_WORKSPACE, first.decisionId))).toBeUndefined();
    expect((await decide()).items).toEqual([]);
  });
});
