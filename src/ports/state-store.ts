import type { BatchNeeds, BatchOutcome, IdentitySnapshot } from '../core/identity/snapshot.js';

/** Thrown when another processor moved the cursor first; the batch was not applied. Retry reads again. */
export class CursorConflict extends Error {
  readonly retryable = true;
  constructor(expected: number, found: number) {
    super(`processing cursor is at ${found}, expected ${expected}: another processor applied this batch`);
    this.name = 'CursorConflict';
  }
}

/**
 * Profile state. `process` is the unit of work: load what the batch needs, run the pure
 * `compute`, write its outcome and move the cursor from `after` to `upTo` — all in one
 * transaction (SQLite: one synchronous transaction; PostgreSQL: row locks on the identifiers).
 */
export interface StateStore {
  cursor(): Promise<number>;
  process(after: number, upTo: number, needs: BatchNeeds, compute: (snapshot: IdentitySnapshot) => BatchOutcome): Promise<void>;
  close(): Promise<void>;
}
