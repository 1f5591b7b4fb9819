import type { HubEvent, LoggedEvent } from '../core/events/event.js';

export interface NewEvent {
  readonly workspaceId: string;
  readonly event: HubEvent;
}

export interface AppendOutcome {
  /** Events written now. */
  readonly appended: number;
  /** Events already in the log under the same (workspace, messageId): acknowledged, not stored again. */
  readonly duplicates: number;
  /** Highest sequence number in the log after the append. */
  readonly head: number;
}

/** Which events of the log a reader wants (see `factSelection`). */
export interface EventSelection {
  readonly events: readonly string[];
  readonly types: readonly string[];
}

/** The durable, ordered, append-only event log. `append` resolves only after the events are committed. */
export interface EventLog {
  append(events: readonly NewEvent[]): Promise<AppendOutcome>;
  /** Events with `seq > after`, in order, at most `limit`. */
  readAfter(after: number, limit: number): Promise<readonly LoggedEvent[]>;
  /** Events by sequence number (missing ones are left out). */
  get(seqs: readonly number[]): Promise<readonly LoggedEvent[]>;
  /** As `get`, only track events named in `selection.events` and calls of a type in `selection.types` (the others are not read). */
  getSelected(seqs: readonly number[], selection: EventSelection): Promise<readonly LoggedEvent[]>;
  head(): Promise<number>;
  close(): Promise<void>;
}
