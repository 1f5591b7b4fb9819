import type Database from 'better-sqlite3';
import type { HubEvent, LoggedEvent } from '../../core/events/event.js';
import type { AppendOutcome, EventLog, EventSelection, NewEvent } from '../../ports/event-log.js';

type Row = { seq: number; workspace_id: string; body: string };

/** Events this connection appended, kept for the worker's read-back: at most this many. */
const RECENT_MAX = 20_000;

/** The event log in its own SQLite file, so appends never wait on the processing transaction. */
export class SqliteEventLog implements EventLog {
  private readonly insert;
  private readonly after;
  private readonly bySeq;
  private readonly selected;
  private readonly maxSeq;
  private readonly appendAll;
  /**
   * The events this connection last appended, contiguous in seq (another process's appends in between
   * start it afresh): the worker reads them from here rather than parsing their JSON back. They are the
   * validated events themselves, which JSON.stringify/parse leaves equal (no undefined fields).
   */
  private recent: LoggedEvent[] = [];
  private appended: LoggedEvent[] = [];

  /** `readBack`: keep `recent` (processing reads this connection's appends); off when processing runs on another thread. */
  constructor(
    private readonly db: Database.Database,
    private readonly readBack = true,
  ) {
    this.insert = db.prepare(
      'INSERT INTO events (workspace_id, message_id, received_at, body) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.after = db.prepare('SELECT seq, workspace_id, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?');
    this.bySeq = db.prepare('SELECT seq, workspace_id, body FROM events WHERE seq IN (SELECT value FROM json_each(?))');
    // SQLite reads the names out of the bodies, so those of other events are never parsed here.
    this.selected = db.prepare(
      `SELECT seq, workspace_id, body FROM events WHERE seq IN (SELECT value FROM json_each(@seqs)) AND (body ->> '$.type' IN (SELECT value FROM json_each(@types))
         OR (body ->> '$.type' = 'track' AND body ->> '$.event' IN (SELECT value FROM json_each(@events))))`,
    );
    this.maxSeq = db.prepare('SELECT coalesce(max(seq), 0) AS head FROM events').pluck();
    this.appendAll = db.transaction((events: readonly NewEvent[]): AppendOutcome => {
      let appended = 0;
      let last = 0;
      for (const { workspaceId, event } of events) {
        const r = this.insert.run(workspaceId, event.messageId, Date.parse(event.receivedAt), JSON.stringify(event));
        if (r.changes > 0) {
          appended++;
          last = Number(r.lastInsertRowid);
          if (this.readBack) this.appended.push({ seq: last, workspaceId, event });
        }
      }
      // Inside the write transaction the row just inserted has the highest seq; after duplicates only, ask.
      return { appended, duplicates: events.length - appended, head: appended > 0 ? last : (this.maxSeq.get() as number) };
    });
  }

  append(events: readonly NewEvent[]): Promise<AppendOutcome> {
    try {
      const outcome = this.appendAll.immediate(events);
      this.remember(this.appended);
      return Promise.resolve(outcome);
    } finally {
      this.appended = [];
    }
  }

  /** Keeps committed appends that continue `recent` (or starts it again with them). */
  private remember(appended: readonly LoggedEvent[]): void {
    const first = appended[0];
    if (first === undefined) return;
    // Only a contiguous run can be read back by position (one transaction's appends always are).
    if (appended.some((e, i) => e.seq !== first.seq + i)) return void (this.recent = []);
    const last = this.recent.at(-1);
    if (last === undefined || first.seq !== last.seq + 1) this.recent = [];
    for (const e of appended) this.recent.push(e);
    if (this.recent.length > RECENT_MAX) this.recent = this.recent.slice(this.recent.length - RECENT_MAX);
  }

  readAfter(after: number, limit: number): Promise<readonly LoggedEvent[]> {
    const from = after + 1 - (this.recent[0]?.seq ?? Infinity);
    if (from >= 0 && from < this.recent.length) {
      // What was read is processed next; the worker never reads further back.
      this.recent = this.recent.slice(from);
      return Promise.resolve(this.recent.slice(0, limit));
    }
    return Promise.resolve((this.after.all(after, limit) as Row[]).map(toLogged));
  }

  /** The events at `seqs`, in that order (those not in the log left out), read in one statement. */
  get(seqs: readonly number[]): Promise<readonly LoggedEvent[]> {
    return Promise.resolve(inOrder(seqs, this.bySeq.iterate(JSON.stringify(seqs)) as Iterable<Row>));
  }

  getSelected(seqs: readonly number[], selection: EventSelection): Promise<readonly LoggedEvent[]> {
    const rows = this.selected.iterate({ seqs: JSON.stringify(seqs), types: JSON.stringify(selection.types), events: JSON.stringify(selection.events) });
    return Promise.resolve(inOrder(seqs, rows as Iterable<Row>));
  }

  head(): Promise<number> {
    return Promise.resolve(this.maxSeq.get() as number);
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}

/** The rows' events in the order of `seqs`. */
function inOrder(seqs: readonly number[], found: Iterable<Row>): LoggedEvent[] {
  const rows = new Map<number, Row>();
  for (const r of found) rows.set(r.seq, r);
  const out: LoggedEvent[] = [];
  for (const seq of seqs) {
    const row = rows.get(seq);
    if (row) out.push(toLogged(row));
  }
  return out;
}

const toLogged = (row: Row): LoggedEvent => ({ seq: row.seq, workspaceId: row.workspace_id, event: JSON.parse(row.body) as HubEvent });
