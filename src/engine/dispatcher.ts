import type { Logger } from 'pino';
import { nextAttempt, DEFAULT_RETRY, type RetryPolicy } from '../core/contributors/backoff.js';
import { contributorFor, type Contributor } from '../core/contributors/contributor.js';
import type { OutboxMessage } from '../core/contributors/outbox.js';
import type { Clock } from '../ports/clock.js';
import type { DeliveryAdapter, DeliveryResult, OutboundMessage } from '../ports/delivery.js';
import type { OutboxGroup, OutboxRow, OutboxStore } from '../ports/outbox.js';
import type { ProfileReader, ProfileView } from '../ports/profile-reader.js';
import type { ContributorRegistry } from './contributors.js';

/** Renders an outbox message for a profile (template, address, links); an error sends it to the dead-letter queue. */
export type Render = (m: OutboxMessage, profile: ProfileView, contributor: Contributor) => Promise<{ ok: true; message: OutboundMessage } | { ok: false; error: string }>;

export interface DispatcherPorts {
  readonly outbox: OutboxStore;
  readonly contributors: ContributorRegistry;
  readonly reader: ProfileReader;
  readonly adapters: Readonly<Partial<Record<Contributor['provider'], DeliveryAdapter>>>;
  readonly render: Render;
  /** Receipts back as events (`Message Delivered`, `Message Bounced`), on the profile's timeline. */
  readonly receipt: (m: OutboxMessage, event: string, properties: Readonly<Record<string, unknown>>) => Promise<void>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly retry?: RetryPolicy;
  readonly random?: () => number;
  /** While idle, how often to look for messages written by processing. */
  readonly idleCheckMs?: number;
}

const BATCH = 256;
const PAGES = 4;

/** Limits are per contributor of a workspace (the built-in ones are shared by name, not by limit). */
const slotOf = (workspaceId: string, c: Contributor): string => `${workspaceId}\u0000${c.id}`;

/**
 * Delivers the outbox: due messages go to their contributor's adapter, at most `concurrency` at once
 * and `rateLimit.perSecond` per contributor; a retryable fault is tried again with exponential
 * back-off and jitter, the rest (and messages out of attempts) go to the dead-letter queue. A row
 * leaves `pending` only after its answer, so after a crash an action is sent again, with the same
 * idempotency key, never lost.
 */
export class Dispatcher {
  private readonly inFlight = new Set<string>();
  private readonly busy = new Map<string, number>();
  private readonly tokens = new Map<string, { n: number; at: number }>();
  private readonly wakeups = new Map<string, NodeJS.Timeout>();
  /** Due rows read but not started because their contributor was at capacity, per contributor, oldest first. */
  private readonly waiting = new Map<string, OutboxRow[]>();
  /** Whether the next pump reads the outbox, or only starts what waits (a send's end, a rate limit's wake-up). */
  private look = true;
  /** Contributors of which the last read of the outbox found rows: the end of one of their sends reads again. */
  private readonly found = new Set<string>();
  private running = false;
  private again = false;
  private stopped = false;
  private idle: NodeJS.Timeout | undefined;
  private cancelDue: (() => void) | undefined;
  private readonly sends = new Set<Promise<void>>();

  constructor(private readonly p: DispatcherPorts) {}

  start(): void {
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.idle);
    for (const w of this.wakeups.values()) clearTimeout(w);
    this.cancelDue?.();
    this.waiting.clear();
    while (this.running || this.sends.size > 0) await Promise.race([...this.sends, new Promise((r) => setTimeout(r, 5))]);
  }

  /** Resolves when nothing is due or in flight now. */
  async whenIdle(): Promise<void> {
    for (;;) {
      while (this.running || this.sends.size > 0) await Promise.race([...this.sends, new Promise((r) => setTimeout(r, 5))]);
      const due = await this.p.outbox.nextDue();
      if (due === undefined || due > this.p.clock.now()) return;
      this.kick();
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Looks for due messages now (new ones, retries due, dead letters sent back). */
  kick(): void {
    this.look = true;
    this.run();
  }

  private run(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    clearTimeout(this.idle);
    void this.pump()
      .catch((e: unknown) => this.p.log.error({ err: e }, 'dispatch failed; retrying'))
      .finally(() => {
        this.running = false;
        // Again after a turn of the event loop: sends that end at once (a message that cannot be made) do not hold it.
        if (this.again) {
          this.again = false;
          setImmediate(() => this.run());
        } else void this.sleep();
      });
  }

  private async sleep(): Promise<void> {
    if (this.stopped) return;
    this.cancelDue?.();
    const due = await this.p.outbox.nextDue();
    if (this.stopped || this.running) return;
    // A message due now but not started is in flight or waits for its contributor's capacity: the end of a send kicks again.
    if (due !== undefined && due > this.p.clock.now()) this.cancelDue = this.p.clock.at(due, () => this.kick());
    this.idle = setTimeout(() => this.kick(), this.p.idleCheckMs ?? 250);
  }

  /**
   * Starts the rows that wait for their contributor, then (when it should look) reads due rows page
   * by page: rows of a contributor that is full wait in memory (at most a page of them each), so that
   * they do not hold up the others and the end of a send starts the next one without a query.
   */
  private async pump(): Promise<void> {
    const now = this.p.clock.now();
    const full = new Set<string>();
    await this.startWaiting(full, now);
    if (!this.look) return;
    this.look = false;
    this.found.clear();
    const passed = new Set(this.inFlight);
    for (const rows of this.waiting.values()) for (const row of rows) passed.add(row.message.key);
    for (let page = 0; page < PAGES && !this.stopped; page++) {
      // The rows of contributors that have rows waiting are passed over: enough of them are in memory.
      const rows = await this.p.outbox.due(now, BATCH, passed, this.waitingGroups());
      if (rows.length === 0) return;
      for (const row of rows) passed.add(row.message.key);
      await this.startDue(rows, full, now);
      if (full.size === 0) return;
    }
  }

  /** The groups of messages (workspace, channel, named contributor) of the rows waiting. */
  private waitingGroups(): OutboxGroup[] {
    const groups = new Map<string, OutboxGroup>();
    for (const rows of this.waiting.values()) {
      for (const { message: m } of rows) {
        const key = `${m.workspaceId}\u0000${m.channel}\u0000${m.contributor ?? ''}`;
        if (!groups.has(key)) groups.set(key, { workspaceId: m.workspaceId, channel: m.channel, ...(m.contributor === undefined ? {} : { contributor: m.contributor }) });
      }
    }
    return [...groups.values()];
  }

  private async startWaiting(full: Set<string>, now: number): Promise<void> {
    for (const [slot, rows] of this.waiting) {
      while (rows.length > 0 && !this.stopped) {
        const row = rows[0] as OutboxRow;
        const contributor = await this.contributorOf(row, now);
        // A row whose contributor changed since it was read is read again from the outbox (one removed: dead-lettered).
        if (!contributor || slotOf(row.message.workspaceId, contributor) !== slot) rows.shift();
        else if (this.mayStart(row.message.workspaceId, contributor, now)) this.start1(rows.shift() as OutboxRow, contributor);
        else break;
      }
      if (rows.length > 0) full.add(slot);
      else {
        this.waiting.delete(slot);
        this.look = true;
      }
    }
  }

  private async startDue(rows: readonly OutboxRow[], full: Set<string>, now: number): Promise<void> {
    for (const row of rows) {
      if (this.stopped) return;
      const contributor = await this.contributorOf(row, now);
      if (!contributor) continue;
      const slot = slotOf(row.message.workspaceId, contributor);
      this.found.add(slot);
      if (!full.has(slot) && this.mayStart(row.message.workspaceId, contributor, now)) {
        this.start1(row, contributor);
        continue;
      }
      full.add(slot);
      let waiting = this.waiting.get(slot);
      if (!waiting) this.waiting.set(slot, (waiting = []));
      if (waiting.length < BATCH) waiting.push(row);
    }
  }

  /** The contributor that delivers a row; none: the row is dead-lettered. */
  private async contributorOf(row: OutboxRow, now: number): Promise<Contributor | undefined> {
    const m = row.message;
    const contributor = contributorFor(m.channel, m.contributor, await this.p.contributors.of(m.workspaceId));
    if (!contributor) await this.p.outbox.failed(m.key, row.attempts + 1, `no contributor delivers ${m.channel}${m.contributor ? ` (named: ${m.contributor})` : ''}`, undefined, now);
    return contributor;
  }

  /** Per contributor (of a workspace): in-flight below its concurrency, and a token of its rate (one wake-up armed when out of tokens). */
  private mayStart(workspaceId: string, c: Contributor, now: number): boolean {
    const slot = slotOf(workspaceId, c);
    if ((this.busy.get(slot) ?? 0) >= c.concurrency) return false;
    if (!c.rateLimit) return true;
    const rate = c.rateLimit.perSecond;
    const b = this.tokens.get(slot) ?? { n: rate, at: now };
    const n = Math.min(rate, b.n + ((now - b.at) / 1000) * rate);
    if (n < 1) {
      this.tokens.set(slot, { n, at: now });
      if (!this.wakeups.has(slot)) {
        const wake = setTimeout(() => (this.wakeups.delete(slot), this.run()), Math.ceil(((1 - n) / rate) * 1000));
        this.wakeups.set(slot, wake);
      }
      return false;
    }
    this.tokens.set(slot, { n: n - 1, at: now });
    return true;
  }

  private start1(row: OutboxRow, c: Contributor): void {
    const key = row.message.key;
    this.inFlight.add(key);
    const slot = slotOf(row.message.workspaceId, c);
    this.busy.set(slot, (this.busy.get(slot) ?? 0) + 1);
    const send = this.deliver(row, c)
      .catch(async (e: unknown) => {
        // A fault around the send (reading the profile, rendering, bookkeeping): tried again later, not at once.
        this.p.log.error({ err: e, key }, 'delivery failed');
        const now = this.p.clock.now();
        const next = nextAttempt(row.attempts + 1, now, (this.p.random ?? Math.random)(), this.p.retry ?? DEFAULT_RETRY);
        await this.p.outbox.failed(key, row.attempts + 1, (e as Error).message ?? String(e), next, now).catch(() => undefined);
      })
      .finally(() => {
        this.inFlight.delete(key);
        this.busy.set(slot, (this.busy.get(slot) ?? 1) - 1);
        this.sends.delete(send);
        if (!this.waiting.has(slot) && this.found.has(slot)) this.look = true;
        this.run();
      });
    this.sends.add(send);
  }

  private async deliver(row: OutboxRow, c: Contributor): Promise<void> {
    const m = row.message;
    const { result, to } = await this.attempt(m, c);
    const now = this.p.clock.now();
    const attempts = row.attempts + 1;
    if (result.ok) {
      // Asked for together: with processing on its thread, the two are one write (see `groupedWrites`).
      await Promise.all([this.p.outbox.delivered(m.key, now), this.p.contributors.recordAttempt(m.workspaceId, c.id, undefined, now)]);
      await this.p.receipt(m, 'Message Delivered', { contributor: c.id, attempts, ...(result.providerId === undefined ? {} : { providerId: result.providerId }) });
      return;
    }
    await this.p.contributors.recordAttempt(m.workspaceId, c.id, result.error, now);
    const next = result.retryable ? nextAttempt(attempts, now, (this.p.random ?? Math.random)(), this.p.retry ?? DEFAULT_RETRY, result.retryAfterMs) : undefined;
    await this.p.outbox.failed(m.key, attempts, result.error, next, now);
    // A bounce is the contributor's answer; a message that could not even be made (no template, no address) is only dead-lettered.
    if (next === undefined && to !== undefined) {
      await this.p.receipt(m, 'Message Bounced', { contributor: c.id, attempts, error: result.error, permanent: result.recipientRejected === true, to });
    }
  }

  private async attempt(m: OutboxMessage, c: Contributor): Promise<{ result: DeliveryResult; to?: string }> {
    const fail = (error: string): { result: DeliveryResult } => ({ result: { ok: false, retryable: false, error } });
    const adapter = this.p.adapters[c.provider];
    if (!adapter) return fail(`no adapter for provider ${c.provider}`);
    const profile = await this.p.reader.byId(m.workspaceId, m.profileId);
    if (!profile) return fail(`profile ${m.profileId} is gone`);
    const rendered = await this.p.render(m, profile, c);
    if (!rendered.ok) return fail(rendered.error);
    const to = rendered.message.to;
    try {
      return { result: await adapter.send(rendered.message, await this.p.contributors.settingsOf(m.workspaceId, c)), to };
    } catch (e) {
      return { result: { ok: false, retryable: true, error: (e as Error).message }, to };
    }
  }
}
