import type Database from 'better-sqlite3';
import type { AudienceState } from '../../core/segments/audience.js';
import type { AudienceOutcome, AudienceRecord } from '../../core/segments/batch.js';

/** Stored audience payloads carry a version, like profiles. */
const AUDIENCE_ROW_VERSION = 1;

/** Rows per multi-row INSERT: a batch enters and exits many segments, and each statement call costs. */
const ROWS_PER_INSERT = 64;

/**
 * One INSERT run for many rows: rows are buffered and sent `ROWS_PER_INSERT` at a time in one
 * multi-row statement, the rest one by one (`flush`). Same rows, same order as one call per row.
 */
class MultiRowInsert {
  private readonly one: Database.Statement;
  private readonly many: Database.Statement;
  private readonly args: unknown[];
  private rows = 0;

  constructor(db: Database.Database, head: string, private readonly width: number) {
    const tuple = `(${Array<string>(width).fill('?').join(', ')})`;
    this.one = db.prepare(`${head} VALUES ${tuple}`);
    this.many = db.prepare(`${head} VALUES ${Array<string>(ROWS_PER_INSERT).fill(tuple).join(', ')}`);
    this.args = new Array<unknown>(width * ROWS_PER_INSERT);
  }

  add(...row: unknown[]): void {
    const at = this.rows * this.width;
    for (let i = 0; i < this.width; i++) this.args[at + i] = row[i];
    if (++this.rows === ROWS_PER_INSERT) {
      this.many.run(this.args);
      this.rows = 0;
    }
  }

  flush(): void {
    try {
      for (let r = 0; r < this.rows; r++) this.one.run(this.args.slice(r * this.width, (r + 1) * this.width));
    } finally {
      this.reset();
    }
  }

  /** Drops buffered rows (after a failed statement, whose transaction rolls back). */
  reset(): void {
    this.rows = 0;
    this.args.fill(undefined);
  }
}

/**
 * Audiences in `state.db`, written inside the processing transaction that changed them: the state,
 * its next due instant (the durable timer, indexed by due time), memberships, and `Segment Entered`
 * / `Segment Exited` on the timeline (as hub events, with negative timeline sequence numbers).
 */
export class SqliteAudiences {
  private readonly s;
  private readonly enters: MultiRowInsert;
  private readonly hubEvents: MultiRowInsert;
  private readonly timeline: MultiRowInsert;

  constructor(db: Database.Database) {
    this.enters = new MultiRowInsert(db, 'INSERT OR REPLACE INTO segment_members (segment_id, profile_id, workspace_id, since)', 4);
    this.hubEvents = new MultiRowInsert(db, 'INSERT INTO hub_events (id, workspace_id, profile_id, ts, body)', 5);
    this.timeline = new MultiRowInsert(db, 'INSERT INTO timeline (profile_id, ts, seq, workspace_id)', 4);
    this.s = {
      get: db.prepare('SELECT state FROM audiences WHERE profile_id = ?').pluck(),
      put: db.prepare(
        `INSERT INTO audiences (profile_id, workspace_id, v, state, next_due) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (profile_id) DO UPDATE SET v = excluded.v, state = excluded.state, next_due = excluded.next_due`,
      ),
      remove: db.prepare('DELETE FROM audiences WHERE profile_id = ?'),
      removeMembers: db.prepare('DELETE FROM segment_members WHERE profile_id = ?'),
      exit: db.prepare('DELETE FROM segment_members WHERE segment_id = ? AND profile_id = ?'),
      lastHubEvent: db.prepare('SELECT coalesce(max(id), 0) FROM hub_events').pluck(),
      due: db.prepare('SELECT profile_id FROM audiences WHERE next_due <= ? ORDER BY next_due LIMIT ?').pluck(),
      nextDue: db.prepare('SELECT min(next_due) FROM audiences WHERE next_due IS NOT NULL').pluck(),
    };
  }

  load(profileIds: Iterable<string>): Map<string, AudienceRecord> {
    const out = new Map<string, AudienceRecord>();
    for (const id of profileIds) {
      const raw = this.s.get.get(id) as string | undefined;
      if (raw !== undefined) out.set(id, { state: JSON.parse(raw) as AudienceState });
    }
    return out;
  }

  write(o: AudienceOutcome): void {
    for (const id of o.removed) {
      this.s.remove.run(id);
      this.s.removeMembers.run(id);
    }
    for (const a of o.audiences) this.s.put.run(a.profileId, a.workspaceId, AUDIENCE_ROW_VERSION, JSON.stringify(a.state), a.nextDue ?? null);
    try {
      this.writeChanges(o);
    } finally {
      for (const m of [this.enters, this.hubEvents, this.timeline]) m.reset();
    }
  }

  private writeChanges(o: AudienceOutcome): void {
    // A profile enters or leaves a segment at most once per outcome, so enters and exits commute.
    for (const c of o.changes) {
      if (c.kind === 'entered') this.enters.add(c.segmentId, c.profileId, c.workspaceId, c.at);
      else this.s.exit.run(c.segmentId, c.profileId);
    }
    this.enters.flush();
    if (o.hubEvents.length === 0) return;
    // The ids SQLite would give one insert at a time (max + 1: this is the one writer, in its transaction).
    let id = this.s.lastHubEvent.get() as number;
    for (const e of o.hubEvents) {
      id++;
      this.hubEvents.add(id, e.workspaceId, e.profileId, e.ts, JSON.stringify(e.body));
      this.timeline.add(e.profileId, e.ts, -id, e.workspaceId);
    }
    this.hubEvents.flush();
    this.timeline.flush();
  }

  dueProfiles(now: number, limit: number): string[] {
    return this.s.due.all(now, limit) as string[];
  }

  nextDue(): number | undefined {
    return (this.s.nextDue.get() as number | null) ?? undefined;
  }
}
