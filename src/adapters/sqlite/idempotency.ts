import type Database from 'better-sqlite3';
import type { IdempotencyStore, IdempotentAnswer } from '../../ports/idempotency.js';
import { writeAtOnce, type ApiWrites } from './write-gate.js';

interface Row {
  fingerprint: string;
  status: number;
  content_type: string;
  body: string;
  created_at: number;
}

/** Answers to admin POSTs by `(workspace, Idempotency-Key)` in `state.db`. */
export class SqliteIdempotency implements IdempotencyStore {
  private readonly s;

  constructor(
    db: Database.Database,
    private readonly writes: ApiWrites = writeAtOnce,
  ) {
    this.s = {
      get: db.prepare('SELECT fingerprint, status, content_type, body, created_at FROM idempotency_keys WHERE workspace_id = ? AND key = ?'),
      put: db.prepare(
        `INSERT OR IGNORE INTO idempotency_keys (workspace_id, key, fingerprint, status, content_type, body, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      forget: db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?'),
    };
  }

  get(workspaceId: string, key: string): Promise<IdempotentAnswer | undefined> {
    const r = this.s.get.get(workspaceId, key) as Row | undefined;
    return Promise.resolve(r && { fingerprint: r.fingerprint, status: r.status, contentType: r.content_type, body: r.body, createdAt: r.created_at });
  }

  put(workspaceId: string, key: string, a: IdempotentAnswer, forgetBefore: number): Promise<void> {
    return this.writes(() => {
      this.s.forget.run(forgetBefore);
      this.s.put.run(workspaceId, key, a.fingerprint, a.status, a.contentType, a.body, a.createdAt);
    });
  }
}
