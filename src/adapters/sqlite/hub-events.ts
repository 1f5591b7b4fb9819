import type Database from 'better-sqlite3';
import type { HubTimelineEvent } from '../../core/segments/batch.js';
import { HUB_SEQ } from '../../ports/profile-reader.js';

/** The hub's own events on profiles' timelines (`Segment Entered`, `Journey Exited`, …): a row each, placed by `HUB_SEQ`. */
export class SqliteHubEvents {
  private readonly insert;
  private readonly timeline;

  constructor(db: Database.Database) {
    this.insert = db.prepare('INSERT INTO hub_events (workspace_id, profile_id, ts, body) VALUES (?, ?, ?, ?)');
    this.timeline = db.prepare('INSERT INTO timeline (profile_id, ts, seq, workspace_id) VALUES (?, ?, ?, ?)');
  }

  write(events: readonly HubTimelineEvent[]): void {
    for (const e of events) {
      const id = Number(this.insert.run(e.workspaceId, e.profileId, e.ts, JSON.stringify(e.body)).lastInsertRowid);
      this.timeline.run(e.profileId, e.ts, HUB_SEQ + id, e.workspaceId);
    }
  }
}
