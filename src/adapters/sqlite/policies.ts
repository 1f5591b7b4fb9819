import type Database from 'better-sqlite3';
import { ContactPolicy } from '../../core/arbitration/policy.js';
import { changeCounter } from './changes.js';
import { writeAtOnce, type ApiWrites } from './write-gate.js';
import type { PolicyStore, StoredPolicy } from '../../ports/decisions.js';

interface PolicyRow {
  workspace_id: string;
  version: number;
  body: string;
  created_at: number;
}

const fromRow = (r: PolicyRow): StoredPolicy => ({ workspaceId: r.workspace_id, version: r.version, policy: ContactPolicy.parse(JSON.parse(r.body)), createdAt: r.created_at });

/** Contact policies in `state.db`: one row per version; never rewritten. */
export class SqlitePolicies implements PolicyStore {
  private readonly s;
  private readonly deployTx;

  constructor(
    db: Database.Database,
    private readonly writes: ApiWrites = writeAtOnce,
  ) {
    this.s = {
      current: db.prepare('SELECT * FROM policies WHERE workspace_id = ? ORDER BY version DESC LIMIT 1'),
      allCurrent: db.prepare('SELECT p.* FROM policies p JOIN (SELECT workspace_id, max(version) AS v FROM policies GROUP BY workspace_id) m ON p.workspace_id = m.workspace_id AND p.version = m.v'),
      versions: db.prepare('SELECT * FROM policies WHERE workspace_id = ? ORDER BY version DESC'),
      version: db.prepare('SELECT * FROM policies WHERE workspace_id = ? AND version = ?'),
      insert: db.prepare('INSERT INTO policies (workspace_id, version, body, created_at) SELECT ?, coalesce(max(version), 0) + 1, ?, ? FROM policies WHERE workspace_id = ? RETURNING *'),
    };
    const changed = changeCounter(db);
    this.deployTx = db.transaction((ws: string, body: string, now: number) => {
      const row = this.s.insert.get(ws, body, now, ws) as PolicyRow;
      changed();
      return row;
    });
  }

  current(workspaceId: string): Promise<StoredPolicy | undefined> {
    const r = this.s.current.get(workspaceId) as PolicyRow | undefined;
    return Promise.resolve(r && fromRow(r));
  }

  allCurrent(): Promise<readonly StoredPolicy[]> {
    return Promise.resolve((this.s.allCurrent.all() as PolicyRow[]).map(fromRow));
  }

  versions(workspaceId: string): Promise<readonly StoredPolicy[]> {
    return Promise.resolve((this.s.versions.all(workspaceId) as PolicyRow[]).map(fromRow));
  }

  version(workspaceId: string, version: number): Promise<StoredPolicy | undefined> {
    const r = this.s.version.get(workspaceId, version) as PolicyRow | undefined;
    return Promise.resolve(r && fromRow(r));
  }

  deploy(workspaceId: string, policy: ContactPolicy, now: number): Promise<StoredPolicy> {
    return this.writes(() => fromRow(this.deployTx.immediate(workspaceId, JSON.stringify(policy), now)));
  }
}
