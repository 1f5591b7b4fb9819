import type Database from 'better-sqlite3';
import type { OutboxMessage } from '../../core/contributors/outbox.js';
import type { OutboxGroup, OutboxRow, OutboxStore } from '../../ports/outbox.js';
import { writeAtOnce, type ApiWrites } from './write-gate.js';

interface Row {
  key: string;
  body: string;
  status: OutboxRow['status'];
  attempts: number;
  next_at: number | null;
  last_error: string | null;
  done_at: number | null;
}

const fromRow = (r: Row): OutboxRow => ({
  message: JSON.parse(r.body) as OutboxMessage, status: r.status, attempts: r.attempts,
  ...(r.next_at === null ? {} : { nextAt: r.next_at }), ...(r.last_error === null ? {} : { lastError: r.last_error }), ...(r.done_at === null ? {} : { doneAt: r.done_at }),
});

/** Writes outbox rows inside the processing transaction (the decision's). */
export class SqliteOutboxWrites {
  private readonly insert;

  constructor(db: Database.Database) {
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO outbox (key, workspace_id, profile_id, channel, contributor, body, status, attempts, next_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
    );
  }

  write(messages: readonly OutboxMessage[]): void {
    for (const m of messages) this.insert.run(m.key, m.workspaceId, m.profileId, m.channel, m.contributor ?? null, JSON.stringify(m), m.at, m.at);
  }
}

/** At most this many groups are passed over by one read (beyond, their rows are read, and the dispatcher passes them over itself). */
const MAX_PASSED_OVER = 32;

/** The dispatcher's side of the outbox. */
export class SqliteOutbox implements OutboxStore {
  private readonly s;
  private readonly dueLeavingOut = new Map<number, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly writes: ApiWrites = writeAtOnce,
  ) {
    this.s = {
      nextDue: db.prepare("SELECT min(next_at) FROM outbox WHERE status = 'pending'").pluck(),
      delivered: db.prepare("UPDATE outbox SET status = 'delivered', attempts = attempts + 1, next_at = NULL, done_at = ? WHERE key = ? AND status = 'pending'"),
      failed: db.prepare("UPDATE outbox SET status = ?, attempts = ?, next_at = ?, last_error = ?, done_at = ? WHERE key = ? AND status = 'pending'"),
      dead: db.prepare("SELECT * FROM outbox WHERE status = 'dead' AND workspace_id = ? ORDER BY created_at LIMIT ?"),
      retryOne: db.prepare("UPDATE outbox SET status = 'pending', attempts = 0, next_at = ?, done_at = NULL WHERE status = 'dead' AND workspace_id = ? AND key = ?"),
      retryAll: db.prepare("UPDATE outbox SET status = 'pending', attempts = 0, next_at = ?, done_at = NULL WHERE status = 'dead' AND workspace_id = ?"),
      dropOne: db.prepare("DELETE FROM outbox WHERE status = 'dead' AND workspace_id = ? AND key = ?"),
      dropAll: db.prepare("DELETE FROM outbox WHERE status = 'dead' AND workspace_id = ?"),
      get: db.prepare('SELECT * FROM outbox WHERE workspace_id = ? AND key = ?'),
      depth: db.prepare("SELECT contributor AS c, channel, count(*) AS n, min(created_at) AS oldest FROM outbox WHERE status = 'pending' AND workspace_id = ? GROUP BY contributor, channel"),
    };
  }

  due(now: number, limit: number, skip: ReadonlySet<string>, passOver: readonly OutboxGroup[] = []): Promise<readonly OutboxRow[]> {
    const groups = passOver.slice(0, MAX_PASSED_OVER);
    const args = groups.flatMap((g) => [g.workspaceId, g.channel, g.contributor ?? null]);
    const rows = (this.dueStatement(groups.length).all(now, ...args, limit + skip.size) as Row[]).filter((r) => !skip.has(r.key)).slice(0, limit);
    return Promise.resolve(rows.map(fromRow));
  }

  /** Due rows leaving out `n` groups; the index holds the group's columns, so rows passed over are not read from the table. */
  private dueStatement(n: number): Database.Statement {
    let s = this.dueLeavingOut.get(n);
    if (!s) {
      const leaveOut = ' AND NOT (workspace_id = ? AND channel = ? AND contributor IS ?)'.repeat(n);
      s = this.db.prepare(`SELECT * FROM outbox WHERE status = 'pending' AND next_at <= ?${leaveOut} ORDER BY next_at LIMIT ?`);
      this.dueLeavingOut.set(n, s);
    }
    return s;
  }

  nextDue(): Promise<number | undefined> {
    return Promise.resolve((this.s.nextDue.get() as number | null) ?? undefined);
  }

  delivered(key: string, now: number): Promise<void> {
    return this.writes(() => void this.s.delivered.run(now, key));
  }

  failed(key: string, attempts: number, error: string, nextAt: number | undefined, now: number): Promise<void> {
    return this.writes(() => void this.s.failed.run(nextAt === undefined ? 'dead' : 'pending', attempts, nextAt ?? null, error.slice(0, 1000), nextAt === undefined ? now : null, key));
  }

  dead(workspaceId: string, limit: number): Promise<readonly OutboxRow[]> {
    return Promise.resolve((this.s.dead.all(workspaceId, limit) as Row[]).map(fromRow));
  }

  retry(workspaceId: string, key: string | undefined, now: number): Promise<number> {
    return Promise.resolve((key === undefined ? this.s.retryAll.run(now, workspaceId) : this.s.retryOne.run(now, workspaceId, key)).changes);
  }

  drop(workspaceId: string, key: string | undefined): Promise<number> {
    return Promise.resolve((key === undefined ? this.s.dropAll.run(workspaceId) : this.s.dropOne.run(workspaceId, key)).changes);
  }

  get(workspaceId: string, key: string): Promise<OutboxRow | undefined> {
    const r = this.s.get.get(workspaceId, key) as Row | undefined;
    return Promise.resolve(r && fromRow(r));
  }

  depth(workspaceId: string): Promise<readonly { readonly contributor?: string; readonly channel: string; readonly pending: number; readonly oldest: number }[]> {
    const rows = this.s.depth.all(workspaceId) as { c: string | null; channel: string; n: number; oldest: number }[];
    return Promise.resolve(rows.map((r) => ({ ...(r.c === null ? {} : { contributor: r.c }), channel: r.channel, pending: r.n, oldest: r.oldest })));
  }
}
