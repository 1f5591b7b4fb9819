import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { changeCounter } from './changes.js';
import type { ContextStore, StoredContextValue } from '../../ports/context.js';

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

export class SqliteContext implements ContextStore {
  private readonly s;
  /** Writes of context values, each one transaction with the count of changes. */
  private readonly write;
  /** Per keying trait: the statement that touches the profiles with a given value of it. */
  private readonly touch = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    const changed = changeCounter(db);
    this.s = {
      put: db.prepare(
        `INSERT INTO context_values (workspace_id, dimension, key, value, valid_until, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (workspace_id, dimension, key) DO UPDATE SET value = excluded.value, valid_until = excluded.valid_until, updated_at = excluded.updated_at`,
      ),
      get: db.prepare('SELECT * FROM context_values WHERE workspace_id = ? AND dimension = ? AND key = ?'),
      list: db.prepare('SELECT * FROM context_values WHERE workspace_id = ? AND dimension = ? ORDER BY key'),
      all: db.prepare('SELECT * FROM context_values WHERE workspace_id = ?'),
      remove: db.prepare('DELETE FROM context_values WHERE workspace_id = ? AND dimension = ? AND key = ?'),
    };
    this.write = {
      put: db.transaction((ws: string, v: StoredContextValue) => {
        this.s.put.run(ws, v.dimension, v.key, JSON.stringify(v.value), v.validUntil ?? null, v.updatedAt);
        changed();
      }),
      remove: db.transaction((ws: string, dimension: string, key: string): boolean => {
        if (this.s.remove.run(ws, dimension, key).changes === 0) return false;
        changed();
        return true;
      }),
    };
  }

  put(ws: string, v: StoredContextValue): Promise<void> {
    this.write.put(ws, v);
    return Promise.resolve();
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
    return Promise.resolve(this.write.remove(ws, dimension, key));
  }

  touchProfiles(ws: string, trait: string, value: string, at: number): Promise<number> {
    return Promise.resolve(this.touchBy(trait).run({ at, ws, value }).changes);
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
