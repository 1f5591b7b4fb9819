import type { Identifier } from '../../core/identity/identifier.js';
import type { GroupState, ProfileState } from '../../core/profiles/profile.js';

/** Stored payloads carry a version (`v`) so later releases can read old rows. */
export const PROFILE_ROW_VERSION = 1;

export interface ProfileRow {
  id: string;
  workspace_id: string;
  v: number;
  traits: string;
  trait_stamps: string;
  groups: string;
  merged_from: string;
  merged_into: string | null;
  created_at: number;
  updated_at: number;
}

export interface GroupRow {
  workspace_id: string;
  group_id: string;
  v: number;
  traits: string;
  trait_stamps: string;
  updated_at: number;
}

export function profileFromRow(row: ProfileRow, identifiers: readonly Identifier[]): ProfileState {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    identifiers,
    traits: { values: JSON.parse(row.traits), stamps: JSON.parse(row.trait_stamps) },
    groups: JSON.parse(row.groups),
    mergedFrom: JSON.parse(row.merged_from),
    ...(row.merged_into ? { mergedInto: row.merged_into } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The row of a profile; `json` passes already serialised parts that did not change. */
export function profileToRow(
  p: ProfileState,
  json: Partial<Pick<ProfileRow, 'traits' | 'trait_stamps' | 'groups' | 'merged_from'>> = {},
): ProfileRow {
  return {
    id: p.id,
    workspace_id: p.workspaceId,
    v: PROFILE_ROW_VERSION,
    traits: json.traits ?? JSON.stringify(p.traits.values),
    trait_stamps: json.trait_stamps ?? JSON.stringify(p.traits.stamps),
    groups: json.groups ?? JSON.stringify(p.groups),
    merged_from: json.merged_from ?? JSON.stringify(p.mergedFrom),
    merged_into: p.mergedInto ?? null,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
}

export function groupFromRow(row: GroupRow): GroupState {
  return {
    workspaceId: row.workspace_id,
    groupId: row.group_id,
    traits: { values: JSON.parse(row.traits), stamps: JSON.parse(row.trait_stamps) },
    updatedAt: row.updated_at,
  };
}

export function groupToRow(g: GroupState): GroupRow {
  return {
    workspace_id: g.workspaceId,
    group_id: g.groupId,
    v: PROFILE_ROW_VERSION,
    traits: JSON.stringify(g.traits.values),
    trait_stamps: JSON.stringify(g.traits.stamps),
    updated_at: g.updatedAt,
  };
}
