import type Database from 'better-sqlite3';
import type { AudienceState } from '../../core/segments/audience.js';
import type { AudienceOutcome, AudienceRecord } from '../../core/segments/batch.js';
import { SqliteHubEvents } from './hub-events.js';
import type { ProfileCache } from './profile-cache.js';

/** Stored audience payloads carry a version, like profiles. */
const AUDIENCE_ROW_VERSION = 1;

/**
 * Audiences in `state.db`, written inside the processing transaction that changed them: the state,
 * its next due instant (the durable timer, indexed by due time), memberships, and `Segment Entered`
 * / `Segment Exited` on the timeline (as hub events, with negative timeline sequence numbers). What
 * it writes, the processing connection's cache keeps once the transaction commits (see `ProfileCache`).
 */
export class SqliteAudiences {
  private readonly s;
  private readonly hubEvents: SqliteHubEvents;

  constructor(
    db: Database.Database,
    private readonly cache: ProfileCache,
  ) {
    this.hubEvents = new SqliteHubEvents(db);
    this.s = {
      get: db.prepare('SELECT state, next_due FROM audiences WHERE profile_id = ?'),
      put: db.prepare(
        `INSERT INTO audiences (profile_id, workspace_id, v, state, next_due) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (profile_id) DO UPDATE SET v = excluded.v, state = excluded.state, next_due = excluded.next_due`,
      ),
      remove: db.prepare('DELETE FROM audiences WHERE profile_id = ?'),
      // The memberships a state names (before the state itself is removed): by primary key.
      removeMembers: db.prepare(
        `DELETE FROM segment_members WHERE profile_id = @id
           AND segment_id IN (SELECT key FROM audiences, json_each(audiences.state, '$.members') WHERE audiences.profile_id = @id)`,
      ),
      enter: db.prepare('INSERT OR REPLACE INTO segment_members (segment_id, profile_id, workspace_id, since) VALUES (?, ?, ?, ?)'),
      exit: db.prepare('DELETE FROM segment_members WHERE segment_id = ? AND profile_id = ?'),
      due: db.prepare('SELECT profile_id FROM audiences WHERE next_due <= ? ORDER BY next_due LIMIT ?').pluck(),
      nextDue: db.prepare('SELECT min(next_due) FROM audiences WHERE next_due IS NOT NULL').pluck(),
    };
  }

  load(profileIds: Iterable<string>): Map<string, AudienceRecord> {
    const out = new Map<string, AudienceRecord>();
    for (const id of profileIds) {
      const row = this.s.get.get(id) as { state: string; next_due: number | null } | undefined;
      if (row !== undefined) out.set(id, { state: JSON.parse(row.state) as AudienceState, ...(row.next_due === null ? {} : { nextDue: row.next_due }) });
    }
    return out;
  }

  /**
   * The stored audiences of a batch's profiles, from the cache where it holds them. They carry the
   * state only: a batch evaluates every profile it touches and sets its timer afresh.
   */
  cached(profileIds: readonly string[]): Map<string, AudienceRecord> {
    const out = new Map<string, AudienceRecord>();
    const missing: string[] = [];
    for (const id of profileIds) {
      const state = this.cache.audience(id);
      if (state === undefined) missing.push(id);
      else if (state !== null) out.set(id, { state });
    }
    const stored = this.load(missing);
    for (const id of missing) {
      const record = stored.get(id);
      this.cache.readAudience(id, record?.state ?? null);
      if (record) out.set(id, record);
    }
    return out;
  }

  write(o: AudienceOutcome): void {
    for (const id of o.removed) {
      this.s.removeMembers.run({ id });
      this.s.remove.run(id);
      this.cache.wroteAudience(id, null);
    }
    for (const a of o.audiences) {
      this.s.put.run(a.profileId, a.workspaceId, AUDIENCE_ROW_VERSION, JSON.stringify(a.state), a.nextDue ?? null);
      this.cache.wroteAudience(a.profileId, a.state);
    }
    for (const c of o.changes) {
      if (c.kind === 'entered') this.s.enter.run(c.segmentId, c.profileId, c.workspaceId, c.at);
      else this.s.exit.run(c.segmentId, c.profileId);
    }
    this.hubEvents.write(o.hubEvents);
  }

  dueProfiles(now: number, limit: number): string[] {
    return this.s.due.all(now, limit) as string[];
  }

  nextDue(): number | undefined {
    return (this.s.nextDue.get() as number | null) ?? undefined;
  }
}
