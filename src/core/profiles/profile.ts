import type { Identifier } from '../identity/identifier.js';
import type { TraitSet } from './traits.js';

/** The unified customer as the processing step sees it. */
export interface ProfileState {
  readonly id: string;
  readonly workspaceId: string;
  readonly identifiers: readonly Identifier[];
  readonly traits: TraitSet;
  /** Group (account) ids this profile belongs to, sorted. */
  readonly groups: readonly string[];
  /** Profile ids merged into this one, sorted. */
  readonly mergedFrom: readonly string[];
  /** Set when this profile was merged away: the survivor it redirects to. */
  readonly mergedInto?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A group (account) with its traits. */
export interface GroupState {
  readonly workspaceId: string;
  readonly groupId: string;
  readonly traits: TraitSet;
  readonly updatedAt: number;
}

export const EMPTY_TRAITS: TraitSet = { values: {}, stamps: {} };

export const groupKey = (workspaceId: string, groupId: string): string => `${workspaceId}\u0000${groupId}`;
