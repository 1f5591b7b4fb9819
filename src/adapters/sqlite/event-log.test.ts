import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HubEvent } from '../../core/events/event.js';
import { factEvent, factSelection } from '../../core/segments/batch.js';
import { migrate, openDatabase } from './database.js';
import { SqliteEventLog } from './event-log.js';
import { LOG_MIGRATIONS } from './migrations.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function openLog(): SqliteEventLog {
  const dir = mkdtempSync(join(tmpdir(), 'xhub-log-'));
  dirs.push(dir);
  const db = openDatabase(join(dir, 'log.db'), 'normal');
  migrate(db, LOG_MIGRATIONS);
  return new SqliteEventLog(db, false);
}

/** Every kind of call, and track events whose names look like the calls' (a track named `Page Viewed` is one). */
function events(): HubEvent[] {
  const base = (i: number) => ({ v: 1 as const, messageId: `m${i}`, userId: `u${i % 3}`, timestamp: new Date(1_700_000_000_000 + i).toISOString(), receivedAt: '2026-01-01T00:00:00.000Z' });
  const names = ['Order Completed', 'Product Viewed', 'Page Viewed', 'Screen Viewed', "Quote's \"name\""];
  return Array.from({ length: 40 }, (_, i): HubEvent => {
    switch (i % 6) {
      case 0:
        return { ...base(i), type: 'page', name: 'Home', properties: { path: '/' } };
      case 1:
        return { ...base(i), type: 'screen', name: 'Cart', properties: {} };
      case 2:
        return { ...base(i), type: 'identify', traits: { event: 'Order Completed' } };
      default:
        return { ...base(i), type: 'track', event: names[i % names.length] as string, properties: { i } };
    }
  });
}

describe('SqliteEventLog.getSelected', () => {
  it('reads exactly the events whose facts bear the names asked for, in the order asked, as get() and factEvent would', async () => {
    const log = openLog();
    await log.append(events().map((event) => ({ workspaceId: 'ws', event })));
    // All of them scrambled, and two that are not in the log.
    const seqs = [...Array.from({ length: 40 }, (_, i) => ((i * 17) % 40) + 1), 41, 0];
    const all = await log.get(seqs);
    for (const names of [['Order Completed'], ['Page Viewed'], ['Screen Viewed', 'Product Viewed'], ["Quote's \"name\""], [], ['Nothing']]) {
      const want = all.filter((l) => names.includes(factEvent(l.event)?.event ?? ''));
      const got = await log.getSelected(seqs, factSelection(names));
      expect(got, names.join()).toEqual(want);
    }
    // The selection is not empty where it should not be: pages and track events named `Page Viewed` both.
    const pages = await log.getSelected(seqs, factSelection(['Page Viewed']));
    expect(new Set(pages.map((l) => l.event.type))).toEqual(new Set(['page', 'track']));
    await log.close();
  });
});
