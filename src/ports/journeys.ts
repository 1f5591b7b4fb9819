import type { JourneyDefinition, JourneyStatus } from '../core/journeys/definition.js';
import type { ExitReason, RunnableJourney } from '../core/journeys/state.js';

/** A journey as stored: its latest saved definition (the draft) and its published versions. */
export interface StoredJourney {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly status: JourneyStatus;
  /** The latest saved definition; published or not. */
  readonly draft: JourneyDefinition;
  /** The version new entries get; undefined until the first publish. */
  readonly liveVersion?: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface JourneyVersion {
  readonly version: number;
  readonly definition: JourneyDefinition;
  readonly publishedAt: number;
}

/** Moves profiles that are at `steps` keys (of any older version) to the mapped steps of the new version. */
export interface Migration {
  readonly steps: Readonly<Record<string, string>>;
}

export interface JourneyStats {
  readonly entered: number;
  readonly goalReached: number;
  /** Profiles in the journey now, by version and step. */
  readonly active: readonly { readonly version: number; readonly step: string; readonly profiles: number }[];
  readonly exited: Readonly<Record<string, number>>;
  readonly actions: Readonly<Record<string, number>>;
  /** Split step → arm → profiles assigned. */
  readonly arms: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** Where one profile is in one journey. */
export interface ProfileJourney {
  readonly journeyId: string;
  readonly name: string;
  readonly version: number;
  readonly status: 'active' | 'done';
  readonly step: string;
  readonly since: number;
  readonly enteredAt: number;
  readonly entries: number;
  readonly nextTimer?: number;
  readonly goalAt?: number;
  readonly exitedAt?: number;
  readonly exitReason?: ExitReason;
}

/** Journey definitions, versions, stats and per-profile state (written by processing). */
export interface JourneyStore {
  list(workspaceId: string): Promise<readonly StoredJourney[]>;
  get(workspaceId: string, id: string): Promise<StoredJourney | undefined>;
  versions(workspaceId: string, id: string): Promise<readonly JourneyVersion[]>;
  /** Creates the journey (as a draft) or replaces its draft; the live version is unchanged until publish. */
  save(workspaceId: string, definition: JourneyDefinition, now: number): Promise<StoredJourney>;
  /** Publishes the draft as a new version and makes the journey live; answers the version. */
  publish(workspaceId: string, id: string, now: number, migration?: Migration): Promise<number>;
  /** Pauses, resumes (`live`) or archives a published journey; timers of its profiles follow. */
  setStatus(workspaceId: string, id: string, status: 'live' | 'paused' | 'archived', now: number): Promise<void>;
  /** Deletes a journey that was never published; answers false when there is none such. */
  removeDraft(workspaceId: string, id: string): Promise<boolean>;
  /** Every published journey of every workspace, with all its versions: what processing runs. */
  runnable(): Promise<readonly RunnableJourney[]>;
  stats(workspaceId: string, id: string): Promise<JourneyStats>;
  ofProfile(profileId: string): Promise<readonly ProfileJourney[]>;
}
