import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../src/adapters/clock/virtual.js';
import { DEFAULT_WORKSPACE } from '../src/engine/keys.js';
import { admin, sendBatch, settled, startTestHub, type TestHub } from './helpers.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const HOUR = 3_600_000;
let t: TestHub | undefined;
let receiver: Server | undefined;
afterEach(async () => {
  await t?.close();
  receiver?.closeAllConnections();
  receiver?.close();
});

async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('a webhook through the outbox and the dispatcher', () => {
  it('the partner answers 500, then times out, then 200: delivered once it answers, every attempt with the same webhook-id and a valid signature', async () => {
    const seen: { id: string; ok: boolean }[] = [];
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        let ok = true;
        try {
          new Webhook(SECRET).verify(body, req.headers as Record<string, string>);
        } catch {
          ok = false;
        }
        seen.push({ id: String(req.headers['webhook-id']), ok });
        if (seen.length === 1) res.writeHead(500).end();
        else if (seen.length === 2) return; // never answers: the hub's timeout
        else res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    const T0 = Date.now();
    const clock = new VirtualClock(T0);
    t = await startTestHub({ allowDestinations: ['127.0.0.1'] }, clock);
    const c = { id: 'partner', name: 'Partner', role: 'experienceConnector', kind: 'webhook', provider: 'webhook', channels: ['webhook'], default: true, settings: { url, timeoutMs: 300 }, credentials: { secrets: [SECRET] } };
    expect((await admin(t, 'POST', '/v1/contributors', c)).statusCode).toBe(201);
    expect((await admin(t, 'PUT', '/v1/templates/order', { channel: 'webhook', payload: { order: '{{ event.order }}' } })).statusCode).toBe(201);
    const journey = { id: 'notify', name: 'Notify', owner: 'ops@example.com', team: 'Ops', entry: { event: 'Ordered' }, start: 'hook', steps: { hook: { kind: 'action', channel: 'webhook', template: 'order', purpose: 'transactional', next: 'end' }, end: { kind: 'exit' } } };
    expect((await admin(t, 'POST', '/v1/journeys', journey)).statusCode).toBe(201);
    expect((await admin(t, 'POST', '/v1/journeys/notify/publish')).statusCode).toBe(200);
    await sendBatch(t, [{ type: 'track', userId: 'ada', event: 'Ordered', properties: { order: 'o-1' }, timestamp: new Date(T0).toISOString() }]);
    await settled(t);
    const row = async () => (await t?.hub.store.outbox.dead(DEFAULT_WORKSPACE, 10))?.[0] ?? (await t?.hub.store.outbox.due(Number.MAX_SAFE_INTEGER, 10, new Set()))?.[0];

    await until(async () => (await row())?.attempts === 1, 'the first attempt (500)');
    clock.advanceTo(T0 + HOUR);
    await until(async () => (await row())?.attempts === 2, 'the second attempt (timeout)');
    expect((await row())?.lastError).toMatch(/time/i);
    clock.advanceTo(T0 + 2 * HOUR);
    await until(() => seen.length === 3, 'the third attempt (200)');
    await t.hub.dispatcher.whenIdle();

    const key = seen[0]?.id ?? '';
    expect(seen).toEqual([{ id: key, ok: true }, { id: key, ok: true }, { id: key, ok: true }]);
    expect((await admin(t, 'GET', `/v1/outbox/${encodeURIComponent(key)}`)).json()).toMatchObject({ status: 'delivered', attempts: 3 });
  });
});
