import { batchNeeds, resolveBatch } from '../core/identity/resolve.js';
import type { IdentityRules } from '../core/identity/identifier.js';
import type { TraitStrategies } from '../core/profiles/traits.js';
import type { Clock } from '../ports/clock.js';
import type { EventLog } from '../ports/event-log.js';
import type { StateStore } from '../ports/state-store.js';
import { newId } from './ids.js';

export interface ProcessorOptions {
  readonly rules: IdentityRules;
  readonly traitStrategies: TraitStrategies;
  readonly batchSize: number;
  /** While idle, how often to look for events appended by another process (e.g. `xhub import`). */
  readonly idleCheckMs: number;
  readonly onBatch?: (events: number, cursor: number) => void;
  readonly onError?: (error: unknown) => void;
}

/**
 * The worker: reads the log in order and applies each batch with its cursor in one transaction,
 * so after a crash nothing is applied twice or skipped.
 */
export class Processor {
  private cursor = 0;
  private head = 0;
  private running = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private waiters: { seq: number; resolve: () => void }[] = [];

  constructor(
    private readonly log: EventLog,
    private readonly state: StateStore,
    private readonly clock: Clock,
    private readonly opts: ProcessorOptions,
  ) {}

  async start(): Promise<void> {
    this.cursor = await this.state.cursor();
    this.head = await this.log.head();
    this.kick();
  }

  /** Called after an append committed up to `head`. */
  notify(head: number): void {
    if (head > this.head) this.head = head;
    this.kick();
  }

  get lag(): number {
    return Math.max(0, this.head - this.cursor);
  }

  get position(): { cursor: number; head: number } {
    return { cursor: this.cursor, head: this.head };
  }

  /** Resolves once every event up to `seq` is processed. */
  processed(seq: number): Promise<void> {
    if (this.cursor >= seq) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    while (this.running) await new Promise((r) => setTimeout(r, 5));
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    clearTimeout(this.timer);
    this.running = true;
    void this.drain().finally(() => {
      this.running = false;
      if (!this.stopped) this.timer = setTimeout(() => void this.recheck(), this.cursor < this.head ? 0 : this.opts.idleCheckMs);
    });
  }

  private async recheck(): Promise<void> {
    this.head = Math.max(this.head, await this.log.head());
    this.kick();
  }

  private async drain(): Promise<void> {
    while (!this.stopped && this.cursor < this.head) {
      try {
        await this.step();
      } catch (e) {
        this.opts.onError?.(e);
        this.cursor = await this.state.cursor();
        await new Promise((r) => setTimeout(r, 200));
      }
      await new Promise((r) => setImmediate(r));
    }
  }

  private async step(): Promise<void> {
    const events = await this.log.readAfter(this.cursor, this.opts.batchSize);
    const last = events.at(-1);
    if (!last) {
      this.head = this.cursor;
      return;
    }
    const now = this.clock.now();
    await this.state.process(this.cursor, last.seq, batchNeeds(events, this.opts.rules), (snapshot) =>
      resolveBatch(snapshot, events, { ...this.opts, now, newProfileId: () => newId('prof', now) }),
    );
    this.cursor = last.seq;
    this.opts.onBatch?.(events.length, this.cursor);
    this.waiters = this.waiters.filter((w) => (w.seq <= this.cursor ? (w.resolve(), false) : true));
  }
}
