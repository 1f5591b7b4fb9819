import type Database from 'better-sqlite3';
import type { AudienceState } from '../../core/segments/audience.js';
import type { AudienceReader } from '../../ports/audience-reader.js';

export class SqliteAudienceReader implements AudienceReader {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      members: db.prepare('SELECT profile_id AS profileId, since FROM segment_members WHERE segment_id = ? AND profile_id > ? ORDER BY profile_id LIMIT ?'),
      audience: db.prepare('SELECT state FROM audiences WHERE profile_id = ?').pluck(),
      count: db.prepare('SELECT count(*) FROM segment_members WHERE segment_id = ?').pluck(),
      // The memberships the profile's audience state names (it may still name a segment deleted since), by primary key.
      segmentsOf: db.prepare(
        `SELECT m.segment_id AS segmentId, m.since FROM audiences a, json_each(a.state, '$.members') j
           JOIN segment_members m ON m.segment_id = j.key AND m.profile_id = a.profile_id
         WHERE a.profile_id = ? ORDER BY m.segment_id`,
      ),
      profileIds: db.prepare('SELECT id FROM profiles WHERE workspace_id = ? AND merged_into IS NULL AND id > ? ORDER BY id LIMIT ?').pluck(),
      live: db.prepare('SELECT count(*) FROM profiles WHERE workspace_id = ? AND merged_into IS NULL').pluck(),
      sample: db.prepare('SELECT id FROM profiles WHERE workspace_id = ? AND merged_into IS NULL AND rowid % ? = 0 LIMIT ?').pluck(),
    };
  }

  members(segmentId: string, limit: number, after = ''): Promise<readonly { profileId: string; since: number }[]> {
    return Promise.resolve(this.s.members.all(segmentId, after, limit) as { profileId: string; since: number }[]);
  }

  count(segmentId: string): Promise<number> {
    return Promise.resolve(this.s.count.get(segmentId) as number);
  }

  segmentsOf(profileId: string): Promise<readonly { segmentId: string; since: number }[]> {
    return Promise.resolve(this.s.segmentsOf.all(profileId) as { segmentId: string; since: number }[]);
  }

  audienceOf(profileId: string): Promise<AudienceState | undefined> {
    const raw = this.s.audience.get(profileId) as string | undefined;
    return Promise.resolve(raw === undefined ? undefined : (JSON.parse(raw) as AudienceState));
  }

  profileIds(workspaceId: string, limit: number, after = ''): Promise<readonly string[]> {
    return Promise.resolve(this.s.profileIds.all(workspaceId, after, limit) as string[]);
  }

  liveProfiles(workspaceId: string): Promise<number> {
    return Promise.resolve(this.s.live.get(workspaceId) as number);
  }

  async sample(workspaceId: string, n: number): Promise<readonly string[]> {
    const every = Math.max(1, Math.floor((await this.liveProfiles(workspaceId)) / n));
    return this.s.sample.all(workspaceId, every, n) as string[];
  }
}
