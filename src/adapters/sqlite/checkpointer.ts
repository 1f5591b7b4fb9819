import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Runs in the worker: PASSIVE checkpoints of each file every `intervalMs`, until told to stop. */
const WORKER = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const dbs = workerData.files.map((f) => new Database(f, { fileMustExist: true }));
for (const db of dbs) db.pragma('busy_timeout = 5000');
const flag = new Int32Array(workerData.flag);
while (Atomics.load(flag, 0) === 0) {
  for (const db of dbs) db.pragma('wal_checkpoint(PASSIVE)');
  Atomics.wait(flag, 0, 0, workerData.intervalMs);
}
for (const db of dbs) db.close();
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * Copies the write-ahead logs back into the database files from a thread of its own. A PASSIVE
 * checkpoint never blocks writers, so the processing thread no longer stalls for the hundreds of
 * milliseconds an automatic checkpoint of a large WAL takes (timer lateness, ingestion latency);
 * the writers' own automatic checkpoint stays as a backstop.
 */
export function startCheckpointer(files: readonly string[], intervalMs = 100): Checkpointer {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { files, intervalMs, sqlite, flag: flag.buffer } });
  const stopped = new Promise<void>((resolve) => {
    worker.once('error', () => resolve());
    worker.once('exit', () => resolve());
  });
  // After the listeners: a 'message' listener would keep the process alive; 'exit' and 'error' do not.
  worker.unref();
  return {
    stop: async () => {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      worker.ref(); // keep the process alive until the worker has closed its connections
      await stopped;
    },
  };
}
