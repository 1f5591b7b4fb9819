import { describe, expect, it } from 'vitest';
import type { JourneyDefinitionInput } from '../src/core/journeys/definition.js';
import { publishJourney, saveJourney, setJourneyStatus } from '../src/engine/journeys.js';
import { DEFAULT_WORKSPACE } from '../src/engine/keys.js';
import { admin, bearer, hubAt, sendBatch, settled, type TestHub } from './helpers.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number): string => new Date(ms).toISOString();

async function deploy(hub: TestHub, def: JourneyDefinitionInput): Promise<void> {
  const saved = await saveJourney(hub.hub, DEFAULT_WORKSPACE, def);
  expect(saved.ok, JSON.stringify(saved)).toBe(true);
  const published = await publishJourney(hub.hub, DEFAULT_WORKSPACE, def.id);
  expect(published.ok, JSON.stringify(published)).toBe(true);
}

interface Item {
  event?: string;
  timestamp: string;
  properties?: Record<string, unknown>;
}

async function timeline(hub: TestHub, userId: string): Promise<Item[]> {
  const get = (url: string) => hub.app.inject({ method: 'GET', url, headers: { authorization: bearer() } });
  const p = (await get(`/v1/profiles/by/userId/${userId}`)).json<{ id: string }>();
  return (await get(`/v1/profiles/${p.id}/timeline?limit=200`)).json<{ items: Item[] }>().items.reverse();
}

const journeyEvents = (items: Item[]) => items.filter((i) => i.event?.startsWith('Journey ')).map((i) => `${i.event}${i.properties?.reason ? `:${String(i.properties.reason)}` : ''}@${i.timestamp}`);

const trial: JourneyDefinitionInput = {
  id: 'trial', name: 'Trial nurture', owner: 'ada@example.com', team: 'Growth',
  entry: { event: 'Trial Started' },
  goal: { event: { event: 'Subscribed' }, within: { amount: 30, unit: 'days' } },
  start: 'wait',
  steps: {
    wait: { kind: 'wait', for: { amount: 30, unit: 'days' }, next: 'mail' },
    mail: { kind: 'action', channel: 'email', template: 'trial-ending', next: 'done' },
    done: { kind: 'exit' },
  },
};

describe('journeys in the processing pipeline, on durable timers and a virtual clock', () => {
  it('a 30-day wait fires at its exact instant, proposes the action and exits, with every record on the timeline', async () => {
    const { t, clock } = await hubAt(T0);
    await deploy(t, trial);
    await sendBatch(t, [{ type: 'track', userId: 'ada', event: 'Trial Started', timestamp: iso(T0) }]);
    await settled(t);
    expect(journeyEvents(await timeline(t, 'ada'))).toEqual([`Journey Entered@${iso(T0)}`]);

    clock.advanceTo(T0 + 30 * DAY - 1);
    await settled(t);
    expect(journeyEvents(await timeline(t, 'ada'))).toHaveLength(1);

    clock.advanceTo(T0 + 30 * DAY);
    await settled(t);
    const at = iso(T0 + 30 * DAY);
    expect(journeyEvents(await timeline(t, 'ada'))).toEqual([`Journey Entered@${iso(T0)}`, `Journey Action@${at}`, `Journey Exited:completed@${at}`]);
    const stats = await t.hub.store.journeys.stats(DEFAULT_WORKSPACE, 'trial');
    expect(stats).toMatchObject({ entered: 1, goalReached: 0, active: [], exited: { completed: 1 }, actions: { sent: 1 } });
  });

  it('10,000 profiles waiting on timers due in the same millisecond all advance exactly once', async () => {
    const { t, clock } = await hubAt(T0);
    await deploy(t, trial);
    const n = 10_000;
    for (let i = 0; i < n; i += 500) {
      await sendBatch(t, Array.from({ length: 500 }, (_, k) => ({ type: 'track', userId: `u${i + k}`, event: 'Trial Started', timestamp: iso(T0), messageId: `m${i + k}` })));
    }
    await settled(t);
    expect((await t.hub.store.journeys.stats(DEFAULT_WORKSPACE, 'trial')).active).toEqual([{ version: 1, step: 'wait', profiles: n }]);
    clock.advanceTo(T0 + 30 * DAY);
    await settled(t);
    clock.advanceTo(T0 + 60 * DAY);
    await settled(t);
    const stats = await t.hub.store.journeys.stats(DEFAULT_WORKSPACE, 'trial');
    expect(stats).toMatchObject({ entered: n, active: [], exited: { completed: n }, actions: { sent: n } });
    expect(await t.hub.store.state.nextDue()).toBeUndefined();
  }, 60_000);

  it('abandoned cart: waitFor the same cart id; another cart does not count; exit criteria and goal', async () => {
    const { t, clock } = await hubAt(T0);
    await deploy(t, {
      id: 'cart', name: 'Abandoned cart', owner: 'bo@example.com', team: 'E-commerce',
      entry: { event: 'Cart Updated' }, reentry: { mode: 'always' },
      goal: { event: { event: 'Order Completed' }, within: { amount: 3, unit: 'days' } },
      start: 'await',
      steps: {
        await: { kind: 'waitFor', event: 'Order Completed', sameAsEntry: ['cartId'], timeout: { amount: 1, unit: 'hours' }, next: 'bought', onTimeout: 'remind' },
        remind: { kind: 'action', channel: 'email', template: 'cart-reminder', next: 'end' },
        bought: { kind: 'goal' },
        end: { kind: 'exit' },
      },
    });
    const track = (userId: string, event: string, ts: number, cartId: string) => ({ type: 'track', userId, event, timestamp: iso(ts), properties: { cartId } });
    await sendBatch(t, [track('ada', 'Cart Updated', T0, 'c1'), track('bob', 'Cart Updated', T0, 'c2')]);
    await settled(t);
    clock.advanceTo(T0 + 10 * 60_000);
    await sendBatch(t, [track('ada', 'Order Completed', T0 + 10 * 60_000, 'other'), track('bob', 'Order Completed', T0 + 10 * 60_000, 'c2')]);
    await settled(t);
    clock.advanceTo(T0 + 2 * HOUR);
    await settled(t);
    const ada = journeyEvents(await timeline(t, 'ada'));
    const bob = journeyEvents(await timeline(t, 'bob'));
    // Ada bought another cart: that is the goal (any order), but her cart c1 timed out and was reminded.
    expect(ada).toEqual([`Journey Entered@${iso(T0)}`, `Journey Goal Reached@${iso(T0 + 10 * 60_000)}`, `Journey Action@${iso(T0 + HOUR)}`, `Journey Exited:completed@${iso(T0 + HOUR)}`]);
    expect(bob).toEqual([`Journey Entered@${iso(T0)}`, `Journey Goal Reached@${iso(T0 + 10 * 60_000)}`, `Journey Exited:completed@${iso(T0 + 10 * 60_000)}`]);
  });

  it('a segment entry starts a journey; an update step writes traits that segments then see', async () => {
    const { t } = await hubAt(T0);
    const vip = (await admin(t, 'POST', '/v1/segments', { name: 'VIP', condition: { kind: 'trait', name: 'plan', op: 'equals', value: 'pro' } })).json<{ id: string }>().id;
    const welcomed = (await admin(t, 'POST', '/v1/segments', { name: 'Welcomed', condition: { kind: 'trait', name: 'welcomed', op: 'equals', value: true } })).json<{ id: string }>().id;
    await deploy(t, {
      id: 'vip-welcome', name: 'VIP welcome', owner: 'cy@example.com', team: 'CRM',
      entry: { segment: vip },
      start: 'mark',
      steps: {
        mark: { kind: 'update', set: { welcomed: true }, increment: { vipWelcomes: 1 }, next: 'end' },
        end: { kind: 'exit' },
      },
    });
    await sendBatch(t, [{ type: 'identify', userId: 'ada', traits: { plan: 'pro' }, timestamp: iso(T0) }]);
    await settled(t);
    const p = (await admin(t, 'GET', '/v1/profiles/by/userId/ada')).json<{ id: string; traits: Record<string, unknown> }>();
    expect(p.traits).toMatchObject({ plan: 'pro', welcomed: true, vipWelcomes: 1 });
    const segments = (await admin(t, 'GET', `/v1/profiles/${p.id}/segments`)).json<{ items: { segmentId: string }[] }>().items.map((s) => s.segmentId);
    expect(segments.sort()).toEqual([vip, welcomed].sort());
    expect(journeyEvents(await timeline(t, 'ada'))).toEqual([`Journey Entered@${iso(T0)}`, `Journey Exited:completed@${iso(T0)}`]);
  });

  it('a merge in the middle of a wait: the survivor takes over the journey and sees the merging event', async () => {
    const { t, clock } = await hubAt(T0);
    await deploy(t, {
      id: 'cart', name: 'Cart', owner: 'bo@example.com', team: 'E-commerce', entry: { event: 'Cart Updated' },
      goal: { event: { event: 'Order Completed' }, within: { amount: 3, unit: 'days' } },
      start: 'await',
      steps: {
        await: { kind: 'waitFor', event: 'Order Completed', timeout: { amount: 1, unit: 'hours' }, next: 'bought', onTimeout: 'remind' },
        remind: { kind: 'action', channel: 'email', template: 'cart-reminder', next: 'end' },
        bought: { kind: 'goal' },
        end: { kind: 'exit' },
      },
    });
    await sendBatch(t, [{ type: 'identify', userId: 'u1', traits: { plan: 'free' }, timestamp: iso(T0 - DAY) }]);
    await settled(t);
    await sendBatch(t, [{ type: 'track', anonymousId: 'a1', event: 'Cart Updated', timestamp: iso(T0) }]);
    await settled(t);
    clock.advanceTo(T0 + 10 * 60_000);
    await sendBatch(t, [{ type: 'track', userId: 'u1', anonymousId: 'a1', event: 'Order Completed', timestamp: iso(T0 + 10 * 60_000) }]);
    await settled(t);
    clock.advanceTo(T0 + 2 * HOUR);
    await settled(t);
    const at = iso(T0 + 10 * 60_000);
    expect(journeyEvents(await timeline(t, 'u1'))).toEqual([`Journey Entered@${iso(T0)}`, `Journey Goal Reached@${at}`, `Journey Exited:completed@${at}`]);
    expect(await t.hub.store.journeys.stats(DEFAULT_WORKSPACE, 'cart')).toMatchObject({ entered: 1, active: [], exited: { completed: 1 }, actions: {} });
  });

  it('timers held by a pause fire as of the resume, once, not back-dated into the pause', async () => {
    const { t, clock } = await hubAt(T0);
    await deploy(t, {
      id: 'daily', name: 'Daily', owner: 'cy@example.com', team: 'CRM', entry: { event: 'Subscribed' }, start: 'day',
      steps: { day: { kind: 'wait', for: { amount: 1, unit: 'days' }, next: 'tip' }, tip: { kind: 'action', channel: 'email', template: 'tip', next: 'day' } },
    });
    await sendBatch(t, [{ type: 'track', userId: 'ada', event: 'Subscribed', timestamp: iso(T0) }]);
    await settled(t);
    clock.advanceTo(T0 + HOUR);
    expect((await setJourneyStatus(t.hub, DEFAULT_WORKSPACE, 'daily', 'paused')).ok).toBe(true);
    clock.advanceTo(T0 + 5 * DAY);
    await settled(t);
    expect(journeyEvents(await timeline(t, 'ada'))).toEqual([`Journey Entered@${iso(T0)}`]);
    expect((await setJourneyStatus(t.hub, DEFAULT_WORKSPACE, 'daily', 'live')).ok).toBe(true);
    await settled(t);
    clock.advanceTo(T0 + 6 * DAY);
    await settled(t);
    expect(journeyEvents(await timeline(t, 'ada'))).toEqual([`Journey Entered@${iso(T0)}`, `Journey Action@${iso(T0 + 5 * DAY)}`, `Journey Action@${iso(T0 + 6 * DAY)}`]);
  });
});
