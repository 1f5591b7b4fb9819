import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** `xhub serve` as a child process (the built CLI), for crash and end-to-end tests over real sockets. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly base: string;
  readonly exited: Promise<void>;
  readonly output: () => string;
}

const children = new Set<ChildProcess>();

/** SIGKILLs every server still running (call from `afterAll`). */
export function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Health {
  readonly status: string;
  readonly log: { readonly head: number; readonly processed: number; readonly lag: number };
}

/** `/health`, or undefined while the server does not answer. */
export async function health(base: string): Promise<Health | undefined> {
  try {
    const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2_000) });
    return res.ok ? ((await res.json()) as Health) : undefined;
  } catch {
    return undefined;
  }
}

/** Spawns `xhub serve --data dir [args]` on a free port with fixed keys; `healthy()` resolves once `/health` answers. */
export async function spawnServer(
  dataDir: string,
  keys: { writeKey: string; adminKey: string },
  args: readonly string[] = [],
): Promise<ServerProcess & { healthy: (timeoutMs?: number) => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/cli/main.js', 'serve', '--data', dataDir, '--port', String(port), ...args], {
    env: { ...process.env, XHUB_WRITE_KEY: keys.writeKey, XHUB_ADMIN_KEY: keys.adminKey, XHUB_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  const keep = (b: Buffer): void => void (out = (out + b.toString()).slice(-4_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    children.delete(child);
    resolve();
  }));
  const base = `http://127.0.0.1:${port}`;
  const healthy = async (timeoutMs = 20_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`xhub serve exited at start:\n${out}`);
      if ((await health(base))?.status === 'ok') return;
      if (Date.now() > deadline) throw new Error(`xhub serve did not become healthy:\n${out}`);
      await sleep(25);
    }
  };
  return { child, base, exited, output: () => out, healthy };
}

/** Starts `xhub serve --data dir` and resolves once `/health` answers. */
export async function startServer(dataDir: string, keys: { writeKey: string; adminKey: string }, timeoutMs = 20_000): Promise<ServerProcess> {
  const server = await spawnServer(dataDir, keys);
  await server.healthy(timeoutMs);
  return server;
}

/** SIGKILL: no shutdown hook runs, nothing is flushed; answers once the process is gone. */
export async function crash(server: ServerProcess): Promise<void> {
  server.child.kill('SIGKILL');
  await server.exited;
  if (server.child.signalCode !== 'SIGKILL') throw new Error(`xhub serve ended before the kill:\n${server.output()}`);
}

/** A client of a spawned server's HTTP API with its keys: admin calls (throw on a non-2xx answer) and batches that must be accepted. */
export function client(s: ServerProcess, keys: { writeKey: string; adminKey: string }) {
  const call = async (path: string, init: RequestInit): Promise<string> => {
    const res = await fetch(`${s.base}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text}`);
    return text;
  };
  return {
    admin: async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const headers = { authorization: `Bearer ${keys.adminKey}`, 'content-type': 'application/json' };
      return JSON.parse(await call(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })) as T;
    },
    send: async (batch: unknown[]): Promise<void> => {
      const headers = { authorization: `Basic ${Buffer.from(`${keys.writeKey}:`).toString('base64')}`, 'content-type': 'application/json' };
      await call('/v1/batch', { method: 'POST', headers, body: JSON.stringify({ batch }) });
    },
  };
}
