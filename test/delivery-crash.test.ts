import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { client, crash, killAll, sleep, startServer } from './xhub-process.js';

/**
 * Dispatch survives a crash: `xhub serve` (a child process) delivers 300 signed webhooks to a slow
 * receiver, is SIGKILLed in the middle, and restarted: the receiver gets every action, and an action
 * it got twice came with the same idempotency key (`webhook-id`) and the same content, so a receiver
 * that de-duplicates by key sees each action once.
 */

const KEYS = { writeKey: 'dlv-crash-write', adminKey: 'dlv-crash-admin' };
const N = 300;
const dir = mkdtempSync(join(tmpdir(), 'xhub-dlv-crash-'));
let receiver: Server | undefined;
afterAll(() => {
  killAll();
  receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

const read = (req: IncomingMessage): Promise<string> => new Promise((resolve) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => resolve(body));
});

describe('delivery across a crash', () => {
  it('SIGKILL during dispatch, restart: none missing, none delivered twice under another key', async () => {
    const got: { id: string; body: string }[] = [];
    receiver = createServer((req, res) => {
      void read(req).then(async (body) => {
        await sleep(5);
        got.push({ id: String(req.headers['webhook-id']), body });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    process.env.XHUB_ALLOW_DESTINATIONS = '127.0.0.1';

    let server = await startServer(dir, KEYS);
    const api = client(server, KEYS);
    await api.admin('POST', '/v1/contributors', {
      id: 'partner', name: 'Partner', role: 'experienceConnector', kind: 'webhook', provider: 'webhook', channels: ['webhook'], default: true, concurrency: 2,
      settings: { url }, credentials: { secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] },
    });
    await api.admin('PUT', '/v1/templates/ping', { channel: 'webhook', payload: { user: '{{ profile.name }}', order: '{{ event.order }}' } });
    await api.admin('POST', '/v1/journeys', {
      id: 'notify', name: 'Notify', owner: 'ops@example.com', team: 'Platform', entry: { event: 'Ordered' }, start: 'hook',
      steps: { hook: { kind: 'action', channel: 'webhook', template: 'ping', purpose: 'transactional', next: 'end' }, end: { kind: 'exit' } },
    });
    await api.admin('POST', '/v1/journeys/notify/publish');
    const now = new Date().toISOString();
    await api.send(Array.from({ length: N }, (_, i) => ({ type: 'track', userId: `u${i}`, event: 'Ordered', properties: { order: `o-${i}` }, context: { traits: { name: `User ${i}` } }, timestamp: now })));

    const deadline = Date.now() + 20_000;
    while (got.length < 40 && Date.now() < deadline) await sleep(2);
    await crash(server);
    const atKill = got.length;
    expect(atKill, 'killed in the middle of dispatch').toBeLessThan(N);

    server = await startServer(dir, KEYS);
    const end = Date.now() + 60_000;
    while (new Set(got.map((g) => g.id)).size < N && Date.now() < end) await sleep(20);
    await sleep(200);
    const byId = new Map<string, Set<string>>();
    for (const g of got) byId.set(g.id, (byId.get(g.id) ?? new Set()).add(g.body));
    expect(byId.size, 'every action arrived').toBe(N);
    expect([...byId.values()].every((bodies) => bodies.size === 1), 'a repeat carries the same content').toBe(true);
    expect(new Set(got.map((g) => g.body)).size, 'no action under two keys').toBe(N);
    expect(new Set(got.map((g) => JSON.parse(g.body).order as string)).size).toBe(N);
    expect(await client(server, KEYS).admin('GET', '/v1/contributors/partner')).toMatchObject({ health: { queueDepth: 0 } });
  }, 120_000);
});
