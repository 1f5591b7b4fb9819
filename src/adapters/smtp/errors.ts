import type { DeliveryResult } from '../../ports/delivery.js';

type Failure = Extract<DeliveryResult, { ok: false }>;

/**
 * Faults of the configuration or of the message itself, without an SMTP reply: the same attempt would fail
 * again. (Connection faults, ECONNECTION, ETIMEDOUT, ESOCKET/ECONNREFUSED, EDNS…, are all the others.)
 */
const PERMANENT = new Set([
  'EAUTH', 'ENOAUTH', 'EOAUTH2', 'ETLS', 'EREQUIRETLS', 'EENVELOPE', 'EMESSAGE', 'EMAXRECIPIENTS',
  'ECONFIG', 'EFILEACCESS', 'EURLACCESS', 'EOTP', 'ERR_ACCESS_DENIED',
]);

interface SmtpError {
  readonly code?: unknown;
  readonly originalCode?: unknown;
  readonly responseCode?: unknown;
  readonly response?: unknown;
  readonly command?: unknown;
  readonly message?: unknown;
}

/**
 * What a failed send means. An SMTP reply decides when there is one: 4xx (and 503, a session fault) →
 * retryable, other 5xx → permanent, reported as `smtp 550: <the server's text> (RCPT TO)`. Without a
 * reply, connection faults (refused, reset, timeouts, DNS, a closed pool) are retryable; configuration
 * and message faults (authentication, TLS, the envelope, the message) are not; anything else is retried.
 */
export function classifySmtpError(e: unknown): Failure {
  const x: SmtpError = typeof e === 'object' && e !== null ? e : { message: String(e) };
  const message = typeof x.message === 'string' ? x.message : 'unknown error';
  if (typeof x.responseCode === 'number' && x.responseCode >= 400) {
    const code = x.responseCode;
    const text = (typeof x.response === 'string' ? x.response : message).replace(/^\d{3}[ -]/, '').replace(/\s+/g, ' ').trim();
    const command = typeof x.command === 'string' ? ` (${x.command.split(/\s/)[0]})` : '';
    const retryable = code < 500 || code === 503;
    const recipient = !retryable && typeof x.command === 'string' && /^RCPT\b/i.test(x.command);
    return { ok: false, retryable, error: `smtp ${code}: ${text}${command}`, ...(recipient ? { recipientRejected: true } : {}) };
  }
  const code = typeof x.code === 'string' ? x.code : undefined;
  const original = typeof x.originalCode === 'string' && x.originalCode !== code ? x.originalCode : undefined;
  const label = [code, original].filter((c) => c !== undefined).join('/') || 'error';
  return { ok: false, retryable: code === undefined || !PERMANENT.has(code), error: `smtp ${label}: ${message}` };
}
