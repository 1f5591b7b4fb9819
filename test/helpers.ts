import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../src/api/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { startHub, type Hub } from '../src/engine/hub.js';
import { bootstrapKeys } from '../src/engine/keys.js';
import type { Clock } from '../src/ports/clock.js';

export const WRITE_KEY = 'test-write-key';
export const ADMIN_KEY = 'test-admin-key';

export interface TestHub {
  readonly hub: Hub;
  readonly app: FastifyInstance;
  readonly dataDir: string;
  /** Waits until everything appended so far is processed. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** A real hub on a fresh temporary data directory (real SQLite files), with fixed keys; `clock` defaults to the system clock. */
export async function startTestHub(overrides: Partial<Config> = {}, clock?: Clock): Promise<TestHub> {
  const dataDir = mkdtempSync(join(tmpdir(), 'xhub-test-'));
  const config = { ...loadConfig({ dataDir }, {}), writeKey: WRITE_KEY, adminKey: ADMIN_KEY, ...overrides };
  const hub = await startHub(config, pino({ level: 'silent' }), clock);
  await bootstrapKeys(hub.store.workspaces, config);
  const app = buildApp(hub);
  await app.ready();
  return {
    hub,
    app,
    dataDir,
    settle: async () => hub.processor.processed(await hub.store.log.head()),
    close: async () => {
      await app.close();
      await hub.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const basic = (key = WRITE_KEY): string => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
export const bearer = (key = ADMIN_KEY): string => `Bearer ${key}`;
