import type Database from 'better-sqlite3';
import type { ContentItem } from '../../core/content/item.js';
import type { ContentStore, StoredContent } from '../../ports/content.js';
import { writeAtOnce, type ApiWrites } from './write-gate.js';

/** Stored payloads carry a version. */
const CONTENT_ROW_VERSION = 1;

interface ContentRow {
  body: string;
  created_at: number;
  updated_at: number;
}

const fromRow = (r: ContentRow): StoredContent => ({ item: (JSON.parse(r.body) as { item: ContentItem }).item, createdAt: r.created_at, updatedAt: r.updated_at });
const bodyOf = (item: ContentItem): string => JSON.stringify({ v: CONTENT_ROW_VERSION, item });

/** The content catalogue in `state.db` (`content_items`, indexed by placement). */
export class SqliteContent implements ContentStore {
  private readonly s;

  constructor(
    db: Database.Database,
    private readonly writes: ApiWrites = writeAtOnce,
  ) {
    this.s = {
      all: db.prepare('SELECT body, created_at, updated_at FROM content_items WHERE workspace_id = ? ORDER BY id'),
      ofPlacement: db.prepare('SELECT body, created_at, updated_at FROM content_items WHERE workspace_id = ? AND placement = ? ORDER BY id'),
      get: db.prepare('SELECT body, created_at, updated_at FROM content_items WHERE workspace_id = ? AND id = ?'),
      create: db.prepare(
        `INSERT INTO content_items (workspace_id, id, placement, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (workspace_id, id) DO NOTHING RETURNING body, created_at, updated_at`,
      ),
      replace: db.prepare('UPDATE content_items SET placement = ?, body = ?, updated_at = ? WHERE workspace_id = ? AND id = ? RETURNING body, created_at, updated_at'),
      remove: db.prepare('DELETE FROM content_items WHERE workspace_id = ? AND id = ?'),
    };
  }

  list(workspaceId: string, placement?: string): Promise<readonly StoredContent[]> {
    const rows = placement === undefined ? this.s.all.all(workspaceId) : this.s.ofPlacement.all(workspaceId, placement);
    return Promise.resolve((rows as ContentRow[]).map(fromRow));
  }

  get(workspaceId: string, id: string): Promise<StoredContent | undefined> {
    const r = this.s.get.get(workspaceId, id) as ContentRow | undefined;
    return Promise.resolve(r && fromRow(r));
  }

  create(workspaceId: string, item: ContentItem, now: number): Promise<StoredContent | undefined> {
    return this.writes(() => {
      const r = this.s.create.get(workspaceId, item.id, item.placement, bodyOf(item), now, now) as ContentRow | undefined;
      return r && fromRow(r);
    });
  }

  replace(workspaceId: string, item: ContentItem, now: number): Promise<StoredContent | undefined> {
    return this.writes(() => {
      const r = this.s.replace.get(item.placement, bodyOf(item), now, workspaceId, item.id) as ContentRow | undefined;
      return r && fromRow(r);
    });
  }

  remove(workspaceId: string, id: string): Promise<boolean> {
    return this.writes(() => this.s.remove.run(workspaceId, id).changes > 0);
  }
}
