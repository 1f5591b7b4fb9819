import type Database from 'better-sqlite3';
import type { Identifier } from '../../core/identity/identifier.js';
import type { ProfileState } from '../../core/profiles/profile.js';
import { profileFromRow, type ProfileRow } from './rows.js';

/** Timeline rows written per multi-row INSERT: fewer statement calls on the hottest write. */
export const TIMELINE_CHUNK = 64;

/** The statements of the processing store (`state-store.ts`) over `state.db`. */
export function stateStatements(db: Database.Database) {
  return {
    cursor: db.prepare("SELECT seq FROM cursors WHERE name = 'profiles'").pluck(),
    profileWrites: db.prepare("SELECT seq FROM cursors WHERE name = 'profile_writes'").pluck(),
    wroteProfiles: db.prepare("UPDATE cursors SET seq = seq + 1 WHERE name = 'profile_writes' RETURNING seq").pluck(),
    histories: db.prepare('SELECT value AS profile_id, (SELECT json_group_array(seq ORDER BY ts, seq) FROM timeline WHERE profile_id = value AND seq < ?) AS seqs FROM json_each(?)'),
    setCursor: db.prepare("UPDATE cursors SET seq = ? WHERE name = 'profiles'"),
    profileOf: db.prepare('SELECT profile_id FROM identifiers WHERE workspace_id = ? AND type = ? AND value = ?').pluck(),
    profile: db.prepare('SELECT * FROM profiles WHERE id = ?'),
    identifiersOf: db.prepare('SELECT type, value FROM identifiers WHERE profile_id = ?'),
    profilesIn: db.prepare(
      `SELECT p.*, (SELECT json_group_array(json_object('type', type, 'value', value)) FROM identifiers WHERE profile_id = p.id) AS identifiers
       FROM profiles p WHERE id IN (SELECT value FROM json_each(?))`,
    ),
    group: db.prepare('SELECT * FROM groups WHERE workspace_id = ? AND group_id = ?'),
    upsertProfile: db.prepare(
      `INSERT INTO profiles (id, workspace_id, v, traits, trait_stamps, groups, merged_from, merged_into, created_at, updated_at)
       VALUES (@id, @workspace_id, @v, @traits, @trait_stamps, @groups, @merged_from, @merged_into, @created_at, @updated_at)
       ON CONFLICT (id) DO UPDATE SET v = excluded.v, traits = excluded.traits, trait_stamps = excluded.trait_stamps,
         groups = excluded.groups, merged_from = excluded.merged_from, merged_into = excluded.merged_into,
         updated_at = excluded.updated_at`,
    ),
    // Without `merged_into` in its SET list: an update naming it rewrites the profile's entry in `profiles_live` (partial on it).
    updateProfile: db.prepare(
      `UPDATE profiles SET v = @v, traits = @traits, trait_stamps = @trait_stamps, groups = @groups, merged_from = @merged_from,
         updated_at = @updated_at WHERE id = @id`,
    ),
    moveIdentifiers: db.prepare('UPDATE identifiers SET profile_id = ? WHERE profile_id = ?'),
    moveTimeline: db.prepare('UPDATE timeline SET profile_id = ? WHERE profile_id = ?'),
    redirectMerged: db.prepare('UPDATE profiles SET merged_into = ? WHERE merged_into = ?'),
    insertMerge: db.prepare(
      'INSERT INTO merges (workspace_id, winner_id, loser_id, message_id, via_type, via_value, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    link: db.prepare(
      `INSERT INTO identifiers (workspace_id, type, value, profile_id) VALUES (?, ?, ?, ?)
       ON CONFLICT (workspace_id, type, value) DO UPDATE SET profile_id = excluded.profile_id`,
    ),
    timeline: db.prepare('INSERT OR IGNORE INTO timeline (profile_id, ts, seq, workspace_id) VALUES (?, ?, ?, ?)'),
    timelineChunk: db.prepare(
      `INSERT OR IGNORE INTO timeline (profile_id, ts, seq, workspace_id) VALUES ${Array(TIMELINE_CHUNK).fill('(?, ?, ?, ?)').join(', ')}`,
    ),
    touchProfiles: db.prepare('UPDATE profiles SET updated_at = ? WHERE id IN (SELECT value FROM json_each(?))'),
    recheckAudience: db.prepare('UPDATE audiences SET next_due = min(coalesce(next_due, ?), ?) WHERE profile_id = ?'),
    decision: db.prepare(
      `INSERT INTO identity_decisions (workspace_id, kind, message_id, profile_id, id_type, id_value, other_profile_id, rule, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    upsertGroup: db.prepare(
      `INSERT INTO groups (workspace_id, group_id, v, traits, trait_stamps, updated_at)
       VALUES (@workspace_id, @group_id, @v, @traits, @trait_stamps, @updated_at)
       ON CONFLICT (workspace_id, group_id) DO UPDATE SET v = excluded.v, traits = excluded.traits,
         trait_stamps = excluded.trait_stamps, updated_at = excluded.updated_at`,
    ),
  };
}

/** Profiles as stored, with their identifiers, read in one statement (those not stored are left out). */
export function storedProfiles(s: ReturnType<typeof stateStatements>, ids: readonly string[]): Map<string, ProfileState> {
  const out = new Map<string, ProfileState>();
  if (ids.length === 0) return out;
  for (const row of s.profilesIn.iterate(JSON.stringify(ids)) as Iterable<ProfileRow & { identifiers: string }>) {
    out.set(row.id, profileFromRow(row, JSON.parse(row.identifiers) as Identifier[]));
  }
  return out;
}
