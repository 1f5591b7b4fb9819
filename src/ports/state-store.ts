import type { BatchNeeds, BatchOutcome, IdentitySnapshot } from '../core/identity/snapshot.js';
import type { ProfileState } from '../core/profiles/profile.js';
import type { AudienceOutcome, AudienceRecord } from '../core/segments/batch.js';

/** Thrown when another processor moved the cursor first; the batch was not applied. Retry reads again. */
export class CursorConflict extends Error {
  readonly retryable = true;
  constructor(expected: number, found: number) {
    super(`processing cursor is at ${found}, expected ${expected}: another processor applied this batch`);
    this.name = 'CursorConflict';
  }
}

/** The pure steps of a batch: identity and profiles first, then audiences of the profiles it touched. */
export interface BatchWork {
  identity(snapshot: IdentitySnapshot): BatchOutcome;
  /** Given the stored audiences of every profile in the identity outcome; undefined when nothing to do. */
  audience(identity: BatchOutcome, stored: ReadonlyMap<string, AudienceRecord>): AudienceOutcome | undefined;
}

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
  /** Re-evaluates audiences (timers, backfill) in one transaction; answers how many profiles it did. */
  processAudiences(select: AudienceSelection, work: (profiles: readonly ProfileState[], stored: ReadonlyMap<string, AudienceRecord>) => AudienceOutcome): Promise<number>;
  /** The earliest audience timer, if any. */
  nextDue(): Promise<number | undefined>;
  close(): Promise<void>;
}
