/** `eventSchema`: one event of the workspace's tracking plan (named by the event; never backfilled). */
export type DefinitionKind = 'segment' | 'computedTrait' | 'eventSchema';

export interface BackfillProgress {
  readonly status: 'running' | 'done';
  readonly processed: number;
  readonly total: number;
  /** Profiles are backfilled in id order; the last one done. */
  readonly after?: string;
}

/** A stored segment, computed trait or event schema; `body` is the kind's own payload. */
export interface StoredDefinition {
  readonly id: string;
  readonly workspaceId: string;
  readonly kind: DefinitionKind;
  readonly name: string;
  readonly body: unknown;
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly backfill?: BackfillProgress;
}

/**
 * How many changes were made to what processing keeps in memory (segments, computed traits, journeys,
 * contact policies), counted in the store with the changes themselves: a cache of them is current
 * while the count is the one it loaded at, whichever thread or process changed them. Context values
 * are counted apart (`ContextStore.changes`), so that a feed of them does not reload the rest.
 */
export interface ChangeCount {
  changes(): Promise<number>;
}

/** Segment, computed-trait and event-schema definitions of each workspace. */
export interface DefinitionStore {
  list(workspaceId: string, kind: DefinitionKind): Promise<readonly StoredDefinition[]>;
  /** Workspaces that have definitions. */
  workspaces(): Promise<readonly string[]>;
  /** Every definition with a running backfill, across workspaces. */
  backfilling(): Promise<readonly StoredDefinition[]>;
  get(workspaceId: string, id: string): Promise<StoredDefinition | undefined>;
  byName(workspaceId: string, kind: DefinitionKind, name: string): Promise<StoredDefinition | undefined>;
  put(def: StoredDefinition): Promise<void>;
  setBackfill(id: string, progress: BackfillProgress): Promise<void>;
  /** Removes the definition (and a segment's memberships). */
  remove(workspaceId: string, id: string): Promise<boolean>;
}
