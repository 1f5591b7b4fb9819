import type Database from 'better-sqlite3';
import type { ChangeCount } from '../../ports/definitions.js';

/** The count of changes to definitions in `state.db` (see `ChangeCount`). */
export class SqliteChangeCount implements ChangeCount {
  private readonly count;

  constructor(db: Database.Database) {
    this.count = db.prepare("SELECT seq FROM cursors WHERE name = 'definitions'").pluck();
  }

  changes(): Promise<number> {
    return Promise.resolve(this.count.get() as number);
  }
}

/** Counts a change to definitions: their writers call it after the write (or inside its transaction), never before. */
export function changeCounter(db: Database.Database): () => void {
  const bump = db.prepare("UPDATE cursors SET seq = seq + 1 WHERE name = 'definitions'");
  return () => void bump.run();
}
