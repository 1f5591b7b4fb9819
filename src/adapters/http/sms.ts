import { z } from 'zod';
import type { ContributorSettings, DeliveryAdapter, DeliveryResult, OutboundMessage } from '../../ports/delivery.js';
import { HttpAdapter } from './base.js';
import { deliveryResult, jsonField, permanent } from './classify.js';
import { DEFAULT_TIMEOUT_MS, HeaderName, HttpUrl, SettingsParser, TimeoutMs } from './settings.js';

/**
 * A generic JSON SMS gateway: POST `url` with `{ to, from, body, reference }` (reference = the
 * idempotency key), `Authorization: Bearer <token>`, and the key in `idempotencyHeader` when the
 * gateway reads one (e.g. `Idempotency-Key`).
 */
export const JsonSmsSettings = z.object({
  url: HttpUrl,
  token: z.string().min(1, 'give the bearer token'),
  from: z.string().min(1, 'give the sender (a number or an alphanumeric sender id)'),
  idempotencyHeader: HeaderName.optional(),
  timeoutMs: TimeoutMs.optional(),
});
export type JsonSmsSettings = z.infer<typeof JsonSmsSettings>;

/** A Twilio-compatible API (Twilio or a look-alike at `baseUrl`); the sender is `from` or a messaging service. */
export const TwilioSettings = z
  .object({
    accountSid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an account SID (AC…)'),
    authToken: z.string().min(1, 'give the auth token'),
    from: z.string().min(1, 'must not be empty').optional(),
    messagingServiceSid: z.string().min(1, 'must not be empty').optional(),
    baseUrl: HttpUrl.optional(),
    /** Where Twilio posts delivery receipts (its StatusCallback). */
    statusCallback: HttpUrl.optional(),
    timeoutMs: TimeoutMs.optional(),
  })
  .refine((s) => s.from !== undefined || s.messagingServiceSid !== undefined, { path: ['from'], message: 'give from or messagingServiceSid' });
export type TwilioSettings = z.infer<typeof TwilioSettings>;

export const TWILIO_BASE_URL = 'https://api.twilio.com';

/** The SMS the message asks for, or why it cannot be sent. */
function smsOf(message: OutboundMessage): { readonly to: string; readonly body: string } | DeliveryResult {
  if (message.to === '') return permanent('the message has no recipient (to)');
  if (message.body === undefined || message.body === '') return permanent('the message has no SMS text (body)');
  return { to: message.to, body: message.body };
}

/** A gateway's settings, parsed once, with what every send needs. */
interface PreparedSms<S> {
  readonly settings: S;
  readonly url: URL;
  readonly timeoutMs: number;
  readonly authorization: string;
}

/** The prepared settings and the SMS of a message, or why it cannot be sent. */
function sendable<S>(parser: SettingsParser<S, PreparedSms<S>>, message: OutboundMessage, settings: ContributorSettings): { readonly gateway: PreparedSms<S>; readonly sms: { readonly to: string; readonly body: string } } | DeliveryResult {
  const parsed = parser.parse(settings);
  if (!parsed.ok) return permanent(parsed.error);
  const sms = smsOf(message);
  return 'ok' in sms ? sms : { gateway: parsed.value, sms };
}

/** Sends SMS through a generic JSON gateway ({@link JsonSmsSettings}); the answer's `id` (or `messageId`, `sid`) is the provider id. */
export class JsonSms extends HttpAdapter implements DeliveryAdapter {
  private readonly settings = new SettingsParser<JsonSmsSettings, PreparedSms<JsonSmsSettings>>('JSON SMS', JsonSmsSettings, (s) => ({
    settings: s,
    url: new URL(s.url),
    timeoutMs: s.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    authorization: `Bearer ${s.token}`,
  }));

  async send(message: OutboundMessage, settings: ContributorSettings): Promise<DeliveryResult> {
    const ready = sendable(this.settings, message, settings);
    if ('ok' in ready) return ready;
    const { gateway: { settings: s, url, timeoutMs, authorization }, sms } = ready;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', authorization, 'user-agent': this.userAgent };
    if (s.idempotencyHeader !== undefined) headers[s.idempotencyHeader.toLowerCase()] = message.key;
    const body = JSON.stringify({ to: sms.to, from: s.from, body: sms.body, reference: message.key });
    const outcome = await this.transport.post({ url, headers, body, timeoutMs });
    return deliveryResult(outcome, this.now(), (answer) => jsonField(answer, ['id', 'messageId', 'message_id', 'sid']));
  }
}

function prepareTwilio(s: TwilioSettings): PreparedSms<TwilioSettings> {
  const base = (s.baseUrl ?? TWILIO_BASE_URL).replace(/\/+$/, '');
  return {
    settings: s,
    url: new URL(`${base}/2010-04-01/Accounts/${encodeURIComponent(s.accountSid)}/Messages.json`),
    timeoutMs: s.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    authorization: `Basic ${Buffer.from(`${s.accountSid}:${s.authToken}`).toString('base64')}`,
  };
}

/**
 * Sends SMS through Twilio's Messages API (or a compatible one): form-encoded `To`, `From` and/or
 * `MessagingServiceSid`, `Body`; HTTP Basic auth; the idempotency key in `I-Twilio-Idempotency-Token`.
 * The answer's `sid` is the provider id.
 */
export class TwilioSms extends HttpAdapter implements DeliveryAdapter {
  private readonly settings = new SettingsParser<TwilioSettings, PreparedSms<TwilioSettings>>('Twilio', TwilioSettings, prepareTwilio);

  async send(message: OutboundMessage, settings: ContributorSettings): Promise<DeliveryResult> {
    const ready = sendable(this.settings, message, settings);
    if ('ok' in ready) return ready;
    const { gateway: { settings: s, url, timeoutMs, authorization }, sms } = ready;
    const form = new URLSearchParams({ To: sms.to });
    if (s.from !== undefined) form.set('From', s.from);
    if (s.messagingServiceSid !== undefined) form.set('MessagingServiceSid', s.messagingServiceSid);
    form.set('Body', sms.body);
    if (s.statusCallback !== undefined) form.set('StatusCallback', s.statusCallback);
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      authorization,
      'i-twilio-idempotency-token': message.key,
      'user-agent': this.userAgent,
    };
    const outcome = await this.transport.post({ url, headers, body: form.toString(), timeoutMs });
    return deliveryResult(outcome, this.now(), (answer) => jsonField(answer, ['sid']));
  }
}
