import { performance } from 'node:perf_hooks';
import { batchNeeds, resolveBatch } from '../core/identity/resolve.js';
import type { IdentityRules } from '../core/identity/identifier.js';
import type { TraitStrategies } from '../core/profiles/traits.js';
import { audienceStep, type AudienceOutcome } from '../core/segments/batch.js';
import type { HubEvent } from '../core/events/event.js';
import type { Clock } from '../ports/clock.js';
import type { EventLog } from '../ports/event-log.js';
import type { StateStore } from '../ports/state-store.js';
import type { AudienceJobs } from './audience-jobs.js';
import type { AudienceDefinitionsCache } from './audiences.js';
import { engagementWork } from './engagement-work.js';
import { newId } from './ids.js';
import { FollowsLog } from './log-position.js';
import type { Processing } from './processing.js';
import type { Retention } from './retention.js';
import { journeyWork, prepareJourneyWork, type JourneyWorkOptions } from './journey-work.js';

/** While catching up on a backlog of more than this many batches, a batch is that many times larger, up to `CATCH_UP_MAX` events. */
const CATCH_UP = 5;
const CATCH_UP_MAX = 10_000;
/** While another writer of the state is at work, a batch takes about this long to process. */
const CONTENDED_MS = 25;
/** The fewest events a batch takes then, and how many the first takes, before what they cost is known. */
const CONTENDED_MIN = 20;
const CONTENDED_FIRST = 200;
/** How long after another writer last wrote batches stay that short. */
const CONTENDED_FOR_MS = 1_000;

/**
 * How many events the next batch reads. Alone: `batchSize`, or more while catching up on a backlog
 * (fewer commits, each profile read once for more of its events). While another writer of the
 * state is at work (`contended`): as many as the last batches' transactions took `CONTENDED_MS` for
 * (`msPerEvent`), at most `batchSize`, so that such a writer waits about that long for processing's
 * transaction at most, whatever the definitions cost.
 */
export function batchLimit(o: { batchSize: number; lag: number; contended: boolean; msPerEvent: number | undefined }): number {
  if (o.contended) return Math.min(o.batchSize, o.msPerEvent === undefined ? CONTENDED_FIRST : Math.max(CONTENDED_MIN, Math.floor(CONTENDED_MS / o.msPerEvent)));
  return o.lag > o.batchSize * CATCH_UP ? Math.max(o.batchSize, Math.min(o.batchSize * CATCH_UP, CATCH_UP_MAX)) : o.batchSize;
}

/** Processing's turns at the state's write lock, shared with another writer (see `WriteGate`). */
export interface Contention {
  /** Whether the other writer wrote since last asked. */
  contended(): boolean;
  /** How long (ms) processing held its turns since last asked. */
  held(): number;
}

export interface ProcessorOptions {
  readonly rules: IdentityRules;
  readonly traitStrategies: TraitStrategies;
  /** Events per transaction (more while catching up on a backlog: fewer commits, and a profile is read once for more of its events). */
  readonly batchSize: number;
  /** While idle, how often to look for events appended by another process (e.g. `xhub import`). */
  readonly idleCheckMs: number;
  readonly onBatch?: (events: number, cursor: number) => void;
  readonly onAudience?: (o: AudienceOutcome) => void;
  readonly onError?: (error: unknown) => void;
  /** Journeys run after audiences in the same unit of work. */
  readonly journeys: JourneyWorkOptions;
  /** Expires old decision traces and ledger entries (hourly, when the log is caught up). */
  readonly retention?: Retention;
  /** Turns taken with another writer of the state (see `Contention`): while it writes, batches are kept short. */
  readonly contention?: Contention;
}

/**
 * The worker, the one writer of profile state: reads the log in order and applies each batch
 * (identity, profiles, audiences, journeys) with its cursor in one transaction, so after a crash nothing is
 * applied twice or skipped; between batches it fires due timers (audiences, journeys) and backfills.
 */
export class Processor extends FollowsLog implements Processing {
  private running = false;
  private again = false;
  private stopped = false;
  private idle: NodeJS.Timeout | undefined;
  private cancelDue: (() => void) | undefined;
  private idleWaiters: (() => void)[] = [];
  /** What the last batches' transactions took, per event (ms, a moving average). */
  private msPerEvent: number | undefined;
  /** Until when (performance.now()) batches stay short: the other writer wrote shortly before. */
  private contendedUntil = -Infinity;

  constructor(
    private readonly log: EventLog,
    private readonly state: StateStore,
    private readonly clock: Clock,
    private readonly definitions: AudienceDefinitionsCache,
    private readonly jobs: AudienceJobs,
    private readonly opts: ProcessorOptions,
  ) {
    super();
  }

  async start(): Promise<void> {
    this.at.cursor = await this.state.cursor();
    this.at.head = await this.log.head();
    this.kick();
  }

  notify(head: number): void {
    this.at.seen(head);
    this.kick();
  }

  whenIdle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.idle);
    this.cancelDue?.();
    while (this.running) await new Promise((r) => setTimeout(r, 5));
  }

  /** The caches of definitions reload by themselves when the store's count of changes moved: this runs the loop now. */
  changed(): void {
    this.kick();
  }

  /** Runs the loop now (new events, a definition changed, a timer is due). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.idle);
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
      if (this.again) return void ((this.again = false), this.kick());
      for (const resolve of this.idleWaiters.splice(0)) resolve();
      void this.sleep();
    });
  }

  /** Until the next audience timer, new events (notify) or, for other processes' appends, the idle check. */
  private async sleep(): Promise<void> {
    if (this.stopped) return;
    this.cancelDue?.();
    const due = await this.jobs.nextDue().catch(() => undefined);
    if (this.stopped || this.running) return;
    if (due !== undefined) this.cancelDue = this.clock.at(due, () => this.kick());
    this.idle = setTimeout(() => void this.recheck(), this.opts.idleCheckMs);
  }

  private async recheck(): Promise<void> {
    this.at.seen(await this.log.head());
    this.kick();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.again = false;
      let worked = false;
      try {
        if (this.at.lag > 0) worked = (await this.step()) || worked;
        worked = (await this.jobs.runDue()) || worked;
        if (this.at.lag === 0) worked = (await this.jobs.backfillChunk()) || worked;
        if (this.at.lag === 0) await this.opts.retention?.runDue(this.clock.now());
      } catch (e) {
        this.opts.onError?.(e);
        this.at.cursor = await this.state.cursor();
        await new Promise((r) => setTimeout(r, 200));
        worked = true;
      }
      if (!worked && !this.again) return;
      await new Promise((r) => setImmediate(r));
    }
  }

  private async step(): Promise<boolean> {
    const { contention } = this.opts;
    const started = performance.now();
    if (contention?.contended() === true) this.contendedUntil = started + CONTENDED_FOR_MS;
    contention?.held(); // the turns taken since (timers, backfills) are not this batch's
    const limit = batchLimit({ batchSize: this.opts.batchSize, lag: this.lag, contended: started < this.contendedUntil, msPerEvent: this.msPerEvent });
    const events = await this.log.readAfter(this.at.cursor, limit);
    const last = events.at(-1);
    if (!last) {
      this.at.head = this.at.cursor;
      return false;
    }
    await this.definitions.prepare();
    await prepareJourneyWork(this.opts.journeys);
    const now = this.clock.now();
    const bySeq = new Map<number, HubEvent>(events.map((e) => [e.seq, e.event]));
    await this.state.process(this.at.cursor, last.seq, batchNeeds(events, this.opts.rules), {
      identity: (snapshot) => resolveBatch(snapshot, events, { ...this.opts, now, newProfileId: () => newId('prof', now) }),
      audience: (identity, stored) => {
        const o = audienceStep({ identity, events: bySeq, stored, ...this.definitions.input(now) });
        if (o.audiences.length === 0 && o.removed.length === 0) return undefined;
        this.opts.onAudience?.(o);
        return o;
      },
      journeys: journeyWork(this.opts.journeys, now, bySeq),
      engagement: engagementWork(bySeq),
    });
    this.at.advance(last.seq);
    if (contention) {
      const ms = contention.held() / events.length;
      this.msPerEvent = this.msPerEvent === undefined ? ms : (this.msPerEvent + ms) / 2;
    }
    this.opts.onBatch?.(events.length, last.seq);
    return true;
  }
}
