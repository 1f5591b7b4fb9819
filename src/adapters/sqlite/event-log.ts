import type Database from 'better-sqlite3';
import type { HubEvent, LoggedEvent } from '../../core/events/event.js';
import type { AppendOutcome, EventLog, NewEvent } from '../../ports/event-log.js';

type Row = { seq: number; workspace_id: string; body: string };

/** The event log in its own SQLite file, so appends never wait on the processing transaction. */
export class SqliteEventLog implements EventLog {
  private readonly insert;
  private readonly after;
  private readonly bySeq;
  private readonly maxSeq;
  private readonly appendAll;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(
      'INSERT INTO events (workspace_id, message_id, received_at, body) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.after = db.prepare('SELECT seq, workspace_id, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?');
    this.bySeq = db.prepare('SELECT seq, workspace_id, body FROM events WHERE seq = ?');
    this.maxSeq = db.prepare('SELECT coalesce(max(seq), 0) AS head FROM events').pluck();
    this.appendAll = db.transaction((events: readonly NewEvent[]): AppendOutcome => {
      let appended = 0;
      let last = 0;
      for (const { workspaceId, event } of events) {
        const r = this.insert.run(workspaceId, event.messageId, Date.parse(event.receivedAt), JSON.stringify(event));
        if (r.changes > 0) {
          appended++;
          last = Number(r.lastInsertRowid);
        }
      }
      // Inside the write transaction the row just inserted has the highest seq; after duplicates only, ask.
      return { appended, duplicates: events.length - appended, head: appended > 0 ? last : (this.maxSeq.get() as number) };
    });
  }

  append(events: readonly NewEvent[]): Promise<AppendOutcome> {
    return Promise.resolve(this.appendAll.immediate(events));
  }

  readAfter(after: number, limit: number): Promise<readonly LoggedEvent[]> {
    return Promise.resolve((this.after.all(after, limit) as Row[]).map(toLogged));
  }

  get(seqs: readonly number[]): Promise<readonly LoggedEvent[]> {
    const out: LoggedEvent[] = [];
    for (const seq of seqs) {
      const row = this.bySeq.get(seq) as Row | undefined;
      if (row) out.push(toLogged(row));
    }
    return Promise.resolve(out);
  }

  head(): Promise<number> {
    return Promise.resolve(this.maxSeq.get() as number);
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}

const toLogged = (row: Row): LoggedEvent => ({ seq: row.seq, workspaceId: row.workspace_id, event: JSON.parse(row.body) as HubEvent });
