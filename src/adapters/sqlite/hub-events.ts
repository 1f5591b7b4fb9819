import type Database from 'better-sqlite3';
import type { HubTimelineEvent } from '../../core/segments/batch.js';
import { HUB_SEQ } from '../../ports/profile-reader.js';

/** Rows written per multi-row INSERT: fewer statement calls when a step records many events. */
const CHUNK = 32;

/**
 * The hub's own events on profiles' timelines (`Segment Entered`, `Journey Exited`, …): a row each,
 * placed by `HUB_SEQ`. Called inside the writer's transaction: ids follow the largest one stored.
 */
export class SqliteHubEvents {
  private readonly maxId;
  private readonly one;
  private readonly chunk;

  constructor(db: Database.Database) {
    this.maxId = db.prepare('SELECT coalesce(max(id), 0) FROM hub_events').pluck();
    const sql = (n: number) => `INSERT INTO hub_events (id, workspace_id, profile_id, ts, body) VALUES ${Array(n).fill('(?, ?, ?, ?, ?)').join(', ')}`;
    const timeline = (n: number) => `INSERT INTO timeline (profile_id, ts, seq, workspace_id) VALUES ${Array(n).fill('(?, ?, ?, ?)').join(', ')}`;
    this.one = { events: db.prepare(sql(1)), timeline: db.prepare(timeline(1)) };
    this.chunk = { events: db.prepare(sql(CHUNK)), timeline: db.prepare(timeline(CHUNK)) };
  }

  write(events: readonly HubTimelineEvent[]): void {
    if (events.length === 0) return;
    let id = this.maxId.get() as number;
    for (let i = 0; i < events.length; i += CHUNK) {
      const part = events.slice(i, i + CHUNK);
      const stmt = part.length === CHUNK ? this.chunk : undefined;
      const rows: unknown[] = [];
      const lines: unknown[] = [];
      for (const e of part) {
        id++;
        rows.push(id, e.workspaceId, e.profileId, e.ts, JSON.stringify(e.body));
        lines.push(e.profileId, e.ts, HUB_SEQ + id, e.workspaceId);
      }
      if (stmt) {
        stmt.events.run(rows);
        stmt.timeline.run(lines);
      } else {
        for (let j = 0; j < part.length; j++) {
          this.one.events.run(rows.slice(j * 5, j * 5 + 5));
          this.one.timeline.run(lines.slice(j * 4, j * 4 + 4));
        }
      }
    }
  }
}
