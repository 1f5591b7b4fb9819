import { readFileSync } from 'node:fs';
import { Analytics } from '@segment/analytics-node';
import { describe, expect, it } from 'vitest';
import { loadJourneyDir, parseJourneyFile } from '../src/cli/journey-files.js';
import { parseTemplate } from '../src/core/templates/template.js';
import { publishJourney, saveJourney } from '../src/engine/journeys.js';
import { DEFAULT_WORKSPACE } from '../src/engine/keys.js';
import { admin, hubAt, settled, WRITE_KEY, type TestHub } from './helpers.js';

/**
 * The abandoned-cart example end to end: events from the real Segment client, the example journey
 * (`examples/journeys/abandoned-cart.yaml`) waits, arbitration sends, the e-mail (the example
 * template) lands in the mailbox, its tracked link is clicked, the click comes back as an event, the
 * order arrives and the journey's goal is reached.
 */
const HOUR = 3_600_000;

async function send(url: string, calls: (a: Analytics) => void): Promise<void> {
  const analytics = new Analytics({ writeKey: WRITE_KEY, host: url, flushAt: 20, flushInterval: 60_000, maxRetries: 0, httpRequestTimeout: 5_000 });
  const errors: unknown[] = [];
  analytics.on('error', (e) => errors.push(e));
  calls(analytics);
  await analytics.closeAndFlush({ timeout: 10_000 });
  expect(errors).toEqual([]);
}

async function examples(t: TestHub, T0: number): Promise<void> {
  const templates = loadJourneyDir('examples/templates');
  if (!templates.ok) throw new Error(templates.error);
  for (const f of templates.value.files) {
    const parsed = parseTemplate(f.input);
    if (!parsed.ok) throw new Error(`${f.file}: ${JSON.stringify(parsed.error)}`);
    await t.hub.store.templates.put(DEFAULT_WORKSPACE, parsed.value, T0);
  }
  const file = 'examples/journeys/abandoned-cart.yaml';
  const journey = parseJourneyFile(file, readFileSync(file, 'utf8'));
  if (!journey.ok) throw new Error(JSON.stringify(journey.error));
  expect((await saveJourney(t.hub, DEFAULT_WORKSPACE, journey.value.input)).ok).toBe(true);
  expect((await publishJourney(t.hub, DEFAULT_WORKSPACE, 'abandoned-cart')).ok).toBe(true);
}

describe('end to end: the abandoned-cart example', () => {
  it('Segment client → journey waits → arbitration sends → mailbox → click → order → goal reached', async () => {
    // The hub's virtual clock starts at the real time: the SDK stamps `sentAt` with the real clock, and the
    // hub corrects event times by it (as Segment does), so the events are stamped now, in real time.
    const T0 = Date.now();
    const { t, clock } = await hubAt(T0);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    t.hub.links.publicUrl = url;
    // A capture contributor that tracks clicks (the built-in mailbox does not track).
    const capture = { id: 'capture', name: 'Capture with tracking', role: 'capabilityContributor', kind: 'email', provider: 'mailbox', channels: ['email', 'sms'], default: true, settings: { trackClicks: true } };
    expect((await admin(t, 'POST', '/v1/contributors', capture)).statusCode).toBe(201);
    await examples(t, T0);

    await send(url, (a) => {
      a.identify({ userId: 'ada', traits: { email: 'ada@example.com', firstName: 'Ada', consent: { marketing: true } } });
      a.track({ userId: 'ada', event: 'Cart Updated', properties: { cartId: 'c-1', itemCount: 2, total: 80, currency: 'EUR' } });
    });
    await settled(t);
    expect((await admin(t, 'GET', '/v1/mailbox')).json()).toEqual({ items: [] });

    clock.advanceTo(T0 + HOUR + 1000);
    await settled(t);
    await t.hub.dispatcher.whenIdle();
    const [mail] = (await admin(t, 'GET', '/v1/mailbox')).json<{ items: { to: string; subject: string; html: string; key: string }[] }>().items;
    expect(mail).toMatchObject({ to: 'ada@example.com', subject: 'You left something in your cart' });
    expect(mail?.html).toContain('80 EUR');
    const tracked = /href="([^"]*\/t\/c\/[^"]+)"/.exec(mail?.html ?? '')?.[1];
    expect(tracked).toBeDefined();

    const click = await fetch(tracked ?? '', { redirect: 'manual' });
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toBe('https://shop.example.com/cart/c-1');

    clock.advanceTo(T0 + HOUR + 5 * 60_000);
    await send(url, (a) => a.track({ userId: 'ada', event: 'Order Completed', properties: { cartId: 'c-1', total: 80 } }));
    await settled(t);

    const stats = (await admin(t, 'GET', '/v1/journeys/abandoned-cart/stats')).json<{ entered: number; goalReached: number; actions: Record<string, number> }>();
    expect(stats).toMatchObject({ entered: 1, goalReached: 1, actions: { sent: 1 } });
    const p = (await admin(t, 'GET', '/v1/profiles/by/userId/ada')).json<{ id: string }>();
    const events = (await admin(t, 'GET', `/v1/profiles/${p.id}/timeline?limit=100`)).json<{ items: { event?: string; properties?: Record<string, unknown> }[] }>().items.map((i) => i.event).reverse();
    expect(events.filter((e) => e?.startsWith('Message ') || e?.startsWith('Journey ') || e === 'Order Completed')).toEqual([
      'Journey Entered', 'Journey Action', 'Message Delivered', 'Message Clicked', 'Order Completed', 'Journey Goal Reached', 'Journey Exited',
    ]);
  });
});
