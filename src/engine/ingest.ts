import type { HubEvent } from '../core/events/event.js';
import type { EventLog, NewEvent } from '../ports/event-log.js';

export type SubmitOutcome =
  | { readonly kind: 'committed'; readonly head: number }
  | { readonly kind: 'overloaded'; readonly retryAfterSeconds: number; readonly reason: string };

export interface IngestOptions {
  readonly maxPendingEvents: number;
  readonly maxLag: number;
}

export interface IngestObserver {
  committed(events: number, seconds: number, head: number): void;
}

interface Waiter {
  readonly events: readonly NewEvent[];
  readonly resolve: (o: SubmitOutcome) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Group commit: requests that arrive while the event loop is busy are appended together in one
 * transaction, and each is acknowledged only once that transaction has committed. The queue is
 * bounded: past `maxPendingEvents` waiting, or `maxLag` appended but unprocessed, callers are told
 * to retry later instead of being buffered without bound.
 */
export class Ingestor {
  private queue: Waiter[] = [];
  private pending = 0;
  private scheduled = false;

  constructor(
    private readonly log: EventLog,
    private readonly opts: IngestOptions,
    private readonly lag: () => number,
    private readonly observer: IngestObserver,
  ) {}

  submit(workspaceId: string, events: readonly HubEvent[]): Promise<SubmitOutcome> {
    // A request larger than the bound is still admitted into an empty queue, or it could never succeed.
    if (this.pending > 0 && this.pending + events.length > this.opts.maxPendingEvents) {
      return Promise.resolve({ kind: 'overloaded', retryAfterSeconds: 1, reason: 'too many events waiting to be committed' });
    }
    if (this.lag() > this.opts.maxLag) {
      return Promise.resolve({ kind: 'overloaded', retryAfterSeconds: 5, reason: 'processing is behind ingestion' });
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ events: events.map((event) => ({ workspaceId, event })), resolve, reject });
      this.pending += events.length;
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const group = this.queue;
    const count = this.pending;
    this.queue = [];
    this.pending = 0;
    this.scheduled = false;
    const started = performance.now();
    try {
      const outcome = await this.log.append(group.length === 1 ? (group[0] as Waiter).events : group.flatMap((w) => w.events));
      this.observer.committed(count, (performance.now() - started) / 1000, outcome.head);
      for (const w of group) w.resolve({ kind: 'committed', head: outcome.head });
    } catch (e) {
      for (const w of group) w.reject(e);
    }
  }
}
