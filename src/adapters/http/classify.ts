import { STATUS_CODES } from 'node:http';
import type { DeliveryResult } from '../../ports/delivery.js';
import type { HttpAnswer, HttpOutcome } from './transport.js';

/** A failure retrying cannot fix (bad settings, refused destination, 4xx): it goes to the dead-letter queue. */
export const permanent = (error: string): DeliveryResult => ({ ok: false, retryable: false, error });

/** 408 Request Timeout, 429 Too Many Requests and 5xx are worth another try; other 4xx and 3xx are not. */
export const isRetryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/**
 * The delivery result of an HTTP exchange: 2xx delivered (with the provider's id when `providerId`
 * finds one); 408/429/5xx and faults before an answer (DNS, connection, timeout) retryable, with the
 * receiver's `Retry-After` as `retryAfterMs`; redirects (never followed) and other 4xx permanent.
 */
export function deliveryResult(outcome: HttpOutcome, now: number, providerId?: (answer: HttpAnswer) => string | undefined): DeliveryResult {
  if (outcome.kind === 'fault') return { ok: false, retryable: outcome.retryable, error: outcome.error };
  const { answer } = outcome;
  const { status } = answer;
  if (status >= 200 && status < 300) {
    const id = providerId?.(answer);
    return id === undefined ? { ok: true } : { ok: true, providerId: id };
  }
  const error = describeAnswer(answer);
  if (!isRetryableStatus(status)) return permanent(error);
  const after = retryAfterMs(answer.headers['retry-after'], now);
  return after === undefined ? { ok: false, retryable: true, error } : { ok: false, retryable: true, error, retryAfterMs: after };
}

/** `Retry-After` (delay-seconds or an HTTP-date) in milliseconds from `now`; undefined when absent or unreadable. */
export function retryAfterMs(value: string | readonly string[] | undefined, now: number): number | undefined {
  const text = (typeof value === 'string' ? value : value?.[0])?.trim();
  if (text === undefined || text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** `HTTP 404 Not Found: <what the body says>`; for a redirect, where to and that it was not followed. */
export function describeAnswer(answer: HttpAnswer): string {
  const head = `HTTP ${answer.status} ${STATUS_CODES[answer.status] ?? ''}`.trimEnd();
  if (answer.status >= 300 && answer.status < 400) {
    const location = answer.headers.location;
    return `${head}: redirect${location ? ` to ${location}` : ''} not followed`;
  }
  const detail = bodyDetail(answer.body);
  return detail === '' ? head : `${head}: ${detail}`;
}

/** A JSON error's code and message (`{ code, message }`, `{ error }`, problem details), else the text, short. */
function bodyDetail(body: string): string {
  const json = parseJson(body);
  if (json !== undefined) {
    const error = typeof json.error === 'object' && json.error !== null ? (json.error as Record<string, unknown>) : json;
    const message = [error.message, error.detail, error.title, json.error].find((m) => typeof m === 'string');
    const code = error.code;
    if (typeof message === 'string') return short(typeof code === 'string' || typeof code === 'number' ? `${code} ${message}` : message);
  }
  return short(body);
}

function parseJson(body: string): Record<string, unknown> | undefined {
  if (!body.trimStart().startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const short = (text: string): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
};

/** The first string (or number) among `fields` of a JSON answer: a provider's message id. */
export function jsonField(answer: HttpAnswer, fields: readonly string[]): string | undefined {
  const json = parseJson(answer.body);
  if (json === undefined) return undefined;
  for (const field of fields) {
    const value = json[field];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number') return String(value);
  }
  return undefined;
}
