import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { client, killAll, sleep, spawnServer } from './xhub-process.js';

const dir = mkdtempSync(join(tmpdir(), 'xhub-demo-'));
afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});
const keys = { writeKey: 'demo-write', adminKey: 'demo-admin' };

interface Decisions { items: { policyVersion: number; candidates: { journeyId: string; outcome: string; rule: string | null }[] }[] }

describe('xhub serve --demo', () => {
  it('loads the demo under the example policy: the opted-in review request goes, the other is rejected for consent, and the trace says so', async () => {
    const server = await spawnServer(dir, keys, ['--demo']);
    await server.healthy();
    const deadline = Date.now() + 30_000;
    while (!server.output().includes('Send your own events') && Date.now() < deadline) await sleep(50);
    expect(server.output()).toContain('npx xhub why email carol@example.com');
    const api = client(server, keys);
    expect(await api.admin('GET', '/v1/policy')).toMatchObject({ version: 1, policy: { optIn: ['marketing'] } });
    const decisions = async (email: string) => {
      const p = await api.admin<{ id: string }>('GET', `/v1/profiles/by/email/${email}`);
      return (await api.admin<Decisions>('GET', `/v1/profiles/${p.id}/decisions`)).items;
    };
    const [carol] = await decisions('carol@example.com');
    expect(carol?.candidates).toEqual([expect.objectContaining({ journeyId: 'post-purchase-review', outcome: 'rejected', rule: 'consent:marketing:email' })]);
    const [ada] = await decisions('ada@example.com');
    // Sent, or deferred when the demo runs in Paris's quiet hours (21:00–08:00).
    expect(ada?.candidates[0]).toMatchObject({ journeyId: 'post-purchase-review', outcome: expect.stringMatching(/^(sent|deferred)$/) });
    expect(ada?.policyVersion).toBe(1);
  }, 60_000);
});
