import type { BatchNeeds, BatchOutcome, IdentitySnapshot } from '../core/identity/snapshot.js';
import type { ProfileState } from '../core/profiles/profile.js';
import type { AudienceOutcome, AudienceRecord } from '../core/segments/batch.js';
import type { JourneyOutcome, StoredJourneyState } from '../core/journeys/batch.js';
import type { ContactFacts, EngagementWrite } from '../core/arbitration/decision.js';

/** Thrown when another processor moved the cursor first; the batch was not applied. Retry reads again. */
export class CursorConflict extends Error {
  readonly retryable = true;
  constructor(expected: number, found: number) {
    super(`processing cursor is at ${found}, expected ${expected}: another processor applied this batch`);
    this.name = 'CursorConflict';
  }
}

/** The pure steps of a batch: identity and profiles first, then audiences, then journeys of the profiles it touched. */
export interface BatchWork {
  identity(snapshot: IdentitySnapshot): BatchOutcome;
  /** Given the stored audiences of every profile in the identity outcome; undefined when nothing to do. */
  audience(identity: BatchOutcome, stored: ReadonlyMap<string, AudienceRecord>): AudienceOutcome | undefined;
  /** Absent when no journey is published. */
  readonly journeys?: JourneyWork;
  /** Engagement counts from the batch's receipts; absent when it has none. */
  readonly engagement?: (identity: BatchOutcome) => readonly EngagementWrite[];
}

/** What the journey step of a unit of work gets: live profiles, what happened to them in it, their stored states. */
export interface JourneyInputs {
  readonly profiles: readonly ProfileState[];
  /** The event batch (absent for timers and backfills): its timeline maps events to profiles. */
  readonly identity?: BatchOutcome;
  /** The audience step of this unit of work (its `Segment Entered` / `Exited` events and new states). */
  readonly audience?: AudienceOutcome;
  /** Stored audiences of the profiles, as before this unit of work. */
  readonly audiences: ReadonlyMap<string, AudienceRecord>;
  /** Stored journey states: profile → journey → state and timer (also of profiles merged away in this step). */
  readonly journeys: ReadonlyMap<string, ReadonlyMap<string, StoredJourneyState>>;
  /** What arbitration reads of each live profile's contacts, read in the same transaction (so caps hold exactly). */
  readonly contacts: ReadonlyMap<string, ContactFacts>;
}

/** The journey step of a unit of work: `run` gets its inputs; the ledger is read from `ledger.since`, without reservations expired by `ledger.now`. */
export interface JourneyWork {
  readonly ledger?: { readonly since: number; readonly now: number };
  run(inputs: JourneyInputs): JourneyOutcome | undefined;
}

export type AudienceWork = (profiles: readonly ProfileState[], stored: ReadonlyMap<string, AudienceRecord>) => AudienceOutcome;

/** Profiles whose audiences to re-evaluate: those whose timer is due by `now`, or given ones (backfill). */
export type AudienceSelection = { readonly dueBy: number; readonly limit: number } | { readonly ids: readonly string[] };

/**
 * Profile state. `process` is the unit of work: load what the batch needs, run the pure steps,
 * write their outcome and move the cursor from `after` to `upTo` — all in one transaction
 * (SQLite: one synchronous transaction; PostgreSQL: row locks on the identifiers).
 */
export interface StateStore {
  cursor(): Promise<number>;
  process(after: number, upTo: number, needs: BatchNeeds, work: BatchWork): Promise<void>;
  /** Re-evaluates audiences (timers, backfill), then journeys on what changed, in one transaction; answers how many profiles it did. */
  processAudiences(select: AudienceSelection, work: AudienceWork, journeys?: JourneyWork): Promise<number>;
  /** Runs the journeys of profiles with a journey timer due by `dueBy`, in one transaction; answers how many profiles. */
  processJourneys(dueBy: number, limit: number, journeys: JourneyWork): Promise<number>;
  /** The earliest timer (audience or journey), if any. */
  nextDue(): Promise<number | undefined>;
  /** Log positions of each profile's own events (not hub events), oldest first, read as the writer sees them. */
  histories(profileIds: readonly string[]): Promise<ReadonlyMap<string, readonly number[]>>;
  close(): Promise<void>;
}
