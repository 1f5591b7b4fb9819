import type Database from 'better-sqlite3';
import { DEFAULT_WORKSPACE_SETTINGS, type WorkspaceSettings } from '../../core/workspaces/settings.js';
import type { KeyKind, Workspaces } from '../../ports/workspaces.js';
import { writeAtOnce, type ApiWrites } from './write-gate.js';

/** Stored settings carry a version; fields never set take their defaults. */
interface StoredSettings extends Partial<WorkspaceSettings> {
  readonly v?: 1;
}

function readSettings(json: string): WorkspaceSettings {
  const { allowedOrigins = DEFAULT_WORKSPACE_SETTINGS.allowedOrigins } = JSON.parse(json) as StoredSettings;
  return { allowedOrigins };
}

export class SqliteWorkspaces implements Workspaces {
  private readonly s;

  constructor(
    db: Database.Database,
    private readonly writes: ApiWrites = writeAtOnce,
  ) {
    this.s = {
      ids: db.prepare('SELECT id FROM workspaces ORDER BY id').pluck(),
      ensure: db.prepare('INSERT OR IGNORE INTO workspaces (id, name, created_at) VALUES (?, ?, ?)'),
      addKey: db.prepare('INSERT OR IGNORE INTO api_keys (hash, workspace_id, kind, created_at) VALUES (?, ?, ?, ?)'),
      hasKeys: db.prepare('SELECT 1 FROM api_keys WHERE kind = ? LIMIT 1').pluck(),
      workspaceOf: db.prepare('SELECT workspace_id FROM api_keys WHERE hash = ? AND kind = ?').pluck(),
      settingsOf: db.prepare('SELECT settings FROM workspaces WHERE id = ?').pluck(),
      updateSettings: db.prepare('UPDATE workspaces SET settings = ? WHERE id = ?'),
      allSettings: db.prepare('SELECT settings FROM workspaces').pluck(),
    };
  }

  ids(): Promise<readonly string[]> {
    return Promise.resolve(this.s.ids.all() as string[]);
  }

  ensureWorkspace(id: string, name: string): Promise<void> {
    return this.writes(() => void this.s.ensure.run(id, name, Date.now()));
  }

  addKey(hash: string, workspaceId: string, kind: KeyKind): Promise<void> {
    return this.writes(() => void this.s.addKey.run(hash, workspaceId, kind, Date.now()));
  }

  hasKeys(kind: KeyKind): Promise<boolean> {
    return Promise.resolve(this.s.hasKeys.get(kind) !== undefined);
  }

  workspaceOf(hash: string, kind: KeyKind): Promise<string | undefined> {
    return Promise.resolve(this.s.workspaceOf.get(hash, kind) as string | undefined);
  }

  settingsOf(workspaceId: string): Promise<WorkspaceSettings | undefined> {
    const json = this.s.settingsOf.get(workspaceId) as string | undefined;
    return Promise.resolve(json === undefined ? undefined : readSettings(json));
  }

  updateSettings(workspaceId: string, settings: WorkspaceSettings): Promise<boolean> {
    const stored: StoredSettings = { v: 1, ...settings };
    return this.writes(() => this.s.updateSettings.run(JSON.stringify(stored), workspaceId).changes > 0);
  }

  allowedOriginsOfAll(): Promise<readonly (readonly string[])[]> {
    return Promise.resolve((this.s.allSettings.all() as string[]).map((json) => readSettings(json).allowedOrigins));
  }
}
