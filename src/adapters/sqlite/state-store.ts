import type Database from 'better-sqlite3';
import type { Identifier } from '../../core/identity/identifier.js';
import { wsKey, type BatchNeeds, type BatchOutcome, type IdentitySnapshot } from '../../core/identity/snapshot.js';
import { groupKey, type GroupState, type ProfileState } from '../../core/profiles/profile.js';
import { CursorConflict, type StateStore } from '../../ports/state-store.js';
import { groupFromRow, groupToRow, profileFromRow, profileToRow, type GroupRow, type ProfileRow } from './rows.js';

/** Profile state in `state.db`: each batch is one synchronous transaction with the cursor. */
export class SqliteStateStore implements StateStore {
  private readonly s;
  private readonly unit;

  constructor(db: Database.Database) {
    this.s = statements(db);
    this.unit = db.transaction((after: number, upTo: number, needs: BatchNeeds, compute: (s: IdentitySnapshot) => BatchOutcome) => {
      const found = this.s.cursor.get() as number;
      if (found !== after) throw new CursorConflict(after, found);
      this.write(compute(this.load(needs)));
      this.s.setCursor.run(upTo);
    });
  }

  cursor(): Promise<number> {
    return Promise.resolve(this.s.cursor.get() as number);
  }

  process(after: number, upTo: number, needs: BatchNeeds, compute: (snapshot: IdentitySnapshot) => BatchOutcome): Promise<void> {
    this.unit.immediate(after, upTo, needs, compute);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private load(needs: BatchNeeds): IdentitySnapshot {
    const profileOf = new Map<string, string>();
    const profiles = new Map<string, ProfileState>();
    for (const { workspaceId, identifier } of needs.identifiers) {
      const key = wsKey(workspaceId, identifier);
      if (profileOf.has(key)) continue;
      const profileId = this.s.profileOf.get(workspaceId, identifier.type, identifier.value) as string | undefined;
      if (profileId === undefined) continue;
      profileOf.set(key, profileId);
      if (!profiles.has(profileId)) {
        const row = this.s.profile.get(profileId) as ProfileRow;
        profiles.set(profileId, profileFromRow(row, this.s.identifiersOf.all(profileId) as Identifier[]));
      }
    }
    const groups = new Map<string, GroupState>();
    for (const { workspaceId, groupId } of needs.groups) {
      const row = this.s.group.get(workspaceId, groupId) as GroupRow | undefined;
      if (row) groups.set(groupKey(workspaceId, groupId), groupFromRow(row));
    }
    return { profileOf, profiles, groups };
  }

  private write(o: BatchOutcome): void {
    const s = this.s;
    for (const p of o.profiles) s.upsertProfile.run(profileToRow(p));
    for (const m of o.merges) {
      s.moveIdentifiers.run(m.winnerId, m.loserId);
      s.moveTimeline.run(m.winnerId, m.loserId);
      s.redirectMerged.run(m.winnerId, m.loserId);
      s.insertMerge.run(m.workspaceId, m.winnerId, m.loserId, m.messageId, m.via.type, m.via.value, m.at);
    }
    for (const l of o.links) s.link.run(l.workspaceId, l.identifier.type, l.identifier.value, l.profileId);
    for (const t of o.timeline) s.timeline.run(t.profileId, t.ts, t.seq, t.workspaceId);
    for (const d of o.decisions) {
      s.decision.run(d.workspaceId, d.kind, d.messageId, d.profileId, d.identifier.type, d.identifier.value, d.otherProfileId ?? null, d.rule, d.at);
    }
    for (const g of o.groups) s.upsertGroup.run(groupToRow(g));
  }
}

function statements(db: Database.Database) {
  return {
    cursor: db.prepare("SELECT seq FROM cursors WHERE name = 'profiles'").pluck(),
    setCursor: db.prepare("UPDATE cursors SET seq = ? WHERE name = 'profiles'"),
    profileOf: db.prepare('SELECT profile_id FROM identifiers WHERE workspace_id = ? AND type = ? AND value = ?').pluck(),
    profile: db.prepare('SELECT * FROM profiles WHERE id = ?'),
    identifiersOf: db.prepare('SELECT type, value FROM identifiers WHERE profile_id = ?'),
    group: db.prepare('SELECT * FROM groups WHERE workspace_id = ? AND group_id = ?'),
    upsertProfile: db.prepare(
      `INSERT INTO profiles (id, workspace_id, v, traits, trait_stamps, groups, merged_from, merged_into, created_at, updated_at)
       VALUES (@id, @workspace_id, @v, @traits, @trait_stamps, @groups, @merged_from, @merged_into, @created_at, @updated_at)
       ON CONFLICT (id) DO UPDATE SET v = excluded.v, traits = excluded.traits, trait_stamps = excluded.trait_stamps,
         groups = excluded.groups, merged_from = excluded.merged_from, merged_into = excluded.merged_into,
         updated_at = excluded.updated_at`,
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
