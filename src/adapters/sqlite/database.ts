import Database from 'better-sqlite3';

export type Durability = 'normal' | 'full';

/**
 * Opens a SQLite file in WAL mode. `normal` keeps every committed transaction across a process
 * crash (kill -9); `full` also across power loss, at the cost of an fsync per commit.
 */
export function openDatabase(file: string, durability: Durability, readonly = false): Database.Database {
  const db = new Database(file, { readonly, fileMustExist: readonly });
  db.pragma('busy_timeout = 5000');
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
    // Checkpoints run on a thread of their own (checkpointer.ts); this automatic one, after ~400 MB
    // of WAL, is only a backstop, so a commit does not stall on copying the WAL back.
    db.pragma('wal_autocheckpoint = 100000');
  }
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  return db;
}

/** Applies the numbered, forward-only migrations not yet applied. */
export function migrate(db: Database.Database, migrations: readonly string[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
  const applied = row.v ?? 0;
  if (applied > migrations.length) throw new Error(`database schema version ${applied} is newer than this hub (${migrations.length})`);
  for (let v = applied + 1; v <= migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v - 1] as string);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(v, new Date().toISOString());
    })();
  }
}
