import type Database from 'better-sqlite3';
import { statKey, type JourneyOutcome, type StoredJourneyState } from '../../core/journeys/batch.js';
import type { JourneyState } from '../../core/journeys/state.js';
import { SqliteHubEvents } from './hub-events.js';

/** Adds to a stats counter (the one statement for every counter of journey_stats). */
export const COUNT_SQL = `INSERT INTO journey_stats (workspace_id, journey_id, version, key, count) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (workspace_id, journey_id, version, key) DO UPDATE SET count = count + excluded.count`;

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
      placed: db.prepare('SELECT version, step, status FROM journey_states WHERE profile_id = ? AND journey_id = ?'),
      activeOf: db.prepare("SELECT workspace_id, journey_id, version, step FROM journey_states WHERE profile_id = ? AND status = 'active'"),
      put: db.prepare(
        `INSERT INTO journey_states (profile_id, journey_id, workspace_id, v, version, step, status, state, next_due)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (profile_id, journey_id) DO UPDATE SET v = excluded.v, version = excluded.version, step = excluded.step,
           status = excluded.status, state = excluded.state, next_due = excluded.next_due`,
      ),
      count: db.prepare(COUNT_SQL),
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

  /**
   * Writes states, records and the stats they add to: the records' counters, and who is at which
   * step (`active:STEP`, moved from the state's stored place to its new one).
   */
  write(o: JourneyOutcome): void {
    const counts = new Counts();
    for (const w of o.states) {
      const s = w.state;
      const before = this.s.placed.get(w.profileId, w.journeyId) as { version: number; step: string; status: string } | undefined;
      if (before?.status === 'active') counts.add(w.workspaceId, w.journeyId, before.version, `active:${before.step}`, -1);
      if (s.status === 'active') counts.add(w.workspaceId, w.journeyId, s.version, `active:${s.step}`, 1);
      this.s.put.run(w.profileId, w.journeyId, w.workspaceId, JOURNEY_STATE_VERSION, s.version, s.step, s.status, JSON.stringify(s), w.due ?? null);
    }
    this.hubEvents.write(o.hubEvents);
    for (const e of o.hubEvents) {
      const key = statKey(e);
      if (key !== undefined) counts.add(e.workspaceId, String(e.body.properties.journeyId), Number(e.body.properties.version), key, 1);
    }
    this.count(counts);
  }

  /** A merged-away profile's states move to the survivor, except where it has its own: those go. */
  merged(winnerId: string, loserId: string): void {
    this.s.move.run(winnerId, loserId);
    this.forget(loserId);
  }

  /** Drops a profile's states (and takes the active ones out of the counts). */
  forget(profileId: string): void {
    const counts = new Counts();
    for (const r of this.s.activeOf.all(profileId) as { workspace_id: string; journey_id: string; version: number; step: string }[]) {
      counts.add(r.workspace_id, r.journey_id, r.version, `active:${r.step}`, -1);
    }
    this.count(counts);
    this.s.drop.run(profileId);
  }

  private count(counts: Counts): void {
    for (const c of counts.values()) if (c.n !== 0) this.s.count.run(c.ws, c.journey, c.version, c.key, c.n);
  }

  dueProfiles(now: number, limit: number): string[] {
    return this.s.due.all(now, limit) as string[];
  }

  nextDue(): number | undefined {
    return (this.s.nextDue.get() as number | null) ?? undefined;
  }
}

/** Counter deltas of one unit of work, summed per (workspace, journey, version, key): one upsert each. */
class Counts {
  private readonly m = new Map<string, { ws: string; journey: string; version: number; key: string; n: number }>();

  add(ws: string, journey: string, version: number, key: string, n: number): void {
    const id = `${ws}\u0000${journey}\u0000${version}\u0000${key}`;
    const c = this.m.get(id);
    if (c) c.n += n;
    else this.m.set(id, { ws, journey, version, key, n });
  }

  values(): IterableIterator<{ ws: string; journey: string; version: number; key: string; n: number }> {
    return this.m.values();
  }
}
