import type { GroupState, ProfileState } from '../profiles/profile.js';
import type { Identifier } from './identifier.js';

/** What a batch needs to know from the store, loaded in one go before the batch is processed. */
export interface IdentitySnapshot {
  /** `workspaceId ␀ type ␀ value` → id of the surviving profile holding that identifier. */
  readonly profileOf: ReadonlyMap<string, string>;
  readonly profiles: ReadonlyMap<string, ProfileState>;
  /** `workspaceId ␀ groupId` → group. */
  readonly groups: ReadonlyMap<string, GroupState>;
}

export interface MergeRecord {
  readonly workspaceId: string;
  readonly winnerId: string;
  readonly loserId: string;
  readonly messageId: string;
  /** The identifier of the event that linked the two profiles. */
  readonly via: Identifier;
  readonly at: number;
}

/** A batch's merges by the profile that survived them, in the order they happened. */
export function mergesByWinner(merges: readonly MergeRecord[]): Map<string, MergeRecord[]> {
  const out = new Map<string, MergeRecord[]>();
  for (const m of merges) {
    const list = out.get(m.winnerId);
    if (list) list.push(m);
    else out.set(m.winnerId, [m]);
  }
  return out;
}

/** A link the rules refused: the identifier stayed where it was and the event went elsewhere. */
export interface IdentityDecision {
  readonly workspaceId: string;
  readonly kind: 'link_dropped';
  readonly messageId: string;
  readonly profileId: string;
  readonly identifier: Identifier;
  /** The profile that holds (or would have received) the identifier. */
  readonly otherProfileId?: string;
  readonly rule: string;
  readonly at: number;
}

export interface TimelineEntry {
  readonly workspaceId: string;
  readonly profileId: string;
  readonly seq: number;
  readonly ts: number;
}

/** Everything one batch changes; the engine commits it with the log cursor in one transaction. */
export interface BatchOutcome {
  /** Final state of every profile the batch's events belong to (created, changed or not), merged-away ones included. */
  readonly profiles: readonly ProfileState[];
  readonly links: readonly { readonly workspaceId: string; readonly identifier: Identifier; readonly profileId: string }[];
  readonly merges: readonly MergeRecord[];
  readonly decisions: readonly IdentityDecision[];
  readonly timeline: readonly TimelineEntry[];
  readonly groups: readonly GroupState[];
}

export const wsKey = (workspaceId: string, id: Identifier): string => `${workspaceId}\u0000${id.type}\u0000${id.value}`;

/** What a batch needs loaded: the identifiers and groups it touches. */
export interface BatchNeeds {
  readonly identifiers: readonly { readonly workspaceId: string; readonly identifier: Identifier }[];
  readonly groups: readonly { readonly workspaceId: string; readonly groupId: string }[];
}
