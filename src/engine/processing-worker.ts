import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteStore } from '../adapters/sqlite/index.js';
import { WriteGate } from '../adapters/sqlite/write-gate.js';
import type { Config } from '../config.js';
import { systemClock } from '../ports/clock.js';
import { definitionCaches, processorOf } from './processing.js';
import type { FromProcessing, ToProcessing } from './processing-thread.js';

/**
 * The processing thread (see `ProcessingThread`): its own store over the hub's data directory (the
 * hub's store runs the checkpoints and the migrations), its own caches of definitions, the processor.
 */
const port = parentPort;
if (port === null) throw new Error('processing-worker.js runs as a worker thread');
const { config, gate: buffer } = workerData as { config: Config; gate: SharedArrayBuffer };
const gate = new WriteGate(buffer);
const store = openSqliteStore(config.dataDir, config.durability, { checkpoints: false, gate: { gate, side: 'processing' } });
const caches = definitionCaches(store);
const post = (m: FromProcessing): void => port.postMessage(m);
const processor = processorOf(store, config, systemClock, caches, {
  processed: (events, cursor) => post({ kind: 'batch', events, cursor }),
  failed: (e) => post({ kind: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
}, gate);

await processor.start();
// Messages sent meanwhile wait in the port until this listener is attached.
port.on('message', (m: ToProcessing) => {
  switch (m.kind) {
    case 'head':
      return processor.notify(m.head);
    case 'changed':
      return processor.changed();
    case 'idle':
      return void processor.whenIdle().then(() => post({ kind: 'idle', id: m.id }));
    case 'stop':
      return void processor.stop().then(async () => {
        await store.close();
        port.close();
      });
  }
});
post({ kind: 'started', ...processor.position });
