import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { JourneyDefinitionInput } from '../src/core/journeys/definition.js';
import { publishJourney, saveJourney } from '../src/engine/journeys.js';
import { DEFAULT_WORKSPACE } from '../src/engine/keys.js';
import { admin, basic, hubAt, sendBatch, settled, type TestHub } from './helpers.js';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

async function deploy(t: TestHub, def: JourneyDefinitionInput): Promise<void> {
  expect((await saveJourney(t.hub, DEFAULT_WORKSPACE, def)).ok).toBe(true);
  expect((await publishJourney(t.hub, DEFAULT_WORKSPACE, def.id)).ok).toBe(true);
}

const welcome = (template = 'welcome'): JourneyDefinitionInput => ({
  id: 'welcome', name: 'Welcome', owner: 'ada@example.com', team: 'CRM', entry: { event: 'Signed Up' }, reentry: { mode: 'always' }, start: 'mail',
  steps: { mail: { kind: 'action', channel: 'email', template, next: 'end' }, end: { kind: 'exit' } },
} as JourneyDefinitionInput);

const TEMPLATE = {
  channel: 'email', subject: 'Welcome, {{ profile.firstName }}!', text: 'Your plan: {{ event.plan }}. Unsubscribe: {{ message.unsubscribe_url }}',
  html: '<p>Hello {{ profile.firstName }}</p>',
};

interface Mail { key: string; to: string; subject?: string; text?: string; headers?: Record<string, string> }
const mailbox = async (t: TestHub) => (await admin(t, 'GET', '/v1/mailbox')).json<{ items: Mail[] }>().items;

/** Processing, then dispatch, until both are idle. */
async function delivered(t: TestHub): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await settled(t);
    await t.hub.dispatcher.whenIdle();
  }
}

describe('delivery: outbox, dispatch to the local mailbox, receipts and unsubscribe', () => {
  it('a decided email is rendered with Liquid, lands in the mailbox once, and comes back as Message Delivered', async () => {
    const { t } = await hubAt(T0);
    expect((await admin(t, 'PUT', '/v1/templates/welcome', TEMPLATE)).statusCode).toBe(201);
    await deploy(t, welcome());
    await sendBatch(t, [
      { type: 'identify', userId: 'ada', traits: { firstName: 'Ada', email: 'Ada@Example.com', consent: { marketing: true } }, timestamp: iso(T0) },
      { type: 'track', userId: 'ada', event: 'Signed Up', properties: { plan: 'pro' }, timestamp: iso(T0) },
    ]);
    await delivered(t);
    const [mail, ...more] = await mailbox(t);
    expect(more).toEqual([]);
    expect(mail).toMatchObject({ to: 'Ada@Example.com', subject: 'Welcome, Ada!', headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } });
    expect(mail?.text).toMatch(/^Your plan: pro\. Unsubscribe: http:\/\/127\.0\.0\.1:8080\/u\/\S+$/);
    expect((await admin(t, 'GET', `/v1/outbox/${encodeURIComponent(mail?.key ?? '')}`)).json()).toMatchObject({ status: 'delivered', attempts: 1 });

    const p = (await admin(t, 'GET', '/v1/profiles/by/userId/ada')).json<{ id: string }>();
    const timeline = (await admin(t, 'GET', `/v1/profiles/${p.id}/timeline`)).json<{ items: { event?: string; properties?: Record<string, unknown> }[] }>().items;
    expect(timeline.find((i) => i.event === 'Message Delivered')?.properties).toMatchObject({ channel: 'email', messageKey: mail?.key, contributor: 'mailbox', journeyId: 'welcome' });
    const mailboxContributor = (await admin(t, 'GET', '/v1/contributors')).json<{ items: { id: string; health: Record<string, unknown> }[] }>().items.find((c) => c.id === 'mailbox');
    expect(mailboxContributor?.health).toMatchObject({ queueDepth: 0, attempts: 1, errorRate: 0 });
  });

  it('the unsubscribe link withdraws consent at once: the next marketing email is rejected, and the trace says why', async () => {
    const { t, clock } = await hubAt(T0);
    await admin(t, 'PUT', '/v1/policy', { optIn: ['marketing'] });
    await admin(t, 'PUT', '/v1/templates/welcome', TEMPLATE);
    await deploy(t, welcome());
    await sendBatch(t, [
      { type: 'identify', userId: 'ada', traits: { firstName: 'Ada', email: 'ada@example.com', consent: { marketing: true } }, timestamp: iso(T0) },
      { type: 'track', userId: 'ada', event: 'Signed Up', timestamp: iso(T0) },
    ]);
    await delivered(t);
    const [mail] = await mailbox(t);
    const url = new URL(/<(.+)>/.exec(mail?.headers?.['List-Unsubscribe'] ?? '')?.[1] ?? 'http://x/none');
    expect((await t.app.inject({ method: 'GET', url: url.pathname })).statusCode).toBe(200);
    const one = await t.app.inject({ method: 'POST', url: url.pathname, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(one.statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: `${url.pathname}x` })).statusCode).toBe(404);
    await settled(t);
    const profile = (await admin(t, 'GET', '/v1/profiles/by/userId/ada')).json<{ id: string; traits: Record<string, unknown> }>();
    expect(profile.traits.consent).toEqual({ marketing: { email: false, sms: true, push: true, inApp: true, webhook: true } });

    clock.advanceTo(T0 + 60_000);
    await sendBatch(t, [{ type: 'track', userId: 'ada', event: 'Signed Up', timestamp: iso(T0 + 60_000), messageId: 'again' }]);
    await delivered(t);
    expect(await mailbox(t)).toHaveLength(1);
    const decisions = (await admin(t, 'GET', `/v1/profiles/${profile.id}/decisions`)).json<{ items: { candidates: { outcome: string; rule: string | null }[] }[] }>().items;
    expect(decisions[0]?.candidates[0]).toMatchObject({ outcome: 'rejected', rule: 'consent:marketing:email' });
  });

  it('an undeliverable message goes to the dead-letter queue; fixed and retried, it is delivered', async () => {
    const { t } = await hubAt(T0);
    await deploy(t, welcome('missing'));
    await sendBatch(t, [
      { type: 'identify', userId: 'ada', traits: { email: 'ada@example.com' }, timestamp: iso(T0) },
      { type: 'track', userId: 'ada', event: 'Signed Up', timestamp: iso(T0) },
    ]);
    await delivered(t);
    const dlq = (await admin(t, 'GET', '/v1/outbox/dlq')).json<{ items: { key: string; lastError: string; status: string }[] }>().items;
    expect(dlq).toEqual([expect.objectContaining({ status: 'dead', lastError: 'no template "missing"' })]);
    await admin(t, 'PUT', '/v1/templates/missing', TEMPLATE);
    expect((await admin(t, 'POST', `/v1/outbox/dlq/${encodeURIComponent(dlq[0]?.key ?? '')}/retry`)).json()).toEqual({ retried: 1 });
    await delivered(t);
    expect(await mailbox(t)).toHaveLength(1);
    expect((await admin(t, 'GET', '/v1/outbox/dlq')).json()).toEqual({ items: [], nextCursor: null });
  });

  it('contributors: validated (400 naming the field), credentials stored sealed and never returned', async () => {
    const { t } = await hubAt(T0);
    const naming = { ...welcome(), id: 'named', steps: { mail: { kind: 'action', channel: 'email', template: 'welcome', contributor: 'mailer', next: 'end' }, end: { kind: 'exit' } } };
    const refused = await admin(t, 'POST', '/v1/journeys', naming);
    expect(refused.json<{ errors: { path: string }[] }>().errors.map((e) => e.path)).toEqual(['steps.mail.contributor']);
    const bad = await admin(t, 'POST', '/v1/contributors', { id: 'Mailer', name: 'M', role: 'boss', kind: 'email', provider: 'smtp', channels: ['email'] });
    expect(bad.json<{ errors: { path: string }[] }>().errors.map((e) => e.path)).toEqual(['id', 'role']);
    const smtp = { id: 'mailer', name: 'Mailer', role: 'engagementEnhancer', kind: 'email', provider: 'smtp', channels: ['email'], default: true, settings: { host: '127.0.0.1', port: 2525, from: 'hub@example.com' }, credentials: { password: 's3cret' } };
    const created = await admin(t, 'POST', '/v1/contributors', smtp);
    expect(created.statusCode).toBe(201);
    expect(created.body).not.toContain('s3cret');
    expect(created.json()).toMatchObject({ id: 'mailer', hasCredentials: true, health: { queueDepth: 0, attempts: 0, errorRate: null } });
    expect((await admin(t, 'POST', '/v1/contributors', smtp)).statusCode).toBe(409);
    const stored = await t.hub.store.contributors.get(DEFAULT_WORKSPACE, 'mailer');
    expect(stored?.sealed).toBeDefined();
    expect(stored?.sealed).not.toContain('s3cret');
    expect(await t.hub.contributors.settingsOf(DEFAULT_WORKSPACE, stored?.contributor as never)).toMatchObject({ host: '127.0.0.1', password: 's3cret' });
    expect((await admin(t, 'GET', '/v1/contributors')).body).not.toContain('s3cret');
    expect((await admin(t, 'POST', '/v1/journeys', naming)).statusCode).toBe(201);
  });

  it('in-app messages wait in the inbox; the app fetches them with the write key, marks them read (Message Opened) or dismisses them', async () => {
    const { t } = await hubAt(T0);
    expect((await admin(t, 'PUT', '/v1/templates/card', { channel: 'inApp', payload: { title: 'Hi {{ profile.firstName }}', cta: '{{ event.plan }}' } })).statusCode).toBe(201);
    await deploy(t, { ...welcome(), steps: { mail: { kind: 'action', channel: 'inApp', template: 'card', purpose: 'service', next: 'end' }, end: { kind: 'exit' } } } as JourneyDefinitionInput);
    await sendBatch(t, [
      { type: 'identify', userId: 'ada', traits: { firstName: 'Ada' }, timestamp: iso(T0) },
      { type: 'track', userId: 'ada', event: 'Signed Up', properties: { plan: 'pro' }, timestamp: iso(T0) },
    ]);
    await delivered(t);
    const get = (q: string) => t.app.inject({ method: 'GET', url: `/v1/inbox${q}`, headers: { authorization: basic() } });
    const items = (await get('?userId=ada')).json<{ items: { key: string; payload: unknown; status: string }[] }>().items;
    expect(items).toEqual([expect.objectContaining({ payload: { title: 'Hi Ada', cta: 'pro' }, status: 'unread' })]);
    expect((await get('?userId=nobody')).json()).toEqual({ items: [] });
    expect((await get('')).json<{ errors: { path: string }[] }>().errors.map((e) => e.path)).toEqual(['userId']);
    expect((await t.app.inject({ method: 'GET', url: '/v1/inbox?userId=ada' })).statusCode).toBe(401);

    const mark = (key: string, action: string, userId = 'ada') => t.app.inject({ method: 'POST', url: `/v1/inbox/${encodeURIComponent(key)}/${action}`, headers: { authorization: basic() }, payload: { userId } });
    const key = items[0]?.key ?? '';
    expect((await mark(key, 'read', 'bob')).statusCode).toBe(404);
    expect((await mark(key, 'read')).json()).toEqual({ key, status: 'read' });
    await settled(t);
    const p = (await admin(t, 'GET', '/v1/profiles/by/userId/ada')).json<{ id: string }>();
    const timeline = (await admin(t, 'GET', `/v1/profiles/${p.id}/timeline`)).json<{ items: { event?: string; properties?: Record<string, unknown> }[] }>().items;
    expect(timeline.find((i) => i.event === 'Message Opened')?.properties).toMatchObject({ channel: 'inApp', messageKey: key, via: 'inbox' });
    expect((await mark(key, 'dismiss')).json()).toEqual({ key, status: 'dismissed' });
    expect((await get('?userId=ada')).json()).toEqual({ items: [] });
  });

  it('signed provider callbacks become receipts; a complaint suppresses the address; a bad signature, key or event is refused', async () => {
    const { t } = await hubAt(Date.now());
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const capture = { id: 'capture', name: 'Capture', role: 'capabilityContributor', kind: 'email', provider: 'mailbox', channels: ['email'], default: true, credentials: { callbackSecret: secret } };
    expect((await admin(t, 'POST', '/v1/contributors', capture)).statusCode).toBe(201);
    await admin(t, 'PUT', '/v1/templates/welcome', TEMPLATE);
    await deploy(t, welcome());
    const now = iso(t.hub.clock.now());
    await sendBatch(t, [
      { type: 'identify', userId: 'ada', traits: { firstName: 'Ada', email: 'ada@example.com' }, timestamp: now },
      { type: 'track', userId: 'ada', event: 'Signed Up', timestamp: now },
    ]);
    await delivered(t);
    const [mail] = await mailbox(t);
    const post = (body: unknown, key = secret, id = `msg_${Math.random()}`) => {
      const payload = JSON.stringify(body);
      const headers = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': new Webhook(key).sign(id, new Date(), payload), 'content-type': 'application/json' };
      return t.app.inject({ method: 'POST', url: `/v1/receipts/${DEFAULT_WORKSPACE}/capture`, headers, payload });
    };
    expect((await post({ messageKey: mail?.key, event: 'complained' }, 'whsec_' + Buffer.from('another-secret-of-32-bytes-long!').toString('base64'))).statusCode).toBe(401);
    expect((await post({ messageKey: 'nope', event: 'opened' })).statusCode).toBe(404);
    expect((await post({ messageKey: mail?.key, event: 'exploded' })).json<{ errors: { path: string }[] }>().errors.map((e) => e.path)).toEqual(['event']);
    expect((await post({ messageKey: mail?.key, event: 'complained' })).json()).toEqual({ recorded: 'Message Complained' });
    await settled(t);
    expect((await admin(t, 'GET', '/v1/suppressions')).json()).toMatchObject({ items: [{ type: 'email', value: 'ada@example.com', channel: 'email', reason: 'complaint' }] });
    const p = (await admin(t, 'GET', '/v1/profiles/by/userId/ada')).json<{ id: string }>();
    const timeline = (await admin(t, 'GET', `/v1/profiles/${p.id}/timeline`)).json<{ items: { event?: string; properties?: Record<string, unknown> }[] }>().items;
    expect(timeline.find((i) => i.event === 'Message Complained')?.properties).toMatchObject({ channel: 'email', messageKey: mail?.key, contributor: 'capture', via: 'provider' });
  });

  it("a contributor's rate limit holds: 2 messages a second, on the hub's clock; the open pixel records Message Opened", async () => {
    const { t, clock } = await hubAt(T0);
    const capture = { id: 'slow', name: 'Slow', role: 'capabilityContributor', kind: 'email', provider: 'mailbox', channels: ['email'], default: true, rateLimit: { perSecond: 2 }, settings: { trackOpens: true } };
    expect((await admin(t, 'POST', '/v1/contributors', capture)).statusCode).toBe(201);
    await admin(t, 'PUT', '/v1/templates/welcome', TEMPLATE);
    await deploy(t, welcome());
    const names = Array.from({ length: 20 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    await sendBatch(t, names.flatMap((n) => [
      { type: 'identify', userId: n, traits: { email: `${n}@example.com` }, timestamp: iso(T0) },
      { type: 'track', userId: n, event: 'Signed Up', timestamp: iso(T0) },
    ]));
    await settled(t);
    // At most 2 at once by the bucket, until the hub's clock moves on (then 2 more per second).
    const count = async (n: number) => {
      const deadline = Date.now() + 10_000;
      while ((await mailbox(t)).length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 200));
      return (await mailbox(t)).length;
    };
    expect(await count(2)).toBe(2);
    clock.advanceTo(T0 + 1_000);
    expect(await count(4)).toBe(4);
    for (let second = 2; second < 10; second++) {
      clock.advanceTo(T0 + second * 1_000);
      expect(await count(2 * (second + 1))).toBe(2 * (second + 1));
    }
    const all = (await admin(t, 'GET', '/v1/mailbox')).json<{ items: { to: string; html: string }[] }>().items;
    expect(all.map((m) => m.to).sort()).toEqual(names.map((n) => `${n}@example.com`));

    const pixel = /src="[^"]*(\/t\/o\/[^"]+)"/.exec(all[0]?.html ?? '')?.[1] ?? '';
    const res = await t.app.inject({ method: 'GET', url: pixel });
    expect([res.statusCode, res.headers['content-type']]).toEqual([200, 'image/gif']);
    expect((await t.app.inject({ method: 'GET', url: '/t/o/forged.gif' })).statusCode).toBe(200);
    await settled(t);
    const p = (await admin(t, 'GET', `/v1/profiles/by/email/${all[0]?.to ?? ''}`)).json<{ id: string }>();
    const opened = (await admin(t, 'GET', `/v1/profiles/${p.id}/timeline`)).json<{ items: { event?: string }[] }>().items.filter((i) => i.event === 'Message Opened');
    expect(opened).toHaveLength(1);
  });

  it('a backlog is worked without reading the outbox for every send: 1,000 e-mails, each delivered once, in under 50 reads', async () => {
    const { t } = await hubAt(T0);
    await admin(t, 'PUT', '/v1/templates/welcome', TEMPLATE);
    await deploy(t, welcome());
    const N = 1_000;
    await sendBatch(t, Array.from({ length: N }, (_, i) => [
      { type: 'identify', userId: `u${i}`, traits: { email: `u${i}@example.com` }, timestamp: iso(T0) },
      { type: 'track', userId: `u${i}`, event: 'Signed Up', timestamp: iso(T0) },
    ]).flat());
    await settled(t);
    const outbox = t.hub.store.outbox;
    const due = outbox.due.bind(outbox);
    let reads = 0;
    outbox.due = (...args) => (reads++, due(...args));
    await delivered(t);
    const mails = await t.hub.store.mailbox.list(DEFAULT_WORKSPACE, { limit: 2 * N });
    expect(new Set(mails.map((m) => m.key)).size).toBe(N);
    expect(mails).toHaveLength(N);
    // Before, the end of every send read the outbox again: 4 pages of it while the backlog lasted.
    expect(reads).toBeLessThan(50);
  });

  it('a contributor that is full does not hold up the others: an in-app message behind 1,500 rate-limited e-mails (six pages of the outbox) is delivered at once', async () => {
    const { t, clock } = await hubAt(T0);
    const slow = { id: 'slow', name: 'Slow', role: 'capabilityContributor', kind: 'email', provider: 'mailbox', channels: ['email'], default: true, rateLimit: { perSecond: 1 } };
    expect((await admin(t, 'POST', '/v1/contributors', slow)).statusCode).toBe(201);
    await admin(t, 'PUT', '/v1/templates/welcome', TEMPLATE);
    await admin(t, 'PUT', '/v1/templates/card', { channel: 'inApp', payload: { title: 'Hi' } });
    await deploy(t, welcome());
    await deploy(t, { ...welcome(), id: 'card', entry: { event: 'Opened App' }, steps: { mail: { kind: 'action', channel: 'inApp', template: 'card', purpose: 'service', next: 'end' }, end: { kind: 'exit' } } } as JourneyDefinitionInput);
    await sendBatch(t, Array.from({ length: 1_500 }, (_, i) => [
      { type: 'identify', userId: `u${i}`, traits: { email: `u${i}@example.com` }, timestamp: iso(T0) },
      { type: 'track', userId: `u${i}`, event: 'Signed Up', timestamp: iso(T0) },
    ]).flat());
    await settled(t);
    clock.advanceTo(T0 + 1);
    await sendBatch(t, [{ type: 'track', userId: 'u0', event: 'Opened App', timestamp: iso(T0 + 1) }]);
    await settled(t);
    const deadline = Date.now() + 10_000;
    const inbox = async () => (await t.app.inject({ method: 'GET', url: '/v1/inbox?userId=u0', headers: { authorization: basic() } })).json<{ items: unknown[] }>().items;
    while ((await inbox()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await inbox()).toHaveLength(1);
    expect((await mailbox(t)).length).toBeLessThanOrEqual(2);
  });
});
