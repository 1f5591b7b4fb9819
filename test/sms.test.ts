import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonSms, JsonSmsSettings, TwilioSettings, TwilioSms } from '../src/adapters/http/index.js';
import type { OutboundMessage } from '../src/ports/delivery.js';
import { httpReceiver } from './receiver.js';

/** An HTTP receiver on 127.0.0.1, closed after each test. */
async function receiver(handler: Parameters<typeof httpReceiver>[0]) {
  const r = await httpReceiver(handler);
  closers.push(r.close);
  return r;
}

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

function track<T extends { close(): Promise<void> }>(adapter: T): T {
  closers.push(() => adapter.close());
  return adapter;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

const sms = (key: string, over: Partial<OutboundMessage> = {}): OutboundMessage => ({
  key,
  channel: 'sms',
  to: '+33612345678',
  body: 'Your order o-17 has shipped 📦',
  meta: { workspaceId: 'ws_default', profileId: 'prof_1' },
  ...over,
});

const ALLOW = { allow: ['127.0.0.1'] };

describe('JsonSms', () => {
  it('posts { to, from, body, reference } with the bearer token and the key header; the answer id is the provider id', async () => {
    const r = await receiver((res) => json(res, 202, { id: 'msg_981', status: 'queued' }));
    const settings = { url: `${r.base}/v1/sms`, token: 'tok_secret', from: 'ACME', idempotencyHeader: 'Idempotency-Key' };
    const result = await track(new JsonSms(ALLOW)).send(sms('out_sms_1'), settings);
    expect(result).toEqual({ ok: true, providerId: 'msg_981' });
    const [got] = r.received;
    expect(got?.method).toBe('POST');
    expect(got?.url).toBe('/v1/sms');
    expect(got?.headers.authorization).toBe('Bearer tok_secret');
    expect(got?.headers['content-type']).toBe('application/json');
    expect(got?.headers['idempotency-key']).toBe('out_sms_1');
    expect(JSON.parse(got?.body ?? '')).toEqual({ to: '+33612345678', from: 'ACME', body: 'Your order o-17 has shipped 📦', reference: 'out_sms_1' });
  });

  it('sends no key header unless asked, and delivers without a provider id when the answer has none', async () => {
    const r = await receiver((res) => res.writeHead(200).end('accepted'));
    const result = await track(new JsonSms(ALLOW)).send(sms('k1'), { url: `${r.base}/sms`, token: 't', from: '+15550001' });
    expect(result).toEqual({ ok: true });
    expect(r.received[0]?.headers['idempotency-key']).toBeUndefined();
  });

  it('classifies failures: 503 and 429 retryable (Retry-After), 401 and 422 permanent with the provider message', async () => {
    const r = await receiver((res, n) => {
      if (n === 1) json(res, 503, { error: 'maintenance' }, { 'retry-after': '120' });
      else if (n === 2) json(res, 429, { message: 'slow down' }, { 'retry-after': '2' });
      else if (n === 3) json(res, 401, { error: 'invalid token' });
      else json(res, 422, { code: 'invalid_number', message: 'to is not a mobile number' });
    });
    const a = track(new JsonSms(ALLOW));
    const settings = { url: `${r.base}/sms`, token: 't', from: 'ACME' };
    expect(await a.send(sms('k'), settings)).toEqual({ ok: false, retryable: true, error: 'HTTP 503 Service Unavailable: maintenance', retryAfterMs: 120_000 });
    expect(await a.send(sms('k'), settings)).toEqual({ ok: false, retryable: true, error: 'HTTP 429 Too Many Requests: slow down', retryAfterMs: 2_000 });
    expect(await a.send(sms('k'), settings)).toEqual({ ok: false, retryable: false, error: 'HTTP 401 Unauthorized: invalid token' });
    expect(await a.send(sms('k'), settings)).toEqual({ ok: false, retryable: false, error: 'HTTP 422 Unprocessable Entity: invalid_number to is not a mobile number' });
  });

  it('refuses a private gateway unless allowed, bad settings naming the field, and a message without text', async () => {
    const r = await receiver((res) => res.writeHead(200).end());
    const a = track(new JsonSms({ allow: [] }));
    expect(await a.send(sms('k'), { url: `${r.base}/sms`, token: 't', from: 'ACME' })).toMatchObject({ ok: false, retryable: false, error: expect.stringContaining('loopback') });
    expect(r.connections()).toBe(0);
    expect(await a.send(sms('k'), { url: 'https://sms.example/x', from: '', idempotencyHeader: 'bad header' })).toEqual({
      ok: false,
      retryable: false,
      error: 'invalid JSON SMS settings: token: Invalid input: expected string, received undefined; from: give the sender (a number or an alphanumeric sender id); idempotencyHeader: must be an HTTP header name',
    });
    const ok = { url: 'https://sms.example/x', token: 't', from: 'ACME' };
    expect(JsonSmsSettings.safeParse(ok).success).toBe(true);
    expect(await a.send(sms('k', { body: '' }), ok)).toEqual({ ok: false, retryable: false, error: 'the message has no SMS text (body)' });
    expect(await a.send(sms('k', { to: '' }), ok)).toEqual({ ok: false, retryable: false, error: 'the message has no recipient (to)' });
  });
});

const SID = 'AC0123456789abcdef0123456789abcdef';

describe('TwilioSms', () => {
  it('posts the form with Basic auth and the idempotency token; the answer sid is the provider id', async () => {
    const r = await receiver((res) => json(res, 201, { sid: 'SM6b5f1c5e2f3a4b1c9d8e7f6a5b4c3d2e', status: 'queued' }));
    const settings = { accountSid: SID, authToken: 'auth-token', from: '+15005550006', baseUrl: `${r.base}/`, statusCallback: 'https://hub.example/v1/receipts/twilio' };
    const result = await track(new TwilioSms(ALLOW)).send(sms('out_tw_1'), settings);
    expect(result).toEqual({ ok: true, providerId: 'SM6b5f1c5e2f3a4b1c9d8e7f6a5b4c3d2e' });
    const [got] = r.received;
    expect(got?.method).toBe('POST');
    expect(got?.url).toBe(`/2010-04-01/Accounts/${SID}/Messages.json`);
    expect(got?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(got?.headers.authorization).toBe(`Basic ${Buffer.from(`${SID}:auth-token`).toString('base64')}`);
    expect(got?.headers['i-twilio-idempotency-token']).toBe('out_tw_1');
    expect(Object.fromEntries(new URLSearchParams(got?.body))).toEqual({
      To: '+33612345678',
      From: '+15005550006',
      Body: 'Your order o-17 has shipped 📦',
      StatusCallback: 'https://hub.example/v1/receipts/twilio',
    });
  });

  it('sends from a messaging service when one is set', async () => {
    const r = await receiver((res) => json(res, 201, { sid: 'SM1' }));
    await track(new TwilioSms(ALLOW)).send(sms('k'), { accountSid: SID, authToken: 'x', messagingServiceSid: 'MG123', baseUrl: r.base });
    expect(Object.fromEntries(new URLSearchParams(r.received[0]?.body))).toEqual({ To: '+33612345678', MessagingServiceSid: 'MG123', Body: 'Your order o-17 has shipped 📦' });
  });

  it("classifies Twilio's failures: 400 with its error code permanent, 429 and 500 retryable", async () => {
    const r = await receiver((res, n) => {
      if (n === 1) json(res, 400, { code: 21211, message: "The 'To' number +3361 is not a valid phone number.", more_info: 'https://www.twilio.com/docs/errors/21211', status: 400 });
      else if (n === 2) json(res, 429, { code: 20429, message: 'Too Many Requests', status: 429 }, { 'retry-after': '1' });
      else json(res, 500, { code: 20500, message: 'Internal Server Error', status: 500 });
    });
    const a = track(new TwilioSms(ALLOW));
    const settings = { accountSid: SID, authToken: 'x', from: '+15005550006', baseUrl: r.base };
    expect(await a.send(sms('k'), settings)).toEqual({ ok: false, retryable: false, error: "HTTP 400 Bad Request: 21211 The 'To' number +3361 is not a valid phone number." });
    expect(await a.send(sms('k'), settings)).toEqual({ ok: false, retryable: true, error: 'HTTP 429 Too Many Requests: 20429 Too Many Requests', retryAfterMs: 1_000 });
    expect(await a.send(sms('k'), settings)).toEqual({ ok: false, retryable: true, error: 'HTTP 500 Internal Server Error: 20500 Internal Server Error' });
    expect(r.received.map((x) => x.headers['i-twilio-idempotency-token'])).toEqual(['k', 'k', 'k']);
  });

  it('answers retryable for a timeout and permanent, naming the field, for bad settings', async () => {
    const r = await receiver(() => undefined);
    const a = track(new TwilioSms(ALLOW));
    expect(await a.send(sms('k'), { accountSid: SID, authToken: 'x', from: '+1', baseUrl: r.base, timeoutMs: 200 })).toEqual({ ok: false, retryable: true, error: 'no answer within 200 ms (timeout)' });
    expect(await a.send(sms('k'), { accountSid: 'AC/../x', authToken: 'x' })).toEqual({
      ok: false,
      retryable: false,
      error: 'invalid Twilio settings: accountSid: must be an account SID (AC…); from: give from or messagingServiceSid',
    });
    expect(await a.send(sms('k'), { accountSid: SID, authToken: 'x' })).toEqual({ ok: false, retryable: false, error: 'invalid Twilio settings: from: give from or messagingServiceSid' });
    expect(TwilioSettings.safeParse({ accountSid: SID, authToken: 'x', from: '+1', baseUrl: 'gopher://x' }).error?.issues[0]?.path).toEqual(['baseUrl']);
  });

  it('refuses the default Twilio host when DNS says it is private (no connection attempted)', async () => {
    const a = track(new TwilioSms({ allow: [], resolve: async () => [{ address: '10.0.0.8', family: 4 }] }));
    expect(await a.send(sms('k'), { accountSid: SID, authToken: 'x', from: '+1' })).toEqual({
      ok: false,
      retryable: false,
      error: 'api.twilio.com resolves to 10.0.0.8, a private address, which is not allowed',
    });
  });
});
