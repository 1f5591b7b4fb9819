import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ContextChange, ContextStore, StoredContextValue } from '../../ports/context.js';
import { writeAtOnce, type ApiWrites } from './write-gate.js';

interface Row {
  dimension: string;
  key: string;
  value: string;
  valid_until: number | null;
  updated_at: number;
}

const fromRow = (r: Row): StoredContextValue => ({
  dimension: r.dimension, key: r.key, value: JSON.parse(r.value) as Record<string, unknown>, updatedAt: r.updated_at,
  ...(r.valid_until === null ? {} : { validUntil: r.valid_until }),
});

/** A trait path as a JSON path with each part quoted (`address.city` → `$."address"."city"`). */
const jsonPath = (trait: string): string => `$.${trait.split('.').map((p) => `"${p.replace(/"/g, '""')}"`).join('.')}`;

/** Withdrawals are remembered for this many changes of context values; a copy further behind loads every value again. */
export const WITHDRAWALS_KEPT = 100_000;

export class SqliteContext implements ContextStore {
  private readonly s;
  /** Writes of context values, each one transaction with the count of changes. */
  private readonly write;
  /** Per keying trait: the statement that touches the profiles with a given value of it. */
  private readonly touch = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly writes: ApiWrites = writeAtOnce,
    private readonly kept = WITHDRAWALS_KEPT,
  ) {
    const count = db.prepare("UPDATE cursors SET seq = seq + 1 WHERE name = 'context' RETURNING seq").pluck();
    this.s = {
      put: db.prepare(
        `INSERT INTO context_values (workspace_id, dimension, key, value, valid_until, updated_at, changed) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (workspace_id, dimension, key) DO UPDATE SET value = excluded.value, valid_until = excluded.valid_until, updated_at = excluded.updated_at, changed = excluded.changed`,
      ),
      get: db.prepare('SELECT * FROM context_values WHERE workspace_id = ? AND dimension = ? AND key = ?'),
      list: db.prepare('SELECT * FROM context_values WHERE workspace_id = ? AND dimension = ? ORDER BY key'),
      all: db.prepare('SELECT * FROM context_values WHERE workspace_id = ?'),
      remove: db.prepare('DELETE FROM context_values WHERE workspace_id = ? AND dimension = ? AND key = ?'),
      withdrawn: db.prepare('INSERT INTO context_withdrawn (changed, workspace_id, dimension, key) VALUES (?, ?, ?, ?)'),
      forget: db.prepare('DELETE FROM context_withdrawn WHERE changed <= ?'),
      changes: db.prepare("SELECT seq FROM cursors WHERE name = 'context'").pluck(),
      changedSince: db.prepare(
        `SELECT changed, workspace_id, dimension, key, value, valid_until, updated_at FROM context_values WHERE changed > @since
         UNION ALL SELECT changed, workspace_id, dimension, key, NULL, NULL, NULL FROM context_withdrawn WHERE changed > @since
         ORDER BY changed`,
      ),
    };
    this.write = {
      put: db.transaction((ws: string, v: StoredContextValue) => {
        this.s.put.run(ws, v.dimension, v.key, JSON.stringify(v.value), v.validUntil ?? null, v.updatedAt, count.get());
      }),
      remove: db.transaction((ws: string, dimension: string, key: string): boolean => {
        if (this.s.remove.run(ws, dimension, key).changes === 0) return false;
        const changed = count.get() as number;
        this.s.withdrawn.run(changed, ws, dimension, key);
        this.s.forget.run(changed - this.kept);
        return true;
      }),
    };
  }

  put(ws: string, v: StoredContextValue): Promise<void> {
    return this.writes(() => this.write.put(ws, v));
  }

  get(ws: string, dimension: string, key: string): Promise<StoredContextValue | undefined> {
    const r = this.s.get.get(ws, dimension, key) as Row | undefined;
    return Promise.resolve(r && fromRow(r));
  }

  list(ws: string, dimension: string): Promise<readonly StoredContextValue[]> {
    return Promise.resolve((this.s.list.all(ws, dimension) as Row[]).map(fromRow));
  }

  all(ws: string): Promise<readonly StoredContextValue[]> {
    return Promise.resolve((this.s.all.all(ws) as Row[]).map(fromRow));
  }

  remove(ws: string, dimension: string, key: string): Promise<boolean> {
    return this.writes(() => this.write.remove(ws, dimension, key));
  }

  changes(): Promise<number> {
    return Promise.resolve(this.s.changes.get() as number);
  }

  changedSince(since: number): Promise<{ readonly changes: number; readonly changed: readonly ContextChange[] } | undefined> {
    // In one read transaction, so that the count and what changed agree.
    return Promise.resolve(
      this.db.transaction(() => {
        const changes = this.s.changes.get() as number;
        // Withdrawals this far back may be forgotten (see `remove`).
        if (since < changes - this.kept) return undefined;
        const rows = this.s.changedSince.all({ since }) as (Omit<Row, 'value' | 'updated_at'> & { changed: number; workspace_id: string; value: string | null; updated_at: number | null })[];
        const changed = rows.map((r): ContextChange => ({
          workspaceId: r.workspace_id, dimension: r.dimension, key: r.key,
          ...(r.value === null ? {} : { value: fromRow({ ...r, value: r.value, updated_at: r.updated_at ?? 0 }) }),
        }));
        return { changes, changed };
      })(),
    );
  }

  touchProfiles(ws: string, trait: string, value: string, at: number): Promise<number> {
    return this.writes(() => this.touchBy(trait).run({ at, ws, value }).changes);
  }

  /**
   * Sets to now the audience timers of the live profiles whose `trait` has a value, through an index
   * of that trait's values made the first time (one scan of the profiles), so that each later value
   * published reads only the profiles it concerns.
   */
  private touchBy(trait: string): Database.Statement {
    let s = this.touch.get(trait);
    if (!s) {
      const value = `CAST(json_extract(traits, '${jsonPath(trait).replace(/'/g, "''")}') AS TEXT)`;
      const index = `profiles_trait_${createHash('sha256').update(trait).digest('hex').slice(0, 16)}`;
      this.db.exec(`CREATE INDEX IF NOT EXISTS ${index} ON profiles (workspace_id, ${value}) WHERE merged_into IS NULL`);
      s = this.db.prepare(
        `UPDATE audiences SET next_due = min(coalesce(next_due, @at), @at)
         WHERE profile_id IN (SELECT id FROM profiles WHERE workspace_id = @ws AND merged_into IS NULL AND ${value} = @value)`,
      );
      this.touch.set(trait, s);
    }
    return s;
  }
}
