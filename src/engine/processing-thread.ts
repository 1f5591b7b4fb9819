import { Worker } from 'node:worker_threads';
import type { Config } from '../config.js';
import { WriteGate } from '../adapters/sqlite/write-gate.js';
import { FollowsLog } from './log-position.js';
import type { Processing, ProcessingHooks } from './processing.js';

/** From the hub's thread to the processing thread. */
export type ToProcessing =
  | { readonly kind: 'head'; readonly head: number }
  | { readonly kind: 'changed' }
  | { readonly kind: 'idle'; readonly id: number }
  | { readonly kind: 'stop' };

/** From the processing thread to the hub's. */
export type FromProcessing =
  | { readonly kind: 'started'; readonly cursor: number; readonly head: number }
  | { readonly kind: 'batch'; readonly events: number; readonly cursor: number }
  | { readonly kind: 'failed'; readonly error: string }
  | { readonly kind: 'idle'; readonly id: number };

/**
 * The worker's module. Under vitest this file runs from its TypeScript source, which a worker
 * cannot load: the build of it (made by the tests' global set-up) is used.
 */
const WORKER = new URL(import.meta.url.endsWith('.ts') ? '../../dist/engine/processing-worker.js' : './processing-worker.js', import.meta.url);

/** After the processing thread died (it should not: errors are retried inside), it is started again after this long. */
const RESTART_MS = 1000;
/**
 * The worker's young generation (V8's default is 48 MB): a backfill allocates much that lives for a
 * chunk of profiles, and scavenges less of it with more room (with 50 segments and 20 computed traits,
 * a backfill over 200,000 profiles went from 18,300-18,700 to 20,100-20,300 profiles/s).
 */
const YOUNG_GENERATION_MB = 64;

/**
 * Processing on a worker thread of its own (`processing-worker.ts`), with its own connections to the
 * data directory: the hub's thread appends to the log and serves the APIs while this one processes,
 * so the two use two cores. The cursor stays in `state.db`, committed with what it produced; this side
 * only mirrors it, from what the thread reports after each batch.
 */
export class ProcessingThread extends FollowsLog implements Processing {
  private worker: Worker | undefined;
  private stopping = false;
  private readonly idleWaiters = new Map<number, () => void>();
  private nextIdle = 0;
  private restart: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: Config,
    private readonly hooks: ProcessingHooks,
    private readonly gate: WriteGate = new WriteGate(),
  ) {
    super();
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(WORKER, { workerData: { config: this.config, gate: this.gate.buffer }, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
      this.worker = worker;
      let started = false;
      worker.on('message', (m: FromProcessing) => {
        if (m.kind === 'started') {
          started = true;
          this.at.seen(m.head);
          this.post({ kind: 'head', head: this.at.head });
          this.at.advance(m.cursor);
          resolve();
        } else if (m.kind === 'batch') {
          this.at.advance(m.cursor);
          this.hooks.processed(m.events, m.cursor);
        } else if (m.kind === 'failed') {
          this.hooks.failed(new Error(m.error));
        } else {
          this.idleWaiters.get(m.id)?.();
          this.idleWaiters.delete(m.id);
        }
      });
      worker.on('error', (e) => (started ? this.hooks.failed(e) : reject(e)));
      worker.on('exit', () => {
        this.worker = undefined;
        // A thread that ended holds no transaction: the API's writers must not wait for it.
        this.gate.leaveProcessing();
        for (const resolveIdle of this.idleWaiters.values()) resolveIdle();
        this.idleWaiters.clear();
        if (started && !this.stopping) this.restart = setTimeout(() => void this.start().catch((e: unknown) => this.hooks.failed(e)), RESTART_MS);
      });
    });
  }

  notify(head: number): void {
    if (this.at.seen(head)) this.post({ kind: 'head', head });
  }

  whenIdle(): Promise<void> {
    if (this.worker === undefined) return Promise.resolve();
    const id = this.nextIdle++;
    return new Promise((resolve) => {
      this.idleWaiters.set(id, resolve);
      this.post({ kind: 'idle', id });
    });
  }

  changed(): void {
    this.post({ kind: 'changed' });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restart);
    const worker = this.worker;
    if (worker === undefined) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    this.post({ kind: 'stop' });
    await exited;
  }

  private post(m: ToProcessing): void {
    this.worker?.postMessage(m);
  }
}
