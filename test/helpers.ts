import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, expect } from 'vitest';
import { VirtualClock } from '../src/adapters/clock/virtual.js';
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
  hub.dispatcher.start();
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

let current: TestHub | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

/** A test hub on a virtual clock at `now`, closed after the test. */
export async function hubAt(now: number): Promise<{ t: TestHub; clock: VirtualClock }> {
  const clock = new VirtualClock(now);
  current = await startTestHub({}, clock);
  return { t: current, clock };
}

/** An admin API request, in process. */
export const admin = (hub: TestHub, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  hub.app.inject({ method, url, headers: { authorization: bearer(), 'content-type': 'application/json' }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });

/** Sends calls through `/v1/batch` with the write key; they must be accepted. */
export async function sendBatch(hub: TestHub, batch: unknown[]): Promise<void> {
  const res = await hub.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic() }, payload: { batch } });
  expect(res.statusCode, res.body).toBe(200);
}

/** Everything appended processed, and the processor idle (timers and backfills done). */
export async function settled(hub: TestHub): Promise<void> {
  await hub.settle();
  await hub.hub.processor.whenIdle();
}
