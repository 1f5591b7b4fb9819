import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ContactPolicy } from '../../core/arbitration/policy.js';
import { openSqliteStore, type Store } from './index.js';
import { WriteGate } from './write-gate.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const ws = 'ws_default';

/** The admin API's writes to `state.db`, one per store that has them. */
function adminWrites(store: Store): Record<string, () => Promise<unknown>> {
  const now = Date.parse('2026-11-29T10:00:00.000Z');
  return {
    workspace: () => store.workspaces.ensureWorkspace('ws_other', 'Other'),
    key: () => store.workspaces.addKey('hash-1', ws, 'write'),
    segment: () => store.definitions.put({ id: 'seg_1', workspaceId: ws, kind: 'segment', name: 'Buyers', body: { kind: 'event', event: 'Order Completed' }, version: 1, createdAt: now, updatedAt: now }),
    policy: () => store.policies.deploy(ws, ContactPolicy.parse({}), now),
    suppression: () => store.suppressions.add(ws, { type: 'email', value: 'a@example.com', channel: 'email', reason: 'bounce' }, now),
    template: () => store.templates.put(ws, { id: 'welcome', channel: 'email', subject: 'Hi', text: 'Hello' }, now),
    idempotency: () => store.idempotency.put(ws, 'key-1', { fingerprint: 'f', status: 201, contentType: 'application/json', body: '{}', createdAt: now }, 0),
  };
}

describe('admin writes with processing on a thread of its own', () => {
  it("wait for processing's write transaction without blocking the thread, then are all written", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xhub-admin-writes-'));
    dirs.push(dir);
    const processing = new WriteGate();
    const store = openSqliteStore(dir, 'normal', { gate: { gate: new WriteGate(processing.buffer), side: 'api' }, checkpoints: false });
    // Processing's transaction: its turn taken and the write lock held (a writer that did not wait would block in SQLite's busy handler).
    await store.workspaces.ensureWorkspace(ws, 'Default');
    const lock = new Database(join(dir, 'state.db'));
    try {
      processing.enterProcessing();
      lock.prepare('BEGIN IMMEDIATE').run();
      const order: string[] = [];
      const writes = Object.entries(adminWrites(store)).map(([name, write]) => write().then(() => order.push(name)));
      setTimeout(() => order.push('timer'), 20);
      await new Promise((r) => setTimeout(r, 150));
      expect(order).toEqual(['timer']);
      lock.prepare('COMMIT').run();
      processing.leaveProcessing();
      await Promise.all(writes);
      expect(order.slice(1).sort()).toEqual(Object.keys(adminWrites(store)).sort());
      expect(await store.definitions.get(ws, 'seg_1')).toMatchObject({ name: 'Buyers' });
      expect(await store.policies.current(ws)).toMatchObject({ version: 1 });
      expect(await store.templates.get(ws, 'welcome')).toMatchObject({ subject: 'Hi' });
      expect(await store.workspaces.workspaceOf('hash-1', 'write')).toBe(ws);
      expect(await store.idempotency.get(ws, 'key-1')).toMatchObject({ status: 201 });
    } finally {
      lock.close();
      await store.close();
    }
  });
});
