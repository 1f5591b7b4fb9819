import { describe, expect, it } from 'vitest';
import { admin, basic, bearer, hubAt, settled, type TestHub } from './helpers.js';

/** The journeys admin API in-process: drafts, validation, publish, a profile through a wait, stats, lifecycle, migration. */

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;
const iso = (ms: number): string => new Date(ms).toISOString();

async function track(hub: TestHub, body: Record<string, unknown>): Promise<void> {
  const res = await hub.app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic() }, payload: body });
  expect(res.statusCode, res.body).toBe(200);
}

/** Everything appended processed, and the processor idle (timers done). */
interface ProfileJourneyBody {
  journeyId: string;
  version: number;
  status: string;
  step: string;
  enteredAt: string;
  nextTimer: string | null;
  goalAt: string | null;
  exitReason: string | null;
}
interface StatsBody {
  entered: number;
  goalReached: number;
  conversionRate: number | null;
  active: { version: number; step: string; profiles: number }[];
  exited: Record<string, number>;
  actions: Record<string, number>;
}
interface Problem {
  status: number;
  errors?: { path: string; message: string }[];
}

const profileId = async (hub: TestHub, type: string, value: string): Promise<string> => {
  const res = await admin(hub, 'GET', `/v1/profiles/by/${type}/${value}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ id: string }>().id;
};
const journeysOf = async (hub: TestHub, id: string): Promise<ProfileJourneyBody[]> => {
  const res = await admin(hub, 'GET', `/v1/profiles/${id}/journeys`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: ProfileJourneyBody[] }>().items;
};
const statsOf = async (hub: TestHub, id: string): Promise<StatsBody> => (await admin(hub, 'GET', `/v1/journeys/${id}/stats`)).json<StatsBody>();
const journeyEvents = async (hub: TestHub, id: string) =>
  (await admin(hub, 'GET', `/v1/profiles/${id}/timeline?limit=200`)).json<{ items: { event?: string; timestamp: string; properties?: Record<string, unknown> }[] }>()
    .items.filter((e) => e.event?.startsWith('Journey '));

/** Signs up → waits a day → an email is proposed → exits. Goal: an order within 7 days. */
const welcome = (overrides: Record<string, unknown> = {}) => ({
  id: 'welcome',
  name: 'Welcome series',
  description: 'Greets new customers a day after they sign up',
  owner: 'ada@example.com',
  team: 'growth',
  entry: { event: 'Signed Up' },
  goal: { event: { event: 'Order Completed' }, within: { amount: 7, unit: 'days' } },
  start: 'cool',
  steps: {
    cool: { kind: 'wait', for: { amount: 1, unit: 'days' }, next: 'send' },
    send: { kind: 'action', channel: 'email', template: 'welcome-1', next: 'end' },
    end: { kind: 'exit' },
  },
  ...overrides,
});

const signUp = (userId: string, ts: number) => ({ userId, event: 'Signed Up', timestamp: iso(ts), messageId: `su-${userId}-${ts}` });

async function createAndPublish(hub: TestHub, definition = welcome()): Promise<void> {
  const created = await admin(hub, 'POST', '/v1/journeys', definition);
  expect(created.statusCode, created.body).toBe(201);
  const published = await admin(hub, 'POST', `/v1/journeys/${definition.id}/publish`);
  expect(published.statusCode, published.body).toBe(200);
  expect(published.json()).toEqual({ version: 1 });
}

describe('journeys admin API', () => {
  it('creates a draft (201), lists it, answers it with its versions, refuses a second create (409) and deletes a draft (204)', async () => {
    const { t } = await hubAt(T0);
    const created = await admin(t, 'POST', '/v1/journeys', welcome());
    expect(created.statusCode, created.body).toBe(201);
    const summary = {
      id: 'welcome', name: 'Welcome series', description: 'Greets new customers a day after they sign up', owner: 'ada@example.com', team: 'growth',
      status: 'draft', liveVersion: null, draftPublished: false, createdAt: iso(T0), updatedAt: iso(T0),
    };
    expect(created.json()).toMatchObject({ ...summary, versions: [], draft: { id: 'welcome', reentry: { mode: 'once' }, start: 'cool' } });

    expect((await admin(t, 'GET', '/v1/journeys')).json()).toEqual({ items: [summary], nextCursor: null });
    expect((await admin(t, 'GET', '/v1/journeys/welcome')).json()).toMatchObject({ ...summary, versions: [], draft: { steps: { send: { kind: 'action', priority: 50 } } } });

    const again = await admin(t, 'POST', '/v1/journeys', welcome({ name: 'Another' }));
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await admin(t, 'GET', '/v1/journeys/welcome')).json()).toMatchObject({ name: 'Welcome series' });

    const renamed = await admin(t, 'PUT', '/v1/journeys/welcome', welcome({ name: 'Welcome, renamed' }));
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'Welcome, renamed', status: 'draft' });
    const wrongId = await admin(t, 'PUT', '/v1/journeys/welcome', welcome({ id: 'other' }));
    expect(wrongId.statusCode).toBe(400);
    expect(wrongId.json<Problem>().errors).toContainEqual({ path: 'id', message: expect.stringMatching(/welcome/) as unknown });
    expect((await admin(t, 'PUT', '/v1/journeys/nope', welcome({ id: 'nope' }))).statusCode).toBe(404);
    expect((await admin(t, 'GET', '/v1/journeys/welcome/versions/1')).statusCode).toBe(404);
    expect((await admin(t, 'POST', '/v1/journeys/welcome/pause')).statusCode).toBe(409);

    expect((await admin(t, 'DELETE', '/v1/journeys/welcome')).statusCode).toBe(204);
    expect((await admin(t, 'GET', '/v1/journeys/welcome')).statusCode).toBe(404);
    expect((await admin(t, 'DELETE', '/v1/journeys/welcome')).statusCode).toBe(404);
    expect((await admin(t, 'GET', '/v1/journeys')).json()).toEqual({ items: [], nextCursor: null });
    expect((await t.app.inject({ url: '/v1/journeys' })).statusCode).toBe(401);
  });

  it('refuses invalid definitions with a 400 naming the path, and saves nothing', async () => {
    const { t } = await hubAt(T0);
    const steps = welcome().steps;
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['dangling edge', { steps: { ...steps, send: { ...steps.send, next: 'nowhere' } } }, 'steps.send.next', /unknown step "nowhere"/],
      ['unknown step kind', { steps: { ...steps, send: { kind: 'teleport', next: 'end' } } }, 'steps.send.kind', /'wait' \| 'waitFor'/],
      ['unknown segment', { entry: { segment: 'seg_nope' } }, 'entry.segment', /unknown segment "seg_nope"/],
      ['cycle without a wait', {
        start: 'check',
        steps: {
          check: { kind: 'branch', branches: [{ condition: { kind: 'trait', name: 'vip', op: 'equals', value: true }, next: 'end' }], default: 'bump' },
          bump: { kind: 'update', increment: { tries: 1 }, next: 'check' },
          end: { kind: 'exit' },
        },
      }, 'steps.', /cycle without a wait/],
      ['unreachable step', { steps: { ...steps, orphan: { kind: 'exit' } } }, 'steps.orphan', /unreachable/],
      ['bad start', { start: 'nope' }, 'start', /unknown step/],
      ['unknown field', { colour: 'blue' }, 'colour', /unknown field/],
    ];
    for (const [what, overrides, path, message] of cases) {
      const id = `bad-${what.replace(/ /g, '-')}`;
      const res = await admin(t, 'POST', '/v1/journeys', welcome({ id, ...overrides }));
      expect(res.statusCode, `${what}: ${res.body}`).toBe(400);
      const body = res.json<Problem>();
      expect(body.errors, what).toContainEqual({ path: expect.stringMatching(new RegExp(`^${path.replace(/[[\].]/g, '\\$&')}`)) as unknown, message: expect.stringMatching(message) as unknown });
      expect((await admin(t, 'GET', `/v1/journeys/${id}`)).statusCode, what).toBe(404);
    }
    const notJson = await t.app.inject({ method: 'POST', url: '/v1/journeys', headers: { authorization: bearer(), 'content-type': 'application/json' }, payload: '{' });
    expect(notJson.statusCode).toBe(400);
    expect((await admin(t, 'GET', '/v1/journeys')).json()).toEqual({ items: [], nextCursor: null });
  });

  it('publishes version 1; a profile enters on its event, waits a day, gets its action and leaves; stats count it', async () => {
    const { t, clock } = await hubAt(T0);
    await createAndPublish(t);
    expect((await admin(t, 'GET', '/v1/journeys/welcome')).json()).toMatchObject({
      status: 'live', liveVersion: 1, draftPublished: true, versions: [{ version: 1, publishedAt: iso(T0) }],
    });
    expect((await admin(t, 'GET', '/v1/journeys/welcome/versions/1')).json()).toMatchObject({ id: 'welcome', start: 'cool' });
    expect((await admin(t, 'GET', '/v1/journeys/welcome/versions/x')).statusCode).toBe(400);

    await track(t, signUp('ada', T0));
    await track(t, { userId: 'bob', event: 'Page Viewed', timestamp: iso(T0) });
    await settled(t);
    const ada = await profileId(t, 'userId', 'ada');
    expect(await journeysOf(t, ada)).toEqual([expect.objectContaining({
      journeyId: 'welcome', version: 1, status: 'active', step: 'cool', enteredAt: iso(T0), nextTimer: iso(T0 + DAY), goalAt: null, exitReason: null,
    })]);
    expect(await journeysOf(t, await profileId(t, 'userId', 'bob'))).toEqual([]);
    expect((await admin(t, 'GET', '/v1/profiles/prof_nope/journeys')).statusCode).toBe(404);
    expect(await statsOf(t, 'welcome')).toMatchObject({ entered: 1, goalReached: 0, conversionRate: 0, active: [{ version: 1, step: 'cool', profiles: 1 }] });
    expect((await journeyEvents(t, ada)).map((e) => e.event)).toEqual(['Journey Entered']);

    clock.advanceTo(T0 + 2 * HOUR);
    await track(t, { userId: 'ada', event: 'Order Completed', timestamp: iso(T0 + 2 * HOUR), messageId: 'order-ada' });
    await settled(t);
    expect(await journeysOf(t, ada)).toEqual([expect.objectContaining({ status: 'active', step: 'cool', goalAt: iso(T0 + 2 * HOUR) })]);

    clock.advanceTo(T0 + DAY - 1);
    await settled(t);
    expect(await journeysOf(t, ada)).toEqual([expect.objectContaining({ status: 'active', step: 'cool' })]);
    clock.advanceTo(T0 + DAY);
    await settled(t);
    expect(await journeysOf(t, ada)).toEqual([expect.objectContaining({ status: 'done', step: 'end', exitReason: 'completed', nextTimer: null })]);
    const events = await journeyEvents(t, ada);
    // Both at the same instant; the timeline's order of hub events that tie on time is not asserted here.
    expect(events.map((e) => e.event).sort()).toEqual(['Journey Action', 'Journey Entered', 'Journey Exited', 'Journey Goal Reached']);
    expect(events.find((e) => e.event === 'Journey Exited')).toMatchObject({ timestamp: iso(T0 + DAY), properties: { journeyId: 'welcome', version: 1, reason: 'completed', step: 'end' } });
    expect(events.find((e) => e.event === 'Journey Goal Reached')).toMatchObject({ timestamp: iso(T0 + 2 * HOUR) });
    expect(events.find((e) => e.event === 'Journey Action')).toMatchObject({ timestamp: iso(T0 + DAY), properties: { step: 'send', channel: 'email', template: 'welcome-1', outcome: 'sent' } });
    expect(await statsOf(t, 'welcome')).toMatchObject({
      entered: 1, goalReached: 1, conversionRate: 1, active: [], exited: { completed: 1 }, actions: { sent: 1 },
    });

    expect((await admin(t, 'DELETE', '/v1/journeys/welcome')).statusCode).toBe(409);
    expect((await admin(t, 'GET', '/v1/journeys/welcome')).statusCode).toBe(200);
  });

  it('moves profiles to a new version with a migration, pauses, resumes and archives (profiles exit "archived")', async () => {
    const { t, clock } = await hubAt(T0);
    await createAndPublish(t);
    await track(t, signUp('ada', T0));
    await settled(t);
    const ada = await profileId(t, 'userId', 'ada');

    const v2 = welcome({
      start: 'rest',
      steps: { rest: { kind: 'wait', for: { amount: 2, unit: 'days' }, next: 'send' }, send: welcome().steps.send, end: { kind: 'exit' } },
    });
    const put = await admin(t, 'PUT', '/v1/journeys/welcome', v2);
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ status: 'live', liveVersion: 1, draftPublished: false });
    const toExit = await admin(t, 'POST', '/v1/journeys/welcome/publish', { migrate: { steps: { cool: 'end' } } });
    expect(toExit.statusCode).toBe(400);
    expect(toExit.json<Problem>().errors).toContainEqual({ path: 'migrate.steps.cool', message: expect.stringMatching(/wait/) as unknown });
    const badBody = await admin(t, 'POST', '/v1/journeys/welcome/publish', { migrate: { cool: 'rest' } });
    expect(badBody.statusCode).toBe(400);
    expect((await admin(t, 'GET', '/v1/journeys/welcome')).json()).toMatchObject({ liveVersion: 1 });

    const published = await admin(t, 'POST', '/v1/journeys/welcome/publish', { migrate: { steps: { cool: 'rest' } } });
    expect(published.statusCode, published.body).toBe(200);
    expect(published.json()).toEqual({ version: 2 });
    await settled(t);
    // The wait is counted from when the profile reached the old step: its timer is re-computed on the new one.
    expect(await journeysOf(t, ada)).toEqual([expect.objectContaining({ journeyId: 'welcome', version: 2, status: 'active', step: 'rest', nextTimer: iso(T0 + 2 * DAY) })]);
    expect((await admin(t, 'GET', '/v1/journeys/welcome')).json()).toMatchObject({ liveVersion: 2, draftPublished: true, versions: [{ version: 1 }, { version: 2 }] });
    expect((await admin(t, 'GET', '/v1/journeys/welcome/versions/2')).json()).toMatchObject({ start: 'rest' });
    expect((await admin(t, 'GET', '/v1/journeys/welcome/versions/1')).json()).toMatchObject({ start: 'cool' });
    expect((await statsOf(t, 'welcome')).active).toEqual([{ version: 2, step: 'rest', profiles: 1 }]);

    const paused = await admin(t, 'POST', '/v1/journeys/welcome/pause');
    expect(paused.statusCode, paused.body).toBe(200);
    expect(paused.json()).toMatchObject({ status: 'paused' });
    clock.advanceTo(T0 + HOUR);
    await track(t, signUp('cy', T0 + HOUR));
    await settled(t);
    expect(await journeysOf(t, await profileId(t, 'userId', 'cy'))).toEqual([]);
    expect((await admin(t, 'POST', '/v1/journeys/welcome/resume')).json()).toMatchObject({ status: 'live' });
    await settled(t);
    expect(await journeysOf(t, ada)).toEqual([expect.objectContaining({ version: 2, status: 'active', step: 'rest', nextTimer: iso(T0 + 2 * DAY) })]);
    expect((await admin(t, 'DELETE', '/v1/journeys/welcome')).statusCode).toBe(409);

    const archived = await admin(t, 'POST', '/v1/journeys/welcome/archive');
    expect(archived.statusCode, archived.body).toBe(200);
    expect(archived.json()).toMatchObject({ status: 'archived' });
    await settled(t);
    expect(await journeysOf(t, ada)).toEqual([expect.objectContaining({ status: 'done', exitReason: 'archived' })]);
    expect((await journeyEvents(t, ada))[0]).toMatchObject({ event: 'Journey Exited', properties: { reason: 'archived' } });
    expect(await statsOf(t, 'welcome')).toMatchObject({ entered: 1, active: [], exited: { archived: 1 } });

    expect((await admin(t, 'PUT', '/v1/journeys/welcome', v2)).statusCode).toBe(409);
    expect((await admin(t, 'POST', '/v1/journeys/welcome/publish')).statusCode).toBe(409);
    expect((await admin(t, 'POST', '/v1/journeys/welcome/resume')).statusCode).toBe(409);
    expect((await admin(t, 'DELETE', '/v1/journeys/welcome')).statusCode).toBe(409);
  });

  it('answers a merged-away profile id with its survivor\'s journeys', async () => {
    const { t } = await hubAt(T0);
    await createAndPublish(t);
    await track(t, { anonymousId: 'anon-1', event: 'Page Viewed', timestamp: iso(T0), messageId: 'pv-1' });
    await track(t, signUp('dee', T0));
    await settled(t);
    const anon = await profileId(t, 'anonymousId', 'anon-1');
    const dee = await profileId(t, 'userId', 'dee');
    expect(anon).not.toBe(dee);
    const alias = await t.app.inject({ method: 'POST', url: '/v1/alias', headers: { authorization: basic() }, payload: { previousId: 'anon-1', userId: 'dee', messageId: 'al-1' } });
    expect(alias.statusCode, alias.body).toBe(200);
    await settled(t);
    const survivor = await profileId(t, 'userId', 'dee');
    const loser = survivor === dee ? anon : dee;
    expect(await journeysOf(t, loser)).toEqual(await journeysOf(t, survivor));
    expect(await journeysOf(t, survivor)).toEqual([expect.objectContaining({ journeyId: 'welcome', status: 'active' })]);
  });

  it('serves the JSON Schema of a journey file, and documents every journey route in OpenAPI', async () => {
    const { t } = await hubAt(T0);
    const schema = await admin(t, 'GET', '/v1/journeys/schema');
    expect(schema.statusCode).toBe(200);
    expect(schema.json()).toMatchObject({ type: 'object', properties: { id: { type: 'string' }, steps: { type: 'object' } } });
    expect(schema.json<{ required: string[] }>().required).toEqual(expect.arrayContaining(['id', 'name', 'entry', 'start', 'steps']));

    const doc = (await t.app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    const expected: [string, string][] = [
      ['/v1/journeys', 'get'], ['/v1/journeys', 'post'], ['/v1/journeys/schema', 'get'],
      ['/v1/journeys/{id}', 'get'], ['/v1/journeys/{id}', 'put'], ['/v1/journeys/{id}', 'delete'],
      ['/v1/journeys/{id}/publish', 'post'], ['/v1/journeys/{id}/pause', 'post'], ['/v1/journeys/{id}/resume', 'post'], ['/v1/journeys/{id}/archive', 'post'],
      ['/v1/journeys/{id}/versions/{version}', 'get'], ['/v1/journeys/{id}/stats', 'get'], ['/v1/profiles/{id}/journeys', 'get'],
    ];
    for (const [path, method] of expected) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
  });
});
