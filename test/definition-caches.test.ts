import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteContext } from '../src/adapters/sqlite/context.js';
import { openDatabase } from '../src/adapters/sqlite/database.js';
import { openSqliteStore, type Store } from '../src/adapters/sqlite/index.js';
import { writeAtOnce } from '../src/adapters/sqlite/write-gate.js';
import { ContactPolicy } from '../src/core/arbitration/policy.js';
import { contextKey } from '../src/core/conditions/evaluate.js';
import { BUILT_IN } from '../src/core/contributors/contributor.js';
import { parseJourney } from '../src/core/journeys/parse.js';
import { AudienceDefinitionsCache } from '../src/engine/audiences.js';
import { definitionCaches } from '../src/engine/processing.js';

const WS = 'ws_default';
const T0 = Date.parse('2026-03-01T12:00:00.000Z');

const open: Store[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Two stores over one data directory: what the hub's thread and the processing thread (or another process) each open. */
function twoStores(): [Store, Store] {
  const dir = mkdtempSync(join(tmpdir(), 'xhub-caches-'));
  dirs.push(dir);
  const a = openSqliteStore(dir, 'normal');
  const b = openSqliteStore(dir, 'normal', { checkpoints: false });
  open.push(a, b);
  return [a, b];
}

describe('caches of definitions follow changes made on another connection (the count of changes in state.db)', () => {
  it('segments, computed traits, context values, journeys and policies written through one store are seen by the caches over the other', async () => {
    const [reader, writer] = twoStores();
    const caches = definitionCaches(reader);
    const prepare = () => Promise.all([caches.audienceDefinitions.prepare(), caches.journeys.prepare(), caches.policies.prepare()]);
    await prepare();
    const before = caches.audienceDefinitions.of(WS);
    expect(before.segments).toEqual([]);
    expect(caches.journeys.any).toBe(false);
    expect(caches.policies.of(WS).version).toBe(0);

    // Nothing changed: the cache keeps what it loaded (the same object).
    await prepare();
    expect(caches.audienceDefinitions.of(WS)).toBe(before);

    const condition = { kind: 'trait', name: 'plan', op: 'equals', value: 'pro' };
    await writer.definitions.put({ id: 'seg_pro', workspaceId: WS, kind: 'segment', name: 'Pro', body: { condition }, version: 1, createdAt: T0, updatedAt: T0 });
    await writer.definitions.put({ id: 'ct_orders', workspaceId: WS, kind: 'computedTrait', name: 'orders', body: { name: 'orders', event: 'Order Completed', aggregate: 'count' }, version: 1, createdAt: T0, updatedAt: T0 });
    await writer.context.put(WS, { dimension: 'weather', key: 'Paris', value: { rain: true }, updatedAt: T0 });
    const journey = parseJourney(
      { id: 'welcome', name: 'Welcome', owner: 'ada@example.com', team: 'CRM', entry: { event: 'Signed Up' }, start: 'end', steps: { end: { kind: 'exit' } } },
      { segments: new Set(), contributors: new Set(BUILT_IN.map((c) => c.id)) },
    );
    if (!journey.ok) throw new Error(JSON.stringify(journey.error));
    await writer.journeys.save(WS, journey.value, T0);
    await writer.journeys.publish(WS, 'welcome', T0);
    await writer.policies.deploy(WS, ContactPolicy.parse({ optIn: [], caps: [] }), T0);

    await prepare();
    const after = caches.audienceDefinitions.of(WS);
    expect(after.segments.map((s) => s.id)).toEqual(['seg_pro']);
    expect(after.computed.map((t) => t.name)).toEqual(['orders']);
    expect(caches.audienceDefinitions.input(T0).context(WS).get(contextKey('weather', 'Paris'))).toMatchObject({ value: { rain: true } });
    expect([...caches.journeys.of(WS).byId.keys()]).toEqual(['welcome']);
    expect(caches.policies.of(WS).version).toBe(1);

    // A removal is a change too.
    expect(await writer.definitions.remove(WS, 'seg_pro')).toBe(true);
    await prepare();
    expect(caches.audienceDefinitions.of(WS).segments).toEqual([]);
  });

  it('a change of context values brings in those values only: the definitions are not loaded again, a withdrawn value goes', async () => {
    const [reader, writer] = twoStores();
    const caches = definitionCaches(reader);
    const condition = { kind: 'context', dimension: 'weather', keyTrait: 'city', field: 'rain', op: 'equals', value: true };
    await writer.definitions.put({ id: 'seg_rain', workspaceId: WS, kind: 'segment', name: 'Rain', body: { condition }, version: 1, createdAt: T0, updatedAt: T0 });
    await writer.context.put(WS, { dimension: 'weather', key: 'Paris', value: { rain: true }, updatedAt: T0 });
    await caches.audienceDefinitions.prepare();
    const defs = caches.audienceDefinitions.of(WS);
    const context = () => [...caches.audienceDefinitions.input(T0).context(WS).values()].map((v) => v.value);
    expect(context()).toEqual([{ rain: true }]);

    await writer.context.put(WS, { dimension: 'weather', key: 'Paris', value: { rain: false }, updatedAt: T0 + 1 });
    await writer.context.put(WS, { dimension: 'weather', key: 'Lyon', value: { rain: true }, validUntil: T0 + 9, updatedAt: T0 + 1 });
    await caches.audienceDefinitions.prepare();
    expect(caches.audienceDefinitions.of(WS)).toBe(defs);
    expect(context()).toEqual([{ rain: false }, { rain: true }]);
    expect(caches.audienceDefinitions.input(T0).context(WS).get(contextKey('weather', 'Lyon'))?.validUntil).toBe(T0 + 9);

    expect(await writer.context.remove(WS, 'weather', 'Paris')).toBe(true);
    await writer.context.put(WS, { dimension: 'weather', key: 'Nice', value: { rain: false }, updatedAt: T0 + 2 });
    await caches.audienceDefinitions.prepare();
    expect(caches.audienceDefinitions.of(WS)).toBe(defs);
    expect(context()).toEqual([{ rain: true }, { rain: false }]);

    // Withdrawn, then published again: the last change counts.
    expect(await writer.context.remove(WS, 'weather', 'Nice')).toBe(true);
    await writer.context.put(WS, { dimension: 'weather', key: 'Nice', value: { rain: true }, updatedAt: T0 + 3 });
    await caches.audienceDefinitions.prepare();
    expect(caches.audienceDefinitions.input(T0).context(WS).get(contextKey('weather', 'Nice'))?.value).toEqual({ rain: true });
  });
});

describe('withdrawn context values are remembered for a bounded number of changes', () => {
  it('a cache further behind than that loads every context value again, and a withdrawn value it missed goes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xhub-caches-'));
    dirs.push(dir);
    const store = openSqliteStore(dir, 'normal');
    open.push(store);
    const db = openDatabase(join(dir, 'state.db'), 'normal');
    const context = new SqliteContext(db, writeAtOnce, 3); // withdrawals kept for 3 changes
    const cache = new AudienceDefinitionsCache(store.definitions, context, store.changes);
    try {
      const condition = { kind: 'context', dimension: 'stock', keyTrait: 'sku', field: 'n', op: 'gt', value: 0 };
      await store.definitions.put({ id: 'seg_stock', workspaceId: WS, kind: 'segment', name: 'In stock', body: { condition }, version: 1, createdAt: T0, updatedAt: T0 });
      for (const key of ['A', 'B', 'C', 'D', 'E']) await context.put(WS, { dimension: 'stock', key, value: { n: 1 }, updatedAt: T0 });
      await cache.prepare();
      const keys = () => [...cache.input(T0).context(WS).keys()].sort();
      expect(keys()).toEqual(['A', 'B', 'C', 'D', 'E'].map((k) => contextKey('stock', k)));
      for (const key of ['A', 'B', 'C', 'D']) expect(await context.remove(WS, 'stock', key)).toBe(true);
      expect(db.prepare('SELECT count(*) FROM context_withdrawn').pluck().get()).toBe(3); // A's withdrawal is forgotten
      expect(await context.changedSince(5)).toBeUndefined();
      await cache.prepare();
      expect(keys()).toEqual([contextKey('stock', 'E')]);
      // Close enough behind, the changes themselves.
      await context.remove(WS, 'stock', 'E');
      expect((await context.changedSince(9))?.changed).toEqual([{ workspaceId: WS, dimension: 'stock', key: 'E' }]);
      await cache.prepare();
      expect(keys()).toEqual([]);
    } finally {
      db.close();
    }
  });
});
