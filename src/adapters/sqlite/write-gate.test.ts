import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { groupedWrites, WriteGate } from './write-gate.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('WriteGate', () => {
  it("an API write waits for processing's write transaction to end, with its thread free meanwhile", async () => {
    const processing = new WriteGate();
    const api = new WriteGate(processing.buffer);
    processing.enterProcessing();
    const order: string[] = [];
    const write = api.write(() => order.push('write'));
    setTimeout(() => order.push('timer'), 20);
    await sleep(100);
    expect(order).toEqual(['timer']);
    processing.leaveProcessing();
    await write;
    expect(order).toEqual(['timer', 'write']);
  });

  it('processing lets a waiting API write go first, but waits for it 20 ms at most', async () => {
    const processing = new WriteGate();
    const api = new WriteGate(processing.buffer);
    processing.enterProcessing();
    const write = api.write(() => 'written');
    await sleep(5); // the write is waiting
    processing.leaveProcessing();
    // The write cannot run while this thread is held, so processing waits it out, then takes its turn.
    const t = performance.now();
    processing.enterProcessing();
    expect(performance.now() - t).toBeGreaterThanOrEqual(15);
    let done = false;
    void write.then(() => (done = true));
    await sleep(50);
    expect(done).toBe(false);
    processing.leaveProcessing();
    expect(await write).toBe('written');

    // With nobody waiting, processing takes its turn at once.
    const t2 = performance.now();
    processing.enterProcessing();
    expect(performance.now() - t2).toBeLessThan(5);
    processing.leaveProcessing();
  });

  it('tells processing whether API writes were asked for since it last asked', async () => {
    const processing = new WriteGate();
    const api = new WriteGate(processing.buffer);
    expect(processing.contended()).toBe(false);
    await api.write(() => 'no transaction in progress');
    expect(processing.contended()).toBe(true);
    expect(processing.contended()).toBe(false);
    processing.enterProcessing();
    const write = api.write(() => 'waited');
    processing.leaveProcessing();
    expect(await write).toBe('waited');
    expect(processing.contended()).toBe(true);
    expect(processing.contended()).toBe(false); // asked: counted afresh
  });
});

describe('WriteGate.held', () => {
  it('tells processing how long it held its turns since it last asked', () => {
    const processing = new WriteGate();
    expect(processing.held()).toBe(0);
    for (const ms of [10, 5]) {
      processing.enterProcessing();
      const t = performance.now();
      while (performance.now() - t < ms);
      processing.leaveProcessing();
    }
    processing.leaveProcessing(); // not in its turn: nothing held
    const held = processing.held();
    expect(held).toBeGreaterThanOrEqual(15);
    expect(held).toBeLessThan(200);
    expect(processing.held()).toBe(0); // asked: counted afresh
  });
});

describe('groupedWrites', () => {
  /** A gate that counts the turns taken. */
  class CountingGate extends WriteGate {
    turns = 0;
    override write<T>(fn: () => T): Promise<T> {
      this.turns++;
      return super.write(fn);
    }
  }

  /** Runs `fn` over a fresh database with a table `t (k)` and its insert; removed after. */
  async function withTable(fn: (db: Database.Database, insert: Database.Statement) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'xhub-grouped-'));
    const db = new Database(join(dir, 'state.db'));
    try {
      db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
      await fn(db, db.prepare('INSERT INTO t VALUES (?)'));
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('makes the writes asked for until its turn comes in one turn, each undone and failing alone', () =>
    withTable(async (db, insert) => {
      const processing = new WriteGate();
      const gate = new CountingGate(processing.buffer);
      const write = groupedWrites(db, gate);
      processing.enterProcessing(); // the group waits for its turn...
      const a = write(() => insert.run('a').changes);
      await sleep(5);
      const b = write(() => insert.run('b').changes); // ...and these, asked for meanwhile, join it
      const bad = write(() => {
        insert.run('c');
        insert.run('a'); // fails: its own row 'c' is undone with it
      });
      const d = write(() => insert.run('d').changes);
      await sleep(20);
      processing.leaveProcessing();
      expect(await Promise.all([a, b, d])).toEqual([1, 1, 1]);
      await expect(bad).rejects.toThrow(/UNIQUE/);
      expect(gate.turns).toBe(1);
      expect(db.prepare('SELECT k FROM t ORDER BY k').pluck().all()).toEqual(['a', 'b', 'd']);
      // Later writes take a turn of their own.
      expect(await write(() => insert.run('e').changes)).toBe(1);
      expect(gate.turns).toBe(2);
    }));

  it('fails the whole group when SQLite ends its transaction (as on a full disk): the writes after it do not run outside it', () =>
    withTable(async (db, insert) => {
      const rollback = db.prepare('ROLLBACK');
      const write = groupedWrites(db, new WriteGate());
      const all = [
        write(() => insert.run('a')),
        write(() => {
          rollback.run(); // what SQLite does itself on SQLITE_FULL or an I/O error
          throw new Error('disk full');
        }),
        write(() => insert.run('c')),
      ];
      const settled = await Promise.allSettled(all);
      expect(settled.map((x) => x.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(db.prepare('SELECT k FROM t').pluck().all()).toEqual([]);
      expect(db.inTransaction).toBe(false);
    }));
});
