import { pino } from 'pino';
import { loadConfig } from '../config.js';
import { startHub, type Hub } from '../engine/hub.js';

/** Options of the commands that work directly on a data directory (`xhub segments`, `xhub journeys`). */
export interface HubOptions {
  data?: string;
  config?: string;
  workspace: string;
}

/** Runs `fn` on a hub over the data directory (like `xhub profile`): the log is processed first. */
export async function withHub(opts: HubOptions, fn: (hub: Hub) => Promise<void>): Promise<void> {
  const config = loadConfig({ dataDir: opts.data, config: opts.config }, process.env);
  const hub = await startHub(config, pino({ level: 'warn' }));
  try {
    await hub.processor.processed(await hub.store.log.head());
    await fn(hub);
  } catch (e) {
    process.exitCode = 1;
    console.error((e as Error).message);
  } finally {
    await hub.close();
  }
}
