import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import type { JourneyDefinitionInput } from '../src/core/journeys/definition.js';
import { publishJourney, saveJourney } from '../src/engine/journeys.js';
import { DEFAULT_WORKSPACE } from '../src/engine/keys.js';
import { admin, hubAt, sendBatch, settled, type TestHub } from './helpers.js';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

interface Smtp { port: number; received: { to: string; raw: string }[]; refuse: (to: string) => number | undefined; stop(): Promise<void> }

/** A real SMTP server on 127.0.0.1 whose answer to each recipient the test decides (a code to refuse with, or accept). */
async function smtp(refuse: (to: string) => number | undefined): Promise<Smtp> {
  const s: Smtp = { port: 0, received: [], refuse, stop: async () => undefined };
  const server = new SMTPServer({
    logger: false, disabledCommands: ['STARTTLS', 'AUTH'], authOptional: true, socketTimeout: 5_000, closeTimeout: 1_000,
    onRcptTo(address, _session, cb) {
      const code = s.refuse(address.address);
      cb(code === undefined ? undefined : Object.assign(new Error(code >= 500 ? 'no such user' : 'try again later'), { responseCode: code }));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        for (const r of session.envelope.rcptTo) s.received.push({ to: r.address, raw: Buffer.concat(chunks).toString('utf8') });
        cb(null, 'queued');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  s.port = (server.server.address() as AddressInfo).port;
  s.stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return s;
}

let server: Smtp | undefined;
afterEach(async () => server?.stop());

async function setUp(t: TestHub, port: number): Promise<void> {
  const c = { id: 'mailer', name: 'Mailer', role: 'engagementEnhancer', kind: 'email', provider: 'smtp', channels: ['email'], default: true, sla: { maxDelay: { amount: 30, unit: 'minutes' } }, settings: { host: '127.0.0.1', port, from: 'hub@example.com', timeoutMs: 2_000 } };
  expect((await admin(t, 'POST', '/v1/contributors', c)).statusCode).toBe(201);
  expect((await admin(t, 'PUT', '/v1/templates/hello', { channel: 'email', subject: 'Hello {{ profile.name }}', text: 'Hi {{ profile.name }}' })).statusCode).toBe(201);
  const journey = {
    id: 'hello', name: 'Hello', owner: 'ada@example.com', team: 'CRM', entry: { event: 'Signed Up' }, reentry: { mode: 'always' }, start: 'mail',
    steps: { mail: { kind: 'action', channel: 'email', template: 'hello', next: 'end' }, end: { kind: 'exit' } },
  } as JourneyDefinitionInput;
  expect((await saveJourney(t.hub, DEFAULT_WORKSPACE, journey)).ok).toBe(true);
  expect((await publishJourney(t.hub, DEFAULT_WORKSPACE, 'hello')).ok).toBe(true);
}

const signUps = (names: string[], at: number) => names.flatMap((n) => [
  { type: 'identify', userId: n, traits: { name: n, email: `${n}@example.com` }, timestamp: iso(at) },
  { type: 'track', userId: n, event: 'Signed Up', timestamp: iso(at), messageId: `su-${n}-${at}` },
]);

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('e-mail through a real SMTP server, via the outbox and the dispatcher', () => {
  it('the server refuses (451) for a while, then recovers: every e-mail is delivered once, with its Message-ID kept across retries', async () => {
    let refusing = true;
    server = await smtp(() => (refusing ? 451 : undefined));
    const { t, clock } = await hubAt(T0);
    await setUp(t, server.port);
    const names = ['ada', 'bob', 'cy', 'di', 'ed'];
    await sendBatch(t, signUps(names, T0));
    await settled(t);
    const rows = async () => Promise.all((await t.hub.store.outbox.due(Number.MAX_SAFE_INTEGER, 100, new Set())).map((r) => r));
    await until(async () => (await rows()).length === 5 && (await rows()).every((r) => r.attempts >= 1), 'five refused attempts');
    const keys = (await rows()).map((r) => r.message.key);
    expect(server.received).toEqual([]);
    const health = (await admin(t, 'GET', '/v1/contributors/mailer')).json<{ health: { queueDepth: number; errorRate: number; lastError: string } }>().health;
    expect(health).toMatchObject({ queueDepth: 5, errorRate: 1, slaBreached: false });
    expect(health.lastError).toMatch(/^smtp 451/);

    // Past the SLA's 30 minutes, still refused (one more attempt each): the SLA shows breached.
    clock.advanceTo(T0 + 31 * 60_000);
    await until(async () => (await rows()).every((r) => r.attempts >= 2), 'a second refused attempt each');
    expect((await admin(t, 'GET', '/v1/contributors/mailer')).json()).toMatchObject({ health: { queueDepth: 5, slaBreached: true, oldestPendingAt: iso(T0) } });
    refusing = false;
    clock.advanceTo(T0 + HOUR);
    await until(async () => server !== undefined && server.received.length >= 5, 'the five e-mails');
    await t.hub.dispatcher.whenIdle();
    expect(server.received.map((r) => r.to).sort()).toEqual(names.map((n) => `${n}@example.com`));
    const ids = server.received.map((r) => /^Message-ID:\s*(\S+)/im.exec(r.raw)?.[1]);
    expect(new Set(ids).size).toBe(5);
    expect(ids.every((id) => id !== undefined)).toBe(true);
    const attempts = (await Promise.all(keys.map((k) => t.hub.store.outbox.get(DEFAULT_WORKSPACE, k)))).reduce((n, r) => n + (r?.status === 'delivered' ? r.attempts : NaN), 0);
    expect((await admin(t, 'GET', '/v1/contributors/mailer')).json()).toMatchObject({ health: { queueDepth: 0, slaBreached: false, attempts, errorRate: (attempts - 5) / attempts } });
  });

  it('a hard bounce (550) is dead-lettered at once and suppresses the address: the next e-mail is refused by arbitration', async () => {
    server = await smtp((to) => (to === 'bob@example.com' ? 550 : undefined));
    const { t, clock } = await hubAt(T0);
    await setUp(t, server.port);
    await sendBatch(t, signUps(['ada', 'bob'], T0));
    await settled(t);
    await until(async () => (await t.hub.store.outbox.dead(DEFAULT_WORKSPACE, 10)).length === 1 && server !== undefined && server.received.length === 1, 'one delivered, one dead');
    expect((await admin(t, 'GET', '/v1/outbox/dlq')).json()).toMatchObject({ items: [{ attempts: 1, lastError: expect.stringMatching(/^smtp 550/) }] });
    expect((await admin(t, 'GET', '/v1/suppressions')).json()).toMatchObject({ items: [{ type: 'email', value: 'bob@example.com', channel: 'email' }] });

    // Ada's e-mail, as the SMTP server received it, carries a one-click unsubscribe link that really unsubscribes.
    const raw = server.received.find((r) => r.to === 'ada@example.com')?.raw ?? '';
    const link = /^List-Unsubscribe:\s*<([^>]+)>/im.exec(raw)?.[1];
    expect(/^List-Unsubscribe-Post:\s*List-Unsubscribe=One-Click/im.test(raw)).toBe(true);
    const one = await t.app.inject({ method: 'POST', url: new URL(link ?? 'http://x/none').pathname, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(one.statusCode).toBe(200);
    await settled(t);
    expect((await admin(t, 'GET', '/v1/profiles/by/userId/ada')).json()).toMatchObject({ traits: { consent: { marketing: { email: false } } } });

    clock.advanceTo(T0 + HOUR);
    await sendBatch(t, signUps(['bob'], T0 + HOUR));
    await settled(t);
    const p = (await admin(t, 'GET', '/v1/profiles/by/userId/bob')).json<{ id: string }>();
    const [latest] = (await admin(t, 'GET', `/v1/profiles/${p.id}/decisions`)).json<{ items: { candidates: { outcome: string; rule: string }[] }[] }>().items;
    expect(latest?.candidates[0]).toMatchObject({ outcome: 'rejected', rule: 'suppression:email' });
    const timeline = (await admin(t, 'GET', `/v1/profiles/${p.id}/timeline`)).json<{ items: { event?: string; properties?: Record<string, unknown> }[] }>().items;
    expect(timeline.find((i) => i.event === 'Message Bounced')?.properties).toMatchObject({ permanent: true, channel: 'email' });
  });
});
