import { randomBytes } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import type { IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookDelivery, WebhookSettings } from '../src/adapters/http/index.js';
import type { OutboundMessage } from '../src/ports/delivery.js';
import { httpReceiver } from './receiver.js';

/** An HTTP receiver on 127.0.0.1 at `/hooks/xhub`, closed after each test. */
async function receiver(handler: Parameters<typeof httpReceiver>[0]) {
  const r = await httpReceiver(handler);
  closers.push(r.close);
  return { ...r, url: `${r.base}/hooks/xhub` };
}

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** A webhook adapter allowed to call 127.0.0.1 (hub configuration, as in development), closed after the test. */
function adapter(options: ConstructorParameters<typeof WebhookDelivery>[0] = { allow: ['127.0.0.1'] }): WebhookDelivery {
  const a = new WebhookDelivery(options);
  closers.push(() => a.close());
  return a;
}

const secret = () => `whsec_${randomBytes(24).toString('base64')}`;

const message = (key: string, payload: Record<string, unknown> | null = { event: 'Order Shipped', orderId: 'o-17', total: 42.5 }): OutboundMessage => ({
  key,
  channel: 'webhook',
  to: '',
  ...(payload ? { payload } : {}),
  meta: { workspaceId: 'ws_default', profileId: 'prof_1', journeyId: 'jrn_1' },
});

const stringHeaders = (h: IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(Object.entries(h).filter((e): e is [string, string] => typeof e[1] === 'string'));

describe('WebhookDelivery', () => {
  it('signs per Standard Webhooks with every rotated secret, so a receiver holding either verifies', async () => {
    const r = await receiver((res) => res.writeHead(204).end());
    const [newer, older, stranger] = [secret(), secret(), secret()];
    const result = await adapter().send(message('out_01J0KEY'), { url: r.url, secrets: [newer, older] });
    expect(result).toEqual({ ok: true });
    const [got] = r.received;
    if (!got) throw new Error('nothing received');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['webhook-id']).toBe('out_01J0KEY');
    expect(Math.abs(Number(got.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
    expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+ v1,[A-Za-z0-9+/=]+$/);
    for (const s of [newer, older]) {
      expect(new Webhook(s).verify(got.body, stringHeaders(got.headers))).toEqual({ event: 'Order Shipped', orderId: 'o-17', total: 42.5 });
    }
    expect(() => new Webhook(stranger).verify(got.body, stringHeaders(got.headers))).toThrow(/No matching signature/);
  });

  it('answers retryable for a 500 and a timeout, then ok, always with the same webhook-id', async () => {
    const r = await receiver((res, n) => {
      if (n === 1) res.writeHead(500, { 'content-type': 'text/plain' }).end('database unavailable');
      if (n === 3) res.writeHead(200).end('ok');
      // n === 2: never answers
    });
    const a = adapter();
    const settings = { url: r.url, secrets: [secret()], timeoutMs: 300 };
    const first = await a.send(message('out_retry'), settings);
    const started = Date.now();
    const second = await a.send(message('out_retry'), settings);
    const waited = Date.now() - started;
    const third = await a.send(message('out_retry'), settings);
    expect(first).toEqual({ ok: false, retryable: true, error: 'HTTP 500 Internal Server Error: database unavailable' });
    expect(second).toEqual({ ok: false, retryable: true, error: 'no answer within 300 ms (timeout)' });
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(2_000);
    expect(third).toEqual({ ok: true });
    expect(r.received.map((x) => x.headers['webhook-id'])).toEqual(['out_retry', 'out_retry', 'out_retry']);
  });

  it('honours Retry-After in seconds and as an HTTP date', async () => {
    const now = Date.UTC(2026, 2, 1, 12);
    const r = await receiver((res, n) => res.writeHead(n === 1 ? 429 : 503, { 'retry-after': n === 1 ? '7' : new Date(now + 30_000).toUTCString() }).end());
    const a = adapter({ allow: ['127.0.0.1'], now: () => now });
    const settings = { url: r.url, secrets: [secret()] };
    expect(await a.send(message('k1'), settings)).toEqual({ ok: false, retryable: true, error: 'HTTP 429 Too Many Requests', retryAfterMs: 7_000 });
    expect(await a.send(message('k2'), settings)).toEqual({ ok: false, retryable: true, error: 'HTTP 503 Service Unavailable', retryAfterMs: 30_000 });
  });

  it('answers permanent for a 400 (with what the receiver says) and for a redirect, which it does not follow', async () => {
    const r = await receiver((res, n) => {
      if (n === 1) res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'bad_event', message: 'unknown event type' } }));
      else if (n === 2) res.writeHead(302, { location: '/elsewhere' }).end();
      else res.writeHead(200).end();
    });
    const a = adapter();
    const settings = { url: r.url, secrets: [secret()] };
    expect(await a.send(message('k1'), settings)).toEqual({ ok: false, retryable: false, error: 'HTTP 400 Bad Request: bad_event unknown event type' });
    expect(await a.send(message('k2'), settings)).toEqual({ ok: false, retryable: false, error: 'HTTP 302 Found: redirect to /elsewhere not followed' });
    expect(r.received.map((x) => x.url)).toEqual(['/hooks/xhub', '/hooks/xhub']);
  });

  it('refuses a private destination without connecting when it is not allowed', async () => {
    const r = await receiver((res) => res.writeHead(204).end());
    const a = adapter({ allow: [] });
    const settings = { url: r.url, secrets: [secret()], allowPrivate: true };
    expect(await a.send(message('k1'), settings)).toEqual({ ok: false, retryable: false, error: '127.0.0.1, a loopback address, which is not allowed' });
    const viaName = await a.send(message('k2'), { ...settings, url: `http://localhost:${r.port}/hooks` });
    expect(viaName).toMatchObject({ ok: false, retryable: false, error: expect.stringMatching(/^localhost resolves to .* loopback address/) });
    const other = await adapter({ allow: ['10.0.0.0/8'] }).send(message('k3'), settings);
    expect(other).toMatchObject({ ok: false, retryable: false });
    expect(r.connections()).toBe(0);
  });

  it('connects to the address it checked (pinned), not to what DNS says afterwards', async () => {
    const r = await receiver((res) => res.writeHead(204).end());
    const asked: string[] = [];
    const resolve = async (host: string): Promise<LookupAddress[]> => (asked.push(host), [{ address: '127.0.0.1', family: 4 }]);
    const a = adapter({ allow: ['127.0.0.1'], resolve });
    // `rebind.invalid` does not resolve in the system DNS: only the pinned address can make this work.
    const result = await a.send(message('k1'), { url: `http://rebind.invalid:${r.port}/hooks`, secrets: [secret()] });
    expect(result).toEqual({ ok: true });
    expect(asked).toEqual(['rebind.invalid']);
    expect(r.received[0]?.headers.host).toBe(`rebind.invalid:${r.port}`);
  });

  it('counts the DNS lookup in the timeout, and answers DNS failures as retryable', async () => {
    const stuck = adapter({ allow: [], resolve: () => new Promise<LookupAddress[]>(() => undefined) });
    expect(await stuck.send(message('k1'), { url: 'https://partner.example/hooks', secrets: [secret()], timeoutMs: 200 })).toEqual({
      ok: false,
      retryable: true,
      error: 'no DNS answer within 200 ms (timeout)',
    });
    const failing = adapter({ allow: [], resolve: () => Promise.reject(Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' })) });
    expect(await failing.send(message('k2'), { url: 'https://partner.example/hooks', secrets: [secret()] })).toEqual({
      ok: false,
      retryable: true,
      error: 'cannot resolve partner.example: EAI_AGAIN',
    });
  });

  it('keeps the connection alive between deliveries', async () => {
    const r = await receiver((res) => res.writeHead(200).end());
    const a = adapter();
    const settings = { url: r.url, secrets: [secret()] };
    for (let i = 0; i < 5; i++) expect(await a.send(message(`k${i}`), settings)).toEqual({ ok: true });
    expect(r.connections()).toBe(1);
  });

  it('sends again once, on a fresh connection, when a kept-alive one turns out closed', async () => {
    const r = await receiver((res, n) => (n === 2 ? res.socket?.destroy() : res.writeHead(204).end()));
    const a = adapter();
    const settings = { url: r.url, secrets: [secret()] };
    expect(await a.send(message('k1'), settings)).toEqual({ ok: true });
    expect(await a.send(message('k2'), settings)).toEqual({ ok: true });
    expect(r.received.map((x) => x.headers['webhook-id'])).toEqual(['k1', 'k2', 'k2']);
    expect(r.connections()).toBe(2);
    const fresh = await receiver((res) => res.socket?.destroy());
    expect(await a.send(message('k3'), { ...settings, url: fresh.url })).toEqual({ ok: false, retryable: true, error: 'socket hang up (ECONNRESET)' });
  });

  it('answers retryable when the receiver stops mid-answer or stalls after the headers', async () => {
    const r = await receiver((res, n) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      if (n === 1) setTimeout(() => res.socket?.destroy(), 20);
    });
    const a = adapter();
    const settings = { url: r.url, secrets: [secret()], timeoutMs: 300 };
    expect(await a.send(message('k1'), settings)).toEqual({ ok: false, retryable: true, error: 'HTTP 200 answer cut short: aborted (ECONNRESET)' });
    expect(await a.send(message('k2'), settings)).toEqual({ ok: false, retryable: true, error: 'no answer within 300 ms (timeout)' });
  });

  it('answers retryable when the connection is refused', async () => {
    const r = await receiver(() => undefined);
    await r.close();
    const result = await adapter().send(message('k1'), { url: r.url, secrets: [secret()], timeoutMs: 2_000 });
    expect(result).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining('ECONNREFUSED') });
  });

  it('answers permanent, naming the field, for bad settings or a message without payload', async () => {
    const a = adapter();
    expect(await a.send(message('k1'), { url: 'ftp://example.com/x', secrets: ['nope'], timeoutMs: 0 })).toEqual({
      ok: false,
      retryable: false,
      error: 'invalid webhook settings: url: must be an http or https URL; secrets.0: must start with whsec_; timeoutMs: must be at least 1 ms',
    });
    expect(await a.send(message('k2'), { url: 'https://example.com/x', secrets: [] })).toMatchObject({ error: 'invalid webhook settings: secrets: give at least one secret (whsec_…)' });
    expect(await a.send(message('k3'), { url: 'https://example.com/x', secrets: ['whsec_!!!'] })).toMatchObject({ error: expect.stringContaining('secrets.0: must be whsec_ followed by a base64 key') });
    expect(await a.send(message('k4', null), { url: 'https://example.com/x', secrets: [secret()] })).toEqual({ ok: false, retryable: false, error: 'the message has no payload (the webhook JSON)' });
    expect(WebhookSettings.safeParse({ url: 'https://example.com/x', secrets: [secret()], allowPrivate: true }).success).toBe(true);
  });
});
