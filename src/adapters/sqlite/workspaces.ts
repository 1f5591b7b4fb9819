import type Database from 'better-sqlite3';
import type { KeyKind, Workspaces } from '../../ports/workspaces.js';

export class SqliteWorkspaces implements Workspaces {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      ensure: db.prepare('INSERT OR IGNORE INTO workspaces (id, name, created_at) VALUES (?, ?, ?)'),
      addKey: db.prepare('INSERT OR IGNORE INTO api_keys (hash, workspace_id, kind, created_at) VALUES (?, ?, ?, ?)'),
      hasKeys: db.prepare('SELECT 1 FROM api_keys WHERE kind = ? LIMIT 1').pluck(),
      workspaceOf: db.prepare('SELECT workspace_id FROM api_keys WHERE hash = ? AND kind = ?').pluck(),
    };
  }

  ensureWorkspace(id: string, name: string): Promise<void> {
    this.s.ensure.run(id, name, Date.now());
    return Promise.resolve();
  }

  addKey(hash: string, workspaceId: string, kind: KeyKind): Promise<void> {
    this.s.addKey.run(hash, workspaceId, kind, Date.now());
    return Promise.resolve();
  }

  hasKeys(kind: KeyKind): Promise<boolean> {
    return Promise.resolve(this.s.hasKeys.get(kind) !== undefined);
  }

  workspaceOf(hash: string, kind: KeyKind): Promise<string | undefined> {
    return Promise.resolve(this.s.workspaceOf.get(hash, kind) as string | undefined);
  }
}
