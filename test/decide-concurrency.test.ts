import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ContactPolicy } from '../src/core/arbitration/policy.js';
import { DEFAULT_WORKSPACE } from '../src/engine/keys.js';
import { admin, basic, hubAt, sendBatch, settled, startTestHub, type TestHub } from './helpers.js';

/** Caps hold exactly when many decisions for one profile arrive at once, over a real socket. */

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const DAY = { amount: 1, unit: 'days' } as const;

interface Answer {
  decisionId: string;
  items: { id: string }[];
}

async function listen(t: TestHub): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on a port');
  return `http://127.0.0.1:${address.port}`;
}

async function decideAll(base: string, n: number, body: Record<string, unknown>): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const res = await fetch(`${base}/v1/decide`, { method: 'POST', headers: { authorization: basic(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(200);
      return (await res.json()) as Answer;
    }),
  );
}

function contacts(t: TestHub): { status: string; item_id: string }[] {
  const db = new Database(join(t.dataDir, 'state.db'), { readonly: true });
  try {
    return db.prepare('SELECT status, item_id FROM contacts').all() as { status: string; item_id: string }[];
  } finally {
    db.close();
  }
}

/** A hub processing inline on a virtual clock at T0 (closed after the test), or, with `thread`, on its processing thread and the system clock (the caller closes it). */
async function setUp(thread = false): Promise<{ t: TestHub; base: string }> {
  const t = thread ? await startTestHub() : (await hubAt(T0)).t;
  await sendBatch(t, [{ type: 'identify', userId: 'ada', traits: { plan: 'pro' }, messageId: 'i-ada', timestamp: new Date(T0).toISOString() }]);
  await settled(t);
  for (const [id, priority] of [['a', 90], ['b', 80], ['c', 70], ['d', 60], ['e', 50]] as const) {
    const res = await admin(t, 'POST', '/v1/content', { id, name: id, placement: 'home', content: { id }, priority, caps: id === 'a' ? [{ limit: 1, window: DAY }] : [] });
    expect(res.statusCode, res.body).toBe(201);
  }
  return { t, base: await listen(t) };
}

describe('decision API under concurrency', () => {
  it('50 concurrent decisions for one profile answer at most the policy cap (3 in-app a day), and the ledger holds exactly 3', async () => {
    const { t, base } = await setUp();
    await t.hub.store.policies.deploy(DEFAULT_WORKSPACE, ContactPolicy.parse({ optIn: [], caps: [{ id: 'inapp-daily', limit: 3, window: DAY, channel: 'inApp' }] }), T0);

    const answers = await decideAll(base, 50, { userId: 'ada', placement: 'home', limit: 2 });
    const answered = answers.flatMap((a) => a.items.map((i) => i.id));
    expect(answered.length).toBe(3);
    expect(answered.filter((id) => id === 'a')).toHaveLength(1);
    expect(new Set(answers.map((a) => a.decisionId)).size).toBe(50);
    const rows = contacts(t);
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.status === 'reserved')).toBe(true);

    const decided = await Promise.all(answers.map((a) => t.hub.store.decisions.get(DEFAULT_WORKSPACE, a.decisionId)));
    expect(decided.filter((d) => d?.candidates.some((c) => c.trace.rule === 'cap:inapp-daily'))).toHaveLength(answers.filter((a) => a.items.length < 2).length);
  });

  it("an item's own cap holds under the same load (one of 30 concurrent decisions gets it)", async () => {
    const { t, base } = await setUp();
    const answers = await decideAll(base, 30, { userId: 'ada', placement: 'home' });
    const answered = answers.flatMap((a) => a.items.map((i) => i.id));
    expect(answered.filter((id) => id === 'a')).toHaveLength(1);
    expect(answered).toHaveLength(30);
    expect(contacts(t).filter((r) => r.item_id === 'a')).toHaveLength(1);
  });

  it.each([
    ['processing inline', false],
    ['processing on its own thread, each on its connection to state.db', true],
  ])('decisions through the API and journeys at once, for one profile (%s): one cap over both never exceeded (3 marketing a day)', async (_, thread) => {
    const { t, base } = await setUp(thread);
    try {
      await t.hub.store.policies.deploy(DEFAULT_WORKSPACE, ContactPolicy.parse({ optIn: [], caps: [{ id: 'marketing-daily', limit: 3, window: DAY }] }), T0);
      const journey = {
        id: 'nudge', name: 'Nudge', owner: 'ada@example.com', team: 'CRM', entry: { event: 'Browsed' }, reentry: { mode: 'always' }, start: 'send',
        steps: { send: { kind: 'action', channel: 'email', template: 'nudge', next: 'end' }, end: { kind: 'exit' } },
      };
      expect((await admin(t, 'POST', '/v1/journeys', journey)).statusCode).toBe(201);
      expect((await admin(t, 'POST', '/v1/journeys/nudge/publish')).statusCode).toBe(200);

      const at = (i: number) => new Date(T0 + i).toISOString();
      const events = Array.from({ length: 20 }, (_, i) =>
        fetch(`${base}/v1/track`, { method: 'POST', headers: { authorization: basic(), 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'ada', event: 'Browsed', timestamp: at(i) }) })
          .then((r) => expect(r.status).toBe(200)));
      const [answers] = await Promise.all([decideAll(base, 30, { userId: 'ada', placement: 'home' }), ...events]);
      await settled(t);

      const rows = contacts(t);
      expect(rows).toHaveLength(3);
      const byDecisions = answers.flatMap((a) => a.items).length;
      const stats = (await admin(t, 'GET', '/v1/journeys/nudge/stats')).json<{ entered: number; actions: Record<string, number> }>();
      expect(stats.entered).toBe(20);
      expect(byDecisions + (stats.actions.sent ?? 0)).toBe(3);
      expect((stats.actions.rejected ?? 0) + (stats.actions.sent ?? 0)).toBe(20);
    } finally {
      if (thread) await t.close();
    }
  });
});
