import type Database from 'better-sqlite3';
import { changeCounter } from './changes.js';
import { writeAtOnce, type ApiWrites } from './write-gate.js';
import type { BackfillProgress, DefinitionKind, DefinitionStore, StoredDefinition } from '../../ports/definitions.js';

interface Row {
  id: string;
  workspace_id: string;
  kind: DefinitionKind;
  name: string;
  body: string;
  version: number;
  created_at: number;
  updated_at: number;
  backfill: string | null;
}

const fromRow = (r: Row): StoredDefinition => ({
  id: r.id, workspaceId: r.workspace_id, kind: r.kind, name: r.name, body: JSON.parse(r.body) as unknown, version: r.version,
  createdAt: r.created_at, updatedAt: r.updated_at, ...(r.backfill ? { backfill: JSON.parse(r.backfill) as BackfillProgress } : {}),
});

export class SqliteDefinitions implements DefinitionStore {
  private readonly s;
  /** Writes of definitions, each one transaction with the count of changes. */
  private readonly write;

  constructor(
    db: Database.Database,
    private readonly writes: ApiWrites = writeAtOnce,
  ) {
    const changed = changeCounter(db);
    this.s = {
      workspaces: db.prepare('SELECT DISTINCT workspace_id FROM definitions').pluck(),
      list: db.prepare('SELECT * FROM definitions WHERE workspace_id = ? AND kind = ? ORDER BY created_at, id'),
      backfilling: db.prepare(`SELECT * FROM definitions WHERE json_extract(backfill, '$.status') = 'running' ORDER BY updated_at`),
      get: db.prepare('SELECT * FROM definitions WHERE workspace_id = ? AND id = ?'),
      byName: db.prepare('SELECT * FROM definitions WHERE workspace_id = ? AND kind = ? AND name = ?'),
      put: db.prepare(
        `INSERT INTO definitions (id, workspace_id, kind, name, body, version, created_at, updated_at, backfill)
         VALUES (@id, @workspace_id, @kind, @name, @body, @version, @created_at, @updated_at, @backfill)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, body = excluded.body, version = excluded.version,
           updated_at = excluded.updated_at, backfill = excluded.backfill`,
      ),
      setBackfill: db.prepare('UPDATE definitions SET backfill = ? WHERE id = ?'),
      remove: db.prepare('DELETE FROM definitions WHERE workspace_id = ? AND id = ?'),
      removeMembers: db.prepare('DELETE FROM segment_members WHERE segment_id = ?'),
    };
    this.write = {
      put: db.transaction((row: Record<string, unknown>) => {
        this.s.put.run(row);
        changed();
      }),
      remove: db.transaction((workspaceId: string, id: string): boolean => {
        if (this.s.remove.run(workspaceId, id).changes === 0) return false;
        this.s.removeMembers.run(id);
        changed();
        return true;
      }),
    };
  }

  list(workspaceId: string, kind: DefinitionKind): Promise<readonly StoredDefinition[]> {
    return Promise.resolve((this.s.list.all(workspaceId, kind) as Row[]).map(fromRow));
  }

  workspaces(): Promise<readonly string[]> {
    return Promise.resolve(this.s.workspaces.all() as string[]);
  }

  backfilling(): Promise<readonly StoredDefinition[]> {
    return Promise.resolve((this.s.backfilling.all() as Row[]).map(fromRow));
  }

  get(workspaceId: string, id: string): Promise<StoredDefinition | undefined> {
    const r = this.s.get.get(workspaceId, id) as Row | undefined;
    return Promise.resolve(r && fromRow(r));
  }

  byName(workspaceId: string, kind: DefinitionKind, name: string): Promise<StoredDefinition | undefined> {
    const r = this.s.byName.get(workspaceId, kind, name) as Row | undefined;
    return Promise.resolve(r && fromRow(r));
  }

  put(d: StoredDefinition): Promise<void> {
    const row = {
      id: d.id, workspace_id: d.workspaceId, kind: d.kind, name: d.name, body: JSON.stringify(d.body), version: d.version,
      created_at: d.createdAt, updated_at: d.updatedAt, backfill: d.backfill ? JSON.stringify(d.backfill) : null,
    };
    return this.writes(() => this.write.put(row));
  }

  setBackfill(id: string, progress: BackfillProgress): Promise<void> {
    return this.writes(() => void this.s.setBackfill.run(JSON.stringify(progress), id));
  }

  remove(workspaceId: string, id: string): Promise<boolean> {
    return this.writes(() => this.write.remove(workspaceId, id));
  }
}
