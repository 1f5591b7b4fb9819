import type Database from 'better-sqlite3';
import type { DeliveryAdapter, DeliveryResult, OutboundMessage } from '../../ports/delivery.js';
import type { MailboxMessage, MailboxStore } from '../../ports/outbox.js';
import { writeAtOnce, type ApiWrites } from './write-gate.js';

/**
 * The built-in capture contributor: messages land in the local mailbox (`xhub mailbox`,
 * `GET /v1/mailbox`) instead of an SMTP server or SMS gateway. Keyed by the idempotency key, so a
 * message re-sent after a crash is kept once.
 */
export class SqliteMailbox implements MailboxStore, DeliveryAdapter {
  private readonly s;

  constructor(
    db: Database.Database,
    private readonly writes: ApiWrites = writeAtOnce,
  ) {
    this.s = {
      put: db.prepare('INSERT OR IGNORE INTO mailbox (key, workspace_id, channel, recipient, body, at) VALUES (?, ?, ?, ?, ?, ?)'),
      list: db.prepare('SELECT body FROM mailbox WHERE workspace_id = ? ORDER BY at DESC, key DESC LIMIT ?').pluck(),
      to: db.prepare('SELECT body FROM mailbox WHERE workspace_id = ? AND recipient = ? ORDER BY at DESC, key DESC LIMIT ?').pluck(),
    };
  }

  put(workspaceId: string, m: MailboxMessage): Promise<void> {
    return this.writes(() => void this.s.put.run(m.key, workspaceId, m.channel, m.to, JSON.stringify(m), m.at));
  }

  list(workspaceId: string, opts: { readonly to?: string; readonly limit: number }): Promise<readonly MailboxMessage[]> {
    const rows = (opts.to === undefined ? this.s.list.all(workspaceId, opts.limit) : this.s.to.all(workspaceId, opts.to, opts.limit)) as string[];
    return Promise.resolve(rows.map((b) => JSON.parse(b) as MailboxMessage));
  }

  async send(m: OutboundMessage): Promise<DeliveryResult> {
    const headers = m.unsubscribeUrl === undefined ? undefined : { 'List-Unsubscribe': `<${m.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
    await this.put(m.meta.workspaceId, {
      key: m.key, channel: m.channel, to: m.to, at: Date.now(),
      ...(m.subject === undefined ? {} : { subject: m.subject }), ...(m.text === undefined ? {} : { text: m.text }), ...(m.html === undefined ? {} : { html: m.html }),
      ...(m.body === undefined ? {} : { body: m.body }), ...(headers ? { headers } : {}),
    });
    return { ok: true, providerId: `mailbox:${m.key}` };
  }
}
