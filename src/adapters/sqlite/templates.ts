import type Database from 'better-sqlite3';
import { Template } from '../../core/templates/template.js';
import type { TemplateStore } from '../../ports/outbox.js';
import { writeAtOnce, type ApiWrites } from './write-gate.js';

/** Message templates in `state.db` (validated before they are stored). */
export class SqliteTemplates implements TemplateStore {
  private readonly s;

  constructor(
    db: Database.Database,
    private readonly writes: ApiWrites = writeAtOnce,
  ) {
    this.s = {
      list: db.prepare('SELECT body FROM templates WHERE workspace_id = ? ORDER BY id').pluck(),
      get: db.prepare('SELECT body FROM templates WHERE workspace_id = ? AND id = ?').pluck(),
      put: db.prepare(
        'INSERT INTO templates (workspace_id, id, body, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (workspace_id, id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at',
      ),
      remove: db.prepare('DELETE FROM templates WHERE workspace_id = ? AND id = ?'),
    };
  }

  list(workspaceId: string): Promise<readonly Template[]> {
    return Promise.resolve((this.s.list.all(workspaceId) as string[]).map((b) => Template.parse(JSON.parse(b))));
  }

  get(workspaceId: string, id: string): Promise<Template | undefined> {
    const b = this.s.get.get(workspaceId, id) as string | undefined;
    return Promise.resolve(b === undefined ? undefined : Template.parse(JSON.parse(b)));
  }

  put(workspaceId: string, t: Template, now: number): Promise<void> {
    return this.writes(() => void this.s.put.run(workspaceId, t.id, JSON.stringify(t), now));
  }

  remove(workspaceId: string, id: string): Promise<boolean> {
    return this.writes(() => this.s.remove.run(workspaceId, id).changes > 0);
  }
}
