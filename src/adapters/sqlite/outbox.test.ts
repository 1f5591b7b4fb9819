import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboxMessage } from '../../core/contributors/outbox.js';
import { migrate, openDatabase } from './database.js';
import { STATE_MIGRATIONS } from './migrations.js';
import { SqliteOutbox, SqliteOutboxWrites } from './outbox.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function open(): Database.Database {
  const dir = mkdtempSync(join(tmpdir(), 'xhub-outbox-'));
  dirs.push(dir);
  const db = openDatabase(join(dir, 'state.db'), 'normal');
  migrate(db, STATE_MIGRATIONS);
  return db;
}

const message = (key: string, workspaceId: string, channel: 'email' | 'sms', at: number, contributor?: string): OutboxMessage => ({
  key, workspaceId, profileId: 'prof_1', channel, ...(contributor ? { contributor } : {}), template: 't', purpose: 'marketing',
  journeyId: 'j', decisionId: `dec_${key}`, context: { event: {}, journey: { id: 'j', version: 1, step: 's' } }, at,
});

describe('SqliteOutbox.depth', () => {
  it("counts each contributor's pending rows per channel, with the oldest, from the index alone", async () => {
    const db = open();
    new SqliteOutboxWrites(db).write([
      message('a1', 'ws', 'email', 300), message('a2', 'ws', 'email', 100), message('a3', 'ws', 'email', 200, 'partner'),
      message('a4', 'ws', 'sms', 400), message('a5', 'ws', 'sms', 50), message('b1', 'ws_b', 'email', 10),
    ]);
    const outbox = new SqliteOutbox(db);
    await outbox.delivered('a5', 500); // no longer pending: leaves the sms count and its oldest
    const depth = await outbox.depth('ws');
    expect([...depth].sort((x, y) => `${x.channel}${x.contributor ?? ''}`.localeCompare(`${y.channel}${y.contributor ?? ''}`))).toEqual([
      { channel: 'email', pending: 2, oldest: 100 },
      { channel: 'email', contributor: 'partner', pending: 1, oldest: 200 },
      { channel: 'sms', pending: 1, oldest: 400 },
    ]);
    const { source } = (outbox as unknown as { s: { depth: Database.Statement } }).s.depth;
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${source}`).all('ws') as { detail: string }[]).map((r) => r.detail);
    expect(plan).toEqual(['SEARCH outbox USING COVERING INDEX outbox_depth (workspace_id=?)']);
    db.close();
  });
});
