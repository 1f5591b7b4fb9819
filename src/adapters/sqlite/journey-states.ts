import type Database from 'better-sqlite3';
import { statKey, type JourneyOutcome, type StoredJourneyState } from '../../core/journeys/batch.js';
import type { JourneyState } from '../../core/journeys/machine.js';
import { SqliteHubEvents } from './hub-events.js';

/** Stored journey state payloads carry a version, like profiles. */
const JOURNEY_STATE_VERSION = 1;

/**
 * Profiles' journey states in `state.db`, written inside the processing transaction that changed them:
 * the state, its next due instant (the durable timer, indexed by due time), the journey records on the
 * timeline and the stats counters they add to.
 */
export class SqliteJourneyStates {
  private readonly s;
  private readonly hubEvents: SqliteHubEvents;

  constructor(db: Database.Database) {
    this.hubEvents = new SqliteHubEvents(db);
    this.s = {
      ofProfile: db.prepare('SELECT journey_id, state, next_due FROM journey_states WHERE profile_id = ?'),
      put: db.prepare(
        `INSERT INTO journey_states (profile_id, journey_id, workspace_id, v, version, step, status, state, next_due)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (profile_id, journey_id) DO UPDATE SET v = excluded.v, version = excluded.version, step = excluded.step,
           status = excluded.status, state = excluded.state, next_due = excluded.next_due`,
      ),
      count: db.prepare(
        `INSERT INTO journey_stats (workspace_id, journey_id, version, key, count) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (workspace_id, journey_id, version, key) DO UPDATE SET count = count + excluded.count`,
      ),
      due: db.prepare('SELECT DISTINCT profile_id FROM (SELECT profile_id FROM journey_states WHERE next_due <= ? ORDER BY next_due LIMIT ?)').pluck(),
      nextDue: db.prepare('SELECT min(next_due) FROM journey_states WHERE next_due IS NOT NULL').pluck(),
      // A merged-away profile's states move to the survivor unless it has its own in that journey.
      move: db.prepare('UPDATE OR IGNORE journey_states SET profile_id = ? WHERE profile_id = ?'),
      drop: db.prepare('DELETE FROM journey_states WHERE profile_id = ?'),
    };
  }

  load(profileIds: Iterable<string>): Map<string, Map<string, StoredJourneyState>> {
    const out = new Map<string, Map<string, StoredJourneyState>>();
    for (const id of profileIds) {
      const rows = this.s.ofProfile.all(id) as { journey_id: string; state: string; next_due: number | null }[];
      if (rows.length === 0) continue;
      out.set(id, new Map(rows.map((r) => [r.journey_id, { state: JSON.parse(r.state) as JourneyState, ...(r.next_due === null ? {} : { due: r.next_due }) }])));
    }
    return out;
  }

  write(o: JourneyOutcome): void {
    for (const w of o.states) {
      const s = w.state;
      this.s.put.run(w.profileId, w.journeyId, w.workspaceId, JOURNEY_STATE_VERSION, s.version, s.step, s.status, JSON.stringify(s), w.due ?? null);
    }
    this.hubEvents.write(o.hubEvents);
    const counts = new Map<string, { ws: string; journey: string; version: number; key: string; n: number }>();
    for (const e of o.hubEvents) {
      const key = statKey(e);
      if (key === undefined) continue;
      const journey = String(e.body.properties.journeyId);
      const version = Number(e.body.properties.version);
      const id = `${e.workspaceId}\u0000${journey}\u0000${version}\u0000${key}`;
      const c = counts.get(id);
      if (c) c.n++;
      else counts.set(id, { ws: e.workspaceId, journey, version, key, n: 1 });
    }
    for (const c of counts.values()) this.s.count.run(c.ws, c.journey, c.version, c.key, c.n);
  }

  merged(winnerId: string, loserId: string): void {
    this.s.move.run(winnerId, loserId);
    this.s.drop.run(loserId);
  }

  dueProfiles(now: number, limit: number): string[] {
    return this.s.due.all(now, limit) as string[];
  }

  nextDue(): number | undefined {
    return (this.s.nextDue.get() as number | null) ?? undefined;
  }
}
