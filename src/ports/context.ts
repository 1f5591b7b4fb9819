import type { ContextValue } from '../core/conditions/evaluate.js';

export interface StoredContextValue extends ContextValue {
  readonly dimension: string;
  readonly key: string;
  readonly updatedAt: number;
}

export interface ContextChange {
  readonly workspaceId: string;
  readonly dimension: string;
  readonly key: string;
  /** Absent: withdrawn. */
  readonly value?: StoredContextValue;
}

/** Context signals of each workspace: a value per (dimension, key), valid until a time. */
export interface ContextStore {
  put(workspaceId: string, v: StoredContextValue): Promise<void>;
  get(workspaceId: string, dimension: string, key: string): Promise<StoredContextValue | undefined>;
  list(workspaceId: string, dimension: string): Promise<readonly StoredContextValue[]>;
  remove(workspaceId: string, dimension: string, key: string): Promise<boolean>;
  /** Every value of a workspace (processing keeps them in memory). */
  all(workspaceId: string): Promise<readonly StoredContextValue[]>;
  /** How many changes were made to context values, in every workspace: a copy of them is current while this is the count it saw. */
  changes(): Promise<number>;
  /**
   * What changed after the count `since`, in the order it changed: each key's value, or none once
   * withdrawn; and the count it brings the copy to. Undefined when withdrawals that far back are no
   * longer kept: the copy loads every value again.
   */
  changedSince(since: number): Promise<{ readonly changes: number; readonly changed: readonly ContextChange[] } | undefined>;
  /** Sets the audience timer of the workspace's profiles whose `trait` equals `value` to `at`, so they are re-evaluated then. */
  touchProfiles(workspaceId: string, trait: string, value: string, at: number): Promise<number>;
}
