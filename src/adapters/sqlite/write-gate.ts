import type Database from 'better-sqlite3';
import { performance } from 'node:perf_hooks';

const PROCESSING = 0;
const API = 1;
/** API writes asked for since processing last asked (`contended`). */
const WROTE = 2;
/** How long the processing thread lets the API's writers go first before it takes its turn anyway. */
const MAX_YIELD_MS = 20;

/**
 * Turns at `state.db`'s write lock between the processing thread and the main thread (the API's
 * writers: decisions, dispatch, admin writes). SQLite makes a writer that finds the lock taken wait in its busy
 * handler, its thread blocked: on the main thread, HTTP stops for as long as processing's
 * transactions keep coming (seconds while it catches up). So processing says when it is in a write
 * transaction, and an API writer waits for the end of it without blocking its thread; an API writer
 * says it is waiting, and processing lets it go first (waiting, on its own thread, at most
 * `MAX_YIELD_MS`) before its next transaction.
 */
export class WriteGate {
  /** [PROCESSING]: 1 while processing is in a write transaction; [API]: API writers waiting or writing; [WROTE]: see `contended`. */
  private readonly flags: Int32Array;
  /** Processing's side: when it last took its turn, and how long it held its turns since it last asked (`held`). */
  private takenAt = 0;
  private heldMs = 0;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(12)) {
    this.flags = new Int32Array(buffer);
  }

  /** Processing, before a write transaction: lets waiting API writers go first, then holds its turn. */
  enterProcessing(): void {
    const deadline = performance.now() + MAX_YIELD_MS;
    for (;;) {
      Atomics.store(this.flags, PROCESSING, 1);
      const waiting = Atomics.load(this.flags, API);
      const left = deadline - performance.now();
      if (waiting === 0 || left <= 0) return void (this.takenAt = performance.now());
      this.release();
      Atomics.wait(this.flags, API, waiting, left);
    }
  }

  /** Processing: whether API writes were asked for since it last asked (it then keeps its transactions short, as they may wait for them). */
  contended(): boolean {
    return Atomics.exchange(this.flags, WROTE, 0) > 0;
  }

  /** Processing: how long (ms) it held its turns since it last asked, what API writes may have waited for (not its waits for them). */
  held(): number {
    const ms = this.heldMs;
    this.heldMs = 0;
    return ms;
  }

  leaveProcessing(): void {
    if (this.takenAt > 0) this.heldMs += performance.now() - this.takenAt;
    this.takenAt = 0;
    this.release();
  }

  private release(): void {
    Atomics.store(this.flags, PROCESSING, 0);
    Atomics.notify(this.flags, PROCESSING);
  }

  /** An API write: run once processing is out of its write transaction, waited for without blocking the thread. */
  async write<T>(fn: () => T): Promise<T> {
    Atomics.add(this.flags, API, 1);
    Atomics.add(this.flags, WROTE, 1);
    try {
      while (Atomics.load(this.flags, PROCESSING) === 1) {
        const w = Atomics.waitAsync(this.flags, PROCESSING, 1, 100);
        if (w.async) await w.value;
      }
      return fn();
    } finally {
      Atomics.sub(this.flags, API, 1);
      Atomics.notify(this.flags, API);
    }
  }
}

/** How an adapter on the API's side writes `state.db`: at once, or through the gate when processing runs on a thread of its own. */
export type ApiWrites = <T>(fn: () => T) => Promise<T>;
export const writeAtOnce: ApiWrites = (fn) => Promise.resolve(fn());

interface Queued {
  readonly fn: () => unknown;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * API writes through the gate, grouped: the writes asked for until the group's turn comes are made
 * then, one after another in one transaction (one wait, one commit), each in a savepoint of its own,
 * so that one that fails is undone and fails alone. Each is answered once the group committed.
 */
export function groupedWrites(db: Database.Database, gate: WriteGate): ApiWrites {
  const queue: Queued[] = [];
  const group = db.transaction((writes: readonly Queued[]) =>
    writes.map((w) => {
      try {
        return { ok: true as const, value: db.transaction(w.fn)() };
      } catch (error) {
        // SQLite rolled the whole group back (disk full, I/O): none of it is written, and the rest must not run outside it.
        if (!db.inTransaction) throw error;
        return { ok: false as const, error };
      }
    }),
  );
  const flush = async (): Promise<void> => {
    let taken: Queued[] = [];
    try {
      const done = await gate.write(() => group.immediate((taken = queue.splice(0))));
      done.forEach((d, i) => (d.ok ? taken[i]?.resolve(d.value) : taken[i]?.reject(d.error)));
    } catch (error) {
      for (const w of taken) w.reject(error);
    }
  };
  return <T>(fn: () => T) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (queue.length === 1) setImmediate(() => void flush());
    });
}
