import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { messageIdOf, SmtpEmail } from '../src/adapters/smtp/email.js';
import { renderTemplate } from '../src/core/templates/render.js';
import { parseTemplate } from '../src/core/templates/template.js';
import { trackHtml } from '../src/core/templates/tracking.js';
import type { OutboundMessage } from '../src/ports/delivery.js';

interface Received {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
}

interface TestServer {
  readonly port: number;
  readonly received: Received[];
  /** Connections opened in all, open now, and open at once at most (counted in onConnect / onClose). */
  readonly connections: { total: number; open: number; max: number };
  stop(): Promise<void>;
}

type Handlers = Pick<SMTPServerOptions, 'onRcptTo' | 'onAuth'>;

async function smtpServer(handlers: Handlers = {}, auth = false): Promise<TestServer> {
  const received: Received[] = [];
  const connections = { total: 0, open: 0, max: 0 };
  const server = new SMTPServer({
    logger: false,
    disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !auth,
    allowInsecureAuth: auth,
    socketTimeout: 5_000,
    closeTimeout: 1_000,
    onConnect(_session, cb) {
      connections.total++;
      connections.open++;
      connections.max = Math.max(connections.max, connections.open);
      cb();
    },
    onClose(_session, cb) {
      connections.open--;
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        received.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        cb(null, 'queued');
      });
    },
    ...handlers,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { port, received, connections, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const smtpError = (code: number, text: string): Error => Object.assign(new Error(text), { responseCode: code });

const settingsFor = (port: number, over: Record<string, unknown> = {}) => ({ host: '127.0.0.1', port, from: '"Hub" <hub@example.com>', timeoutMs: 2_000, ...over });

const message = (key: string, over: Partial<OutboundMessage> = {}): OutboundMessage => ({
  key, channel: 'email', to: 'ada@example.com', subject: 'Hello', html: '<p>Hi</p>', text: 'Hi', meta: { workspaceId: 'ws', profileId: 'prof_1' }, ...over,
});

/** A header's value from a raw message (unfolded). */
function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
  const line = head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

/** The decoded body of the MIME part of type `type` (quoted-printable or 7bit/8bit, as nodemailer writes them). */
function part(raw: string, type: 'text/plain' | 'text/html'): string | undefined {
  const at = raw.search(new RegExp(`Content-Type: ${type}`, 'i'));
  if (at < 0) return undefined;
  const rest = raw.slice(at);
  const headEnd = rest.search(/\r?\n\r?\n/);
  const head = rest.slice(0, headEnd);
  const body = rest.slice(headEnd).replace(/^\r?\n\r?\n/, '').split(/\r?\n--/)[0] ?? '';
  if (!/quoted-printable/i.test(head)) return body;
  const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** Decodes RFC 2047 Q-encoded words (UTF-8), as nodemailer writes a non-ASCII subject. */
function decodeWords(value: string): string {
  return value.replace(/=\?UTF-8\?Q\?([^?]*)\?=\s*/gi, (_m, q: string) =>
    Buffer.from(q.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'));
}

async function until(check: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(handlers: Handlers = {}, auth = false) {
  const server = await smtpServer(handlers, auth);
  const email = new SmtpEmail();
  cleanups.push(() => server.stop(), () => email.close());
  return { server, email };
}

describe('SmtpEmail', () => {
  it('sends the rendered subject, html and text (traits, event, journey), with click and open tracking', async () => {
    const { server, email } = await setup();
    const template = parseTemplate({
      id: 'welcome', channel: 'email',
      subject: 'Welcome {{ profile.first_name }}, about {{ event.product }}',
      html: '<html><body><h1>Hi {{ profile.first_name }}</h1><a href="https://shop.example/{{ event.sku }}">See {{ event.product }}</a> ({{ journey.id }})</body></html>',
      text: 'Hi {{ profile.first_name }}, see https://shop.example/{{ event.sku }} ({{ journey.id }}/{{ journey.step }}) — {{ profile.city | default: "somewhere" }}',
    });
    if (!template.ok) throw new Error(JSON.stringify(template.error));
    const content = renderTemplate(template.value, {
      profile: { first_name: 'Zoë <3' }, event: { product: 'Kettle', sku: 'k-1' }, journey: { id: 'onboarding', step: 'welcome' }, message: { key: 'act_1' },
    });
    if (!content.ok) throw new Error(JSON.stringify(content.error));
    const html = trackHtml(content.value.html ?? '', { baseUrl: 'https://hub.example', token: (kind, data) => `${kind}-${data.index ?? 'x'}` });

    const result = await email.send(message('act_1', { subject: content.value.subject, html, text: content.value.text }), settingsFor(server.port));
    expect(result).toEqual({ ok: true, providerId: '<act_1@hub>' });
    const [got] = server.received;
    expect(got?.from).toBe('hub@example.com');
    expect(got?.to).toEqual(['ada@example.com']);
    expect(decodeWords(header(got?.raw ?? '', 'Subject') ?? '')).toBe('Welcome Zoë <3, about Kettle');
    expect(part(got?.raw ?? '', 'text/html')).toBe(
      '<html><body><h1>Hi Zoë &lt;3</h1><a href="https://hub.example/t/c/click-0">See Kettle</a> (onboarding)' +
        '<img src="https://hub.example/t/o/open-x.gif" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" /></body></html>',
    );
    expect(part(got?.raw ?? '', 'text/plain')).toBe('Hi Zoë <3, see https://shop.example/k-1 (onboarding/welcome) — somewhere');
  });

  it('derives Message-ID and X-Hub-Message-Key from the key (the same on a retry) and adds one-click unsubscribe', async () => {
    const { server, email } = await setup();
    const settings = settingsFor(server.port, { replyTo: 'care@example.com' });
    const unsubscribeUrl = 'https://hub.example/u/tok?x=1';
    expect((await email.send(message('act_42', { unsubscribeUrl }), settings)).ok).toBe(true);
    expect((await email.send(message('act_42', { unsubscribeUrl }), settings)).ok).toBe(true);
    expect((await email.send(message('act_43'), settings)).ok).toBe(true);
    const [first, retry, plain] = server.received.map((r) => r.raw);
    for (const raw of [first, retry]) {
      expect(header(raw ?? '', 'Message-ID')).toBe('<act_42@hub>');
      expect(header(raw ?? '', 'X-Hub-Message-Key')).toBe('act_42');
      expect(header(raw ?? '', 'List-Unsubscribe')).toBe(`<${unsubscribeUrl}>`);
      expect(header(raw ?? '', 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
      expect(header(raw ?? '', 'Reply-To')).toBe('care@example.com');
    }
    expect(header(plain ?? '', 'Message-ID')).toBe('<act_43@hub>');
    expect(await email.send(message('act_44', { subject: 'Hi\r\nBcc: evil@example.com' }), settings)).toMatchObject({ ok: true });
    const injected = server.received[3]?.raw ?? '';
    expect(header(injected, 'Bcc')).toBeUndefined();
    expect(server.received[3]?.to).toEqual(['ada@example.com']);
    expect(header(plain ?? '', 'List-Unsubscribe')).toBeUndefined();
    expect(header(plain ?? '', 'List-Unsubscribe-Post')).toBeUndefined();
  });

  it('keeps a key that is no valid Message-ID stable through a digest', () => {
    expect(messageIdOf('a b@c')).toBe(messageIdOf('a b@c'));
    expect(messageIdOf('a b@c')).toMatch(/^<k\.[A-Za-z0-9_-]{43}@hub>$/);
    expect(messageIdOf('dec_01J.act-2', 'mail.example.com')).toBe('<dec_01J.act-2@mail.example.com>');
    expect(messageIdOf('dec_1:cand_2')).toMatch(/^<k\./);
  });

  it('pools connections: 50 concurrent sends use at most maxConnections connections, reused', async () => {
    const { server, email } = await setup();
    const settings = settingsFor(server.port, { maxConnections: 3 });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => email.send(message(`bulk_${i}`), { ...settings })));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(server.received).toHaveLength(50);
    expect(server.connections.max).toBeLessThanOrEqual(3);
    expect(server.connections.max).toBeGreaterThan(1);
    expect(server.connections.total).toBeLessThanOrEqual(3);
    expect(email.poolCount).toBe(1);
    await email.send(message('other'), settingsFor(server.port, { maxConnections: 2 }));
    expect(email.poolCount).toBe(2);
  });

  it('answers a 451 as retryable, then succeeds once the server recovers', async () => {
    let refusals = 1;
    const { server, email } = await setup({
      onRcptTo: (_address, _session, cb) => (refusals-- > 0 ? cb(smtpError(451, '4.3.0 try again later')) : cb()),
    });
    const settings = settingsFor(server.port);
    expect(await email.send(message('act_451'), settings)).toEqual({ ok: false, retryable: true, error: 'smtp 451: 4.3.0 try again later (RCPT)' });
    expect(await email.send(message('act_451'), settings)).toEqual({ ok: true, providerId: '<act_451@hub>' });
    expect(server.received).toHaveLength(1);
  });

  it('answers a 550 (unknown user) as permanent, with the SMTP code, and the recipient as refused (a hard bounce)', async () => {
    const { server, email } = await setup({ onRcptTo: (_a, _s, cb) => cb(smtpError(550, '5.1.1 unknown user')) });
    expect(await email.send(message('act_550'), settingsFor(server.port))).toEqual({ ok: false, retryable: false, error: 'smtp 550: 5.1.1 unknown user (RCPT)', recipientRejected: true });
  });

  it('answers connection refused and a server that never greets as retryable', async () => {
    const email = new SmtpEmail();
    cleanups.push(() => email.close());
    const closed = await freePort();
    const refused = await email.send(message('act_down'), settingsFor(closed));
    expect(refused).toMatchObject({ ok: false, retryable: true, error: expect.stringMatching(/^smtp ESOCKET\/ECONNREFUSED: .*ECONNREFUSED/) });
    const silent = await silentServer();
    cleanups.push(() => new Promise<void>((r) => silent.close(() => r())));
    const started = Date.now();
    const timedOut = await email.send(message('act_silent'), settingsFor((silent.address() as AddressInfo).port, { timeoutMs: 300 }));
    expect(timedOut).toMatchObject({ ok: false, retryable: true, error: expect.stringMatching(/^smtp ETIMEDOUT: /) });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('authenticates with user and password; a rejected login is permanent', async () => {
    const { server, email } = await setup({
      onAuth: (auth, _s, cb) => (auth.username === 'hub' && auth.password === 's3cret' ? cb(null, { user: 'hub' }) : cb(smtpError(535, '5.7.8 bad credentials'))),
    }, true);
    expect(await email.send(message('act_auth'), settingsFor(server.port, { user: 'hub', password: 's3cret' }))).toMatchObject({ ok: true });
    const refused = await email.send(message('act_auth2'), settingsFor(server.port, { user: 'hub', password: 'wrong' }));
    expect(refused).toMatchObject({ ok: false, retryable: false, error: expect.stringMatching(/^smtp 535: 5\.7\.8 bad credentials/) });
    // The contributor's fault, not the recipient's: no hard bounce, the address is not suppressed.
    expect(refused).not.toHaveProperty('recipientRejected');
  });

  it('refuses bad settings and messages it cannot send as permanent, without throwing', async () => {
    const email = new SmtpEmail();
    cleanups.push(() => email.close());
    expect(await email.send(message('k'), { port: 25 })).toEqual({
      ok: false, retryable: false, error: expect.stringMatching(/^smtp settings: host: .*; from: /),
    });
    expect(await email.send(message('k'), settingsFor(25, { user: 'u' }))).toEqual({ ok: false, retryable: false, error: 'smtp settings: password: user and password go together' });
    expect(await email.send(message('k', { channel: 'sms' }), settingsFor(25))).toEqual({ ok: false, retryable: false, error: 'smtp: cannot send sms messages' });
    expect(await email.send(message('k', { to: 'a@b.c, d@e.f' }), settingsFor(25))).toMatchObject({ ok: false, retryable: false });
    expect(await email.send(message('k', { html: undefined, text: undefined }), settingsFor(25))).toMatchObject({ ok: false, retryable: false });
    expect(await email.send(message('k', { unsubscribeUrl: 'https://x\r\nBcc: evil@example.com' }), settingsFor(25))).toMatchObject({ ok: false, retryable: false });
    expect(email.poolCount).toBe(0);
  });

  it('close() closes the pools and their connections; later sends are refused as retryable', async () => {
    const { server, email } = await setup();
    const settings = settingsFor(server.port, { maxConnections: 2 });
    await Promise.all(Array.from({ length: 6 }, (_, i) => email.send(message(`c_${i}`), settings)));
    expect(server.connections.open).toBeGreaterThan(0);
    await email.close();
    expect(email.poolCount).toBe(0);
    await until(() => server.connections.open === 0);
    expect(await email.send(message('late'), settings)).toEqual({ ok: false, retryable: true, error: 'smtp: the adapter is closed' });
  });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Accepts connections and never says a word. */
async function silentServer(): Promise<Server> {
  const sockets = new Set<Socket>();
  const s = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const close = s.close.bind(s);
  s.close = ((cb?: (err?: Error) => void) => {
    for (const socket of sockets) socket.destroy();
    return close(cb);
  }) as typeof s.close;
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return s;
}
