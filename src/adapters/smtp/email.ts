import { createHash } from 'node:crypto';
import { createTransport } from 'nodemailer';
import type { ContributorSettings, DeliveryAdapter, DeliveryResult, OutboundMessage } from '../../ports/delivery.js';
import { classifySmtpError } from './errors.js';
import { poolKey, poolOptions, SmtpSettings } from './settings.js';

export { SmtpSettings } from './settings.js';

const poolTransport = (s: SmtpSettings) => createTransport(poolOptions(s));
type Transport = ReturnType<typeof poolTransport>;

interface Pool {
  readonly transport: Transport;
  inFlight: number;
  lastUsed: number;
}

export interface SmtpEmailOptions {
  /** A pool (per distinct settings) unused this long is closed (default 15 minutes). */
  readonly idlePoolMs?: number;
}

type Failure = Extract<DeliveryResult, { ok: false }>;
type Parsed = { readonly ok: true; readonly settings: SmtpSettings; readonly key: string } | { readonly ok: false; readonly error: string };
const fail = (retryable: boolean, error: string): Failure => ({ ok: false, retryable, error });

/**
 * E-mail over SMTP (nodemailer), with one pooled transport per distinct connection settings, reused
 * across sends and closed by `close()`. Each message carries `Message-ID: <KEY@hub>` and
 * `X-Hub-Message-Key: KEY` from its idempotency key (the same on every retry, so a receiver can
 * de-duplicate), and RFC 8058 one-click unsubscribe headers when it has an `unsubscribeUrl`.
 * `send` never throws: failures are classified by `classifySmtpError`.
 */
export class SmtpEmail implements DeliveryAdapter {
  private readonly pools = new Map<string, Pool>();
  /** Settings objects seen before: parsed once, with their pool's key. */
  private readonly parsed = new WeakMap<object, Parsed>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly idlePoolMs: number;
  private lastSweep = Date.now();
  private closed = false;

  constructor(options: SmtpEmailOptions = {}) {
    this.idlePoolMs = options.idlePoolMs ?? 15 * 60_000;
  }

  async send(message: OutboundMessage, settings: ContributorSettings): Promise<DeliveryResult> {
    try {
      if (this.closed) return fail(true, 'smtp: the adapter is closed');
      if (message.channel !== 'email') return fail(false, `smtp: cannot send ${message.channel} messages`);
      const s = this.settingsOf(settings);
      if (!s.ok) return fail(false, s.error);
      const problem = messageProblem(message);
      if (problem !== undefined) return fail(false, `smtp: ${problem}`);
      return await this.deliver(message, s.settings, s.key);
    } catch (e) {
      return classifySmtpError(e);
    }
  }

  /** Closes every pool: idle connections at once, busy ones after their message; waits for sends in flight. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pool of this.pools.values()) pool.transport.close();
    this.pools.clear();
    await Promise.allSettled([...this.pending]);
  }

  /** How many pools are open (one per distinct connection settings). */
  get poolCount(): number {
    return this.pools.size;
  }

  private async deliver(message: OutboundMessage, s: SmtpSettings, key: string): Promise<DeliveryResult> {
    const pool = this.poolFor(s, key);
    pool.inFlight++;
    const sending = pool.transport.sendMail(mailOf(message, s));
    this.pending.add(sending);
    try {
      const info = await sending;
      return { ok: true, providerId: info.messageId };
    } finally {
      this.pending.delete(sending);
      pool.inFlight--;
      pool.lastUsed = Date.now();
    }
  }

  private settingsOf(settings: ContributorSettings): Parsed {
    const seen = this.parsed.get(settings);
    if (seen !== undefined) return seen;
    const r = SmtpSettings.safeParse(settings);
    const parsed: Parsed = r.success
      ? { ok: true, settings: r.data, key: createHash('sha256').update(poolKey(r.data)).digest('base64url') }
      : { ok: false, error: `smtp settings: ${r.error.issues.map((i) => `${i.path.join('.') || '(settings)'}: ${i.message}`).join('; ')}` };
    this.parsed.set(settings, parsed);
    return parsed;
  }

  private poolFor(s: SmtpSettings, key: string): Pool {
    this.sweep();
    let pool = this.pools.get(key);
    if (pool === undefined) this.pools.set(key, (pool = { transport: poolTransport(s), inFlight: 0, lastUsed: Date.now() }));
    return pool;
  }

  /** Closes pools nobody used for `idlePoolMs` (settings that changed, contributors removed); at most once a minute. */
  private sweep(): void {
    const now = Date.now();
    if (now - this.lastSweep < Math.min(60_000, this.idlePoolMs)) return;
    this.lastSweep = now;
    for (const [key, pool] of this.pools) {
      if (pool.inFlight > 0 || now - pool.lastUsed < this.idlePoolMs) continue;
      pool.transport.close();
      this.pools.delete(key);
    }
  }
}

/** Why a message cannot be sent as it is (a permanent fault), if it cannot. */
function messageProblem(m: OutboundMessage): string | undefined {
  if (!/^[^\s@<>,;]+@[^\s@<>,;]+$/.test(m.to)) return `"to" must be one e-mail address, got ${JSON.stringify(m.to.slice(0, 100))}`;
  if (m.html === undefined && m.text === undefined) return 'the message has neither html nor text';
  if (m.unsubscribeUrl !== undefined && !/^(https?|mailto):[^\s<>]+$/i.test(m.unsubscribeUrl)) return 'unsubscribeUrl must be an http(s) or mailto URL';
  return undefined;
}

/** The Message-ID of a key: `<KEY@domain>` when the key is a valid dot-atom, else a digest of it (still stable). */
export function messageIdOf(key: string, domain = 'hub'): string {
  const atom = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/.test(key) && key.length <= 200;
  return `<${atom ? key : `k.${createHash('sha256').update(key).digest('base64url')}`}@${domain}>`;
}

function mailOf(m: OutboundMessage, s: SmtpSettings) {
  const unsubscribe = m.unsubscribeUrl === undefined ? {} : { 'List-Unsubscribe': `<${m.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
  return {
    from: s.from,
    to: m.to,
    ...(s.replyTo !== undefined ? { replyTo: s.replyTo } : {}),
    subject: m.subject ?? '',
    ...(m.html !== undefined ? { html: m.html } : {}),
    ...(m.text !== undefined ? { text: m.text } : {}),
    messageId: messageIdOf(m.key, s.messageIdDomain),
    headers: { 'X-Hub-Message-Key': headerSafe(m.key), ...unsubscribe },
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/** The key as a header value: printable ASCII kept, anything else percent-encoded. */
const headerSafe = (key: string): string => (/^[\x21-\x7e]{1,500}$/.test(key) ? key : encodeURIComponent(key).slice(0, 500));
