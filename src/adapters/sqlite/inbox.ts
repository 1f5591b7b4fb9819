import type Database from 'better-sqlite3';
import type { DeliveryAdapter, DeliveryResult, OutboundMessage } from '../../ports/delivery.js';
import type { InboxMessage, InboxStore } from '../../ports/outbox.js';
import { writeAtOnce, type ApiWrites } from './write-gate.js';

interface Row {
  key: string;
  profile_id: string;
  body: string;
  status: InboxMessage['status'];
  created_at: number;
  updated_at: number;
}

const fromRow = (r: Row): InboxMessage => ({
  key: r.key, profileId: r.profile_id, payload: JSON.parse(r.body) as Record<string, unknown>, status: r.status, createdAt: r.created_at, updatedAt: r.updated_at,
});

/**
 * The built-in in-app inbox: delivering an in-app message stores it for its profile (once per
 * idempotency key); the app fetches the profile's messages and marks them read or dismissed.
 */
export class SqliteInbox implements InboxStore, DeliveryAdapter {
  private readonly s;

  constructor(
    db: Database.Database,
    private readonly writes: ApiWrites = writeAtOnce,
  ) {
    this.s = {
      put: db.prepare("INSERT OR IGNORE INTO inbox (key, workspace_id, profile_id, body, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'unread', ?, ?)"),
      list: db.prepare("SELECT * FROM inbox WHERE profile_id = ? AND workspace_id = ? AND status != 'dismissed' ORDER BY created_at DESC, key DESC LIMIT ?"),
      get: db.prepare('SELECT * FROM inbox WHERE key = ? AND workspace_id = ?'),
      mark: db.prepare('UPDATE inbox SET status = ?, updated_at = ? WHERE key = ? AND workspace_id = ? AND profile_id = ?'),
    };
  }

  send(m: OutboundMessage): Promise<DeliveryResult> {
    const now = Date.now();
    return this.writes(() => {
      this.s.put.run(m.key, m.meta.workspaceId, m.meta.profileId, JSON.stringify(m.payload ?? {}), now, now);
      return { ok: true, providerId: `inbox:${m.key}` };
    });
  }

  list(workspaceId: string, profileId: string, limit: number): Promise<readonly InboxMessage[]> {
    return Promise.resolve((this.s.list.all(profileId, workspaceId, limit) as Row[]).map(fromRow));
  }

  get(workspaceId: string, key: string): Promise<InboxMessage | undefined> {
    const r = this.s.get.get(key, workspaceId) as Row | undefined;
    return Promise.resolve(r && fromRow(r));
  }

  mark(workspaceId: string, profileId: string, key: string, status: 'read' | 'dismissed', now: number): Promise<boolean> {
    return Promise.resolve(this.s.mark.run(status, now, key, workspaceId, profileId).changes > 0);
  }
}
