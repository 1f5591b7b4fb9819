import type { AudienceState } from '../core/segments/audience.js';

/** Read side of segments: memberships, on the read connection. */
export interface AudienceReader {
  /** Members in profile id order, after `after`. */
  members(segmentId: string, limit: number, after?: string): Promise<readonly { readonly profileId: string; readonly since: number }[]>;
  count(segmentId: string): Promise<number>;
  segmentsOf(profileId: string): Promise<readonly { readonly segmentId: string; readonly since: number }[]>;
  /** A profile's stored audience (events conditions read, computed traits' states, memberships), as the last unit of work left it. */
  audienceOf(profileId: string): Promise<AudienceState | undefined>;
  /** Live profiles of a workspace, in id order (backfill and preview walk them). */
  profileIds(workspaceId: string, limit: number, after?: string): Promise<readonly string[]>;
  liveProfiles(workspaceId: string): Promise<number>;
  /** About `n` live profiles spread evenly over the workspace (for estimates). */
  sample(workspaceId: string, n: number): Promise<readonly string[]>;
}
