import type Database from 'better-sqlite3';
import { addressOf, type Suppression } from '../../core/arbitration/suppression.js';
import type { SuppressionStore } from '../../ports/decisions.js';
import { writeAtOnce, type ApiWrites } from './write-gate.js';

interface Row {
  address: string;
  channel: Suppression['channel'];
  reason: string;
  created_at: number;
}

/** Suppression lists in `state.db`, keyed by address (`type:value`) and channel. */
export class SqliteSuppressions implements SuppressionStore {
  private readonly s;

  constructor(
    db: Database.Database,
    private readonly writes: ApiWrites = writeAtOnce,
  ) {
    this.s = {
      page: db.prepare('SELECT address, channel, reason, created_at FROM suppressions WHERE workspace_id = ? AND (address, channel) > (?, ?) ORDER BY address, channel LIMIT ?'),
      add: db.prepare(
        `INSERT INTO suppressions (workspace_id, channel, address, reason, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (workspace_id, address, channel) DO UPDATE SET reason = excluded.reason`,
      ),
      remove: db.prepare('DELETE FROM suppressions WHERE workspace_id = ? AND address = ? AND channel = ?'),
    };
  }

  list(workspaceId: string, opts: { readonly cursor?: string; readonly limit: number }): ReturnType<SuppressionStore['list']> {
    const [address = '', channel = ''] = opts.cursor === undefined ? [] : Buffer.from(opts.cursor, 'base64url').toString().split('\u0000');
    const rows = this.s.page.all(workspaceId, address, channel, opts.limit + 1) as Row[];
    const entries = rows.slice(0, opts.limit).map((r) => {
      const at = r.address.indexOf(':');
      return { type: r.address.slice(0, at), value: r.address.slice(at + 1), channel: r.channel, reason: r.reason, createdAt: r.created_at };
    });
    const last = rows[opts.limit - 1];
    return Promise.resolve({ entries, ...(rows.length > opts.limit && last ? { next: Buffer.from(`${last.address}\u0000${last.channel}`).toString('base64url') } : {}) });
  }

  add(workspaceId: string, s: Suppression, now: number): Promise<void> {
    return this.writes(() => void this.s.add.run(workspaceId, s.channel, addressOf(s), s.reason, now));
  }

  remove(workspaceId: string, s: Pick<Suppression, 'type' | 'value' | 'channel'>): Promise<boolean> {
    return this.writes(() => this.s.remove.run(workspaceId, addressOf(s), s.channel).changes > 0);
  }
}
