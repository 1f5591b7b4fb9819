import type { Identifier } from '../core/identity/identifier.js';

export interface ProfileView {
  readonly id: string;
  readonly identifiers: readonly Identifier[];
  readonly traits: Readonly<Record<string, unknown>>;
  readonly groups: readonly { readonly groupId: string; readonly traits: Readonly<Record<string, unknown>> }[];
  readonly mergedFrom: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface HubTimelineItem {
  readonly id: number;
  readonly ts: number;
  readonly body: { readonly type: string; readonly event?: string; readonly properties?: Readonly<Record<string, unknown>> };
}

export interface TimelinePosition {
  readonly ts: number;
  readonly seq: number;
}

/** Read side of profiles, on its own connection so reads never see an open write transaction. */
export interface ProfileReader {
  byIdentifier(workspaceId: string, identifier: Identifier): Promise<ProfileView | undefined>;
  /** A merged-away id answers with its survivor. */
  byId(workspaceId: string, id: string): Promise<ProfileView | undefined>;
  /** Newest first, strictly before `before` when given. */
  timeline(workspaceId: string, profileId: string, limit: number, before?: TimelinePosition): Promise<readonly TimelinePosition[]>;
  /** The hub's own timeline events (`Segment Entered` …) by id; timeline positions name them with `seq = HUB_SEQ + id`. */
  hubEvents(ids: readonly number[]): Promise<readonly HubTimelineItem[]>;
  counts(): Promise<{ readonly profiles: number; readonly identifiers: number }>;
}

/**
 * Timeline positions of the hub's own events are `HUB_SEQ + id`: above every log sequence number, so
 * at one instant they follow the events that caused them, in the order they were written.
 */
export const HUB_SEQ = 2 ** 40;
export const isHubSeq = (seq: number): boolean => seq >= HUB_SEQ;
