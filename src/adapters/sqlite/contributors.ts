import type Database from 'better-sqlite3';
import { Contributor } from '../../core/contributors/contributor.js';
import type { ContributorHealth, ContributorStore, StoredContributor } from '../../ports/outbox.js';
import { writeAtOnce, type ApiWrites } from './write-gate.js';

interface Row {
  id: string;
  body: string;
  credentials: string | null;
  created_at: number;
  updated_at: number;
}

const fromRow = (r: Row): StoredContributor => ({
  contributor: Contributor.omit({ credentials: true }).parse(JSON.parse(r.body)), ...(r.credentials === null ? {} : { sealed: r.credentials }),
  createdAt: r.created_at, updatedAt: r.updated_at,
});

/** Contributors in `state.db`; credentials are stored as the engine sealed them (encrypted). */
export class SqliteContributors implements ContributorStore {
  private readonly s;

  constructor(
    db: Database.Database,
    private readonly writes: ApiWrites = writeAtOnce,
  ) {
    this.s = {
      list: db.prepare('SELECT * FROM contributors WHERE workspace_id = ? ORDER BY id'),
      get: db.prepare('SELECT * FROM contributors WHERE workspace_id = ? AND id = ?'),
      put: db.prepare(
        `INSERT INTO contributors (workspace_id, id, body, credentials, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (workspace_id, id) DO UPDATE SET body = excluded.body, credentials = coalesce(excluded.credentials, credentials), updated_at = excluded.updated_at
         RETURNING *`,
      ),
      remove: db.prepare('DELETE FROM contributors WHERE workspace_id = ? AND id = ?'),
      health: db.prepare('SELECT * FROM contributor_health WHERE workspace_id = ?'),
      attempt: db.prepare(
        `INSERT INTO contributor_health (workspace_id, contributor, attempts, failures, last_success_at, last_error, last_error_at) VALUES (?, ?, 1, ?, ?, ?, ?)
         ON CONFLICT (workspace_id, contributor) DO UPDATE SET attempts = attempts + 1, failures = failures + excluded.failures,
           last_success_at = coalesce(excluded.last_success_at, last_success_at), last_error = coalesce(excluded.last_error, last_error),
           last_error_at = coalesce(excluded.last_error_at, last_error_at)`,
      ),
    };
  }

  list(workspaceId: string): Promise<readonly StoredContributor[]> {
    return Promise.resolve((this.s.list.all(workspaceId) as Row[]).map(fromRow));
  }

  get(workspaceId: string, id: string): Promise<StoredContributor | undefined> {
    const r = this.s.get.get(workspaceId, id) as Row | undefined;
    return Promise.resolve(r && fromRow(r));
  }

  put(workspaceId: string, c: Omit<Contributor, 'credentials'>, sealed: string | undefined, now: number): Promise<StoredContributor> {
    return Promise.resolve(fromRow(this.s.put.get(workspaceId, c.id, JSON.stringify(c), sealed ?? null, now, now) as Row));
  }

  remove(workspaceId: string, id: string): Promise<boolean> {
    return Promise.resolve(this.s.remove.run(workspaceId, id).changes > 0);
  }

  health(workspaceId: string): Promise<ReadonlyMap<string, ContributorHealth>> {
    const rows = this.s.health.all(workspaceId) as { contributor: string; attempts: number; failures: number; last_success_at: number | null; last_error: string | null; last_error_at: number | null }[];
    return Promise.resolve(new Map(rows.map((r) => [r.contributor, {
      attempts: r.attempts, failures: r.failures, ...(r.last_success_at === null ? {} : { lastSuccessAt: r.last_success_at }),
      ...(r.last_error === null ? {} : { lastError: r.last_error }), ...(r.last_error_at === null ? {} : { lastErrorAt: r.last_error_at }),
    }])));
  }

  recordAttempt(workspaceId: string, contributor: string, error: string | undefined, now: number): Promise<void> {
    return this.writes(() => void this.s.attempt.run(workspaceId, contributor, error === undefined ? 0 : 1, error === undefined ? now : null, error?.slice(0, 500) ?? null, error === undefined ? null : now));
  }
}
