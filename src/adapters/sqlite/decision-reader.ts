import type Database from 'better-sqlite3';
import type { DecisionRecord } from '../../core/arbitration/decision.js';
import type { DecisionPage, DecisionReader } from '../../ports/decisions.js';
import { decodeDecision } from './decision-body.js';

interface DecisionRow {
  id: string;
  workspace_id: string;
  profile_id: string;
  at: number;
  source: DecisionRecord['source'];
  policy_version: number;
  body: string;
}

const decisionFromRow = decodeDecision;

/** Cursor of a page of decisions: the last one's instant and id (newest first). */
const cursorOf = (d: DecisionRecord): string => Buffer.from(`${d.at}:${d.id}`).toString('base64url');
function parseCursor(c: string): { at: number; id: string } | undefined {
  const m = /^(\d+):(.+)$/.exec(Buffer.from(c, 'base64url').toString());
  return m ? { at: Number(m[1]), id: m[2] as string } : undefined;
}

/** Decision traces read from the read-only connection. */
export class SqliteDecisionReader implements DecisionReader {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      get: db.prepare('SELECT * FROM decisions WHERE id = ? AND workspace_id = ?'),
      first: db.prepare('SELECT * FROM decisions WHERE profile_id = ? AND workspace_id = ? ORDER BY at DESC, id DESC LIMIT ?'),
      after: db.prepare(
        'SELECT * FROM decisions WHERE profile_id = ? AND workspace_id = ? AND (at < ? OR (at = ? AND id < ?)) ORDER BY at DESC, id DESC LIMIT ?',
      ),
    };
  }

  isCursor(cursor: string): boolean {
    return parseCursor(cursor) !== undefined;
  }

  get(workspaceId: string, id: string): Promise<DecisionRecord | undefined> {
    const r = this.s.get.get(id, workspaceId) as DecisionRow | undefined;
    return Promise.resolve(r && decisionFromRow(r));
  }

  ofProfile(workspaceId: string, profileId: string, opts: { readonly cursor?: string; readonly limit: number }): Promise<DecisionPage> {
    const c = opts.cursor === undefined ? undefined : parseCursor(opts.cursor);
    const rows = (c ? this.s.after.all(profileId, workspaceId, c.at, c.at, c.id, opts.limit + 1) : this.s.first.all(profileId, workspaceId, opts.limit + 1)) as DecisionRow[];
    const decisions = rows.slice(0, opts.limit).map(decisionFromRow);
    const last = decisions.at(-1);
    return Promise.resolve({ decisions, ...(rows.length > opts.limit && last ? { next: cursorOf(last) } : {}) });
  }
}
