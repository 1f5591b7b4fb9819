import type Database from 'better-sqlite3';
import type { Identifier } from '../../core/identity/identifier.js';
import type { HubTimelineItem, ProfileReader, ProfileView, TimelinePosition } from '../../ports/profile-reader.js';
import type { GroupRow, ProfileRow } from './rows.js';

/** Reads profiles on a connection of its own (WAL readers never block the writer). */
export class SqliteProfileReader implements ProfileReader {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      profileOf: db.prepare('SELECT profile_id FROM identifiers WHERE workspace_id = ? AND type = ? AND value = ?').pluck(),
      profile: db.prepare('SELECT * FROM profiles WHERE id = ? AND workspace_id = ?'),
      identifiersOf: db.prepare('SELECT type, value FROM identifiers WHERE profile_id = ? ORDER BY type, value'),
      group: db.prepare('SELECT * FROM groups WHERE workspace_id = ? AND group_id = ?'),
      newest: db.prepare('SELECT ts, seq FROM timeline WHERE profile_id = ? ORDER BY ts DESC, seq DESC LIMIT ?'),
      before: db.prepare(
        'SELECT ts, seq FROM timeline WHERE profile_id = ? AND (ts, seq) < (?, ?) ORDER BY ts DESC, seq DESC LIMIT ?',
      ),
      hubEvent: db.prepare('SELECT id, ts, body FROM hub_events WHERE id = ?'),
      profiles: db.prepare('SELECT count(*) FROM profiles WHERE merged_into IS NULL').pluck(),
      identifiers: db.prepare('SELECT count(*) FROM identifiers').pluck(),
    };
  }

  byIdentifier(workspaceId: string, identifier: Identifier): Promise<ProfileView | undefined> {
    const id = this.s.profileOf.get(workspaceId, identifier.type, identifier.value) as string | undefined;
    return id === undefined ? Promise.resolve(undefined) : this.byId(workspaceId, id);
  }

  byId(workspaceId: string, id: string): Promise<ProfileView | undefined> {
    let row = this.s.profile.get(id, workspaceId) as ProfileRow | undefined;
    if (row?.merged_into) row = this.s.profile.get(row.merged_into, workspaceId) as ProfileRow | undefined;
    return Promise.resolve(row && this.view(row));
  }

  timeline(_workspaceId: string, profileId: string, limit: number, before?: TimelinePosition): Promise<readonly TimelinePosition[]> {
    const rows = before ? this.s.before.all(profileId, before.ts, before.seq, limit) : this.s.newest.all(profileId, limit);
    return Promise.resolve(rows as TimelinePosition[]);
  }

  hubEvents(ids: readonly number[]): Promise<readonly HubTimelineItem[]> {
    const out: HubTimelineItem[] = [];
    for (const id of ids) {
      const row = this.s.hubEvent.get(id) as { id: number; ts: number; body: string } | undefined;
      if (row) out.push({ id: row.id, ts: row.ts, body: JSON.parse(row.body) as HubTimelineItem['body'] });
    }
    return Promise.resolve(out);
  }

  counts(): Promise<{ profiles: number; identifiers: number }> {
    return Promise.resolve({ profiles: this.s.profiles.get() as number, identifiers: this.s.identifiers.get() as number });
  }

  private view(row: ProfileRow): ProfileView {
    const groupIds = JSON.parse(row.groups) as string[];
    return {
      id: row.id,
      identifiers: this.s.identifiersOf.all(row.id) as Identifier[],
      traits: JSON.parse(row.traits) as Record<string, unknown>,
      groups: groupIds.map((groupId) => {
        const g = this.s.group.get(row.workspace_id, groupId) as GroupRow | undefined;
        return { groupId, traits: g ? (JSON.parse(g.traits) as Record<string, unknown>) : {} };
      }),
      mergedFrom: JSON.parse(row.merged_from) as string[],
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
    };
  }
}
