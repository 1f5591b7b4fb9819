import { describe, expect, it } from 'vitest';
import type { Condition } from '../conditions/schema.js';
import { eventCatalogue, parseEventSchema } from '../events/event-schema.js';
import type { FieldError } from '../result.js';
import { parseJourney, type JourneyCatalogue } from './parse.js';

/** Journeys checked against the workspace's event schemas (its tracking plan), when it has any. */

const string = { type: 'string' } as const;
const number = { type: 'number' } as const;
const events = eventCatalogue([
  { event: 'Cart Updated', body: { properties: { cartId: string, total: number, items: { type: 'array' } } } },
  { event: 'Order Completed', body: { properties: { cartId: string, orderId: string, address: { type: 'object' } } } },
  { event: 'Signed Up', body: { properties: {} } },
]);
const withEvents: JourneyCatalogue = { segments: new Set(['vip']), contributors: new Set(), ...(events ? { events } : {}) };
const withoutEvents: JourneyCatalogue = { segments: new Set(['vip']), contributors: new Set() };
const hour = { amount: 1, unit: 'hours' } as const;

/** Cart Updated → wait for Order Completed (same cart) → done; timeout → nudge. */
function journey(more: Record<string, unknown> = {}, steps: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'abandoned-cart', name: 'Abandoned cart', owner: 'ana@example.com', team: 'growth',
    entry: { event: 'Cart Updated', where: [{ property: 'total', op: 'gt', value: 0 }] },
    start: 'await',
    steps: {
      await: { kind: 'waitFor', event: 'Order Completed', sameAsEntry: ['cartId'], timeout: hour, next: 'done', onTimeout: 'done' },
      done: { kind: 'exit' },
      ...steps,
    },
    ...more,
  };
}
const branchOn = (condition: Condition): Record<string, unknown> => journey({ start: 'check' }, {
  check: { kind: 'branch', branches: [{ condition, next: 'await' }], default: 'done' },
});

function errorsOf(input: unknown, cat = withEvents): FieldError[] {
  const r = parseJourney(input, cat);
  if (r.ok) throw new Error('expected the journey to be rejected');
  return r.error;
}
function expectAccepted(input: unknown, cat = withEvents): void {
  const r = parseJourney(input, cat);
  expect(r.ok ? [] : r.error).toEqual([]);
}
/** The one error, by exact path and (part of) its message. */
function expectOneError(input: unknown, path: string, message: string | RegExp): void {
  const errors = errorsOf(input);
  expect(errors, JSON.stringify(errors)).toHaveLength(1);
  expect(errors[0]?.path).toBe(path);
  expect(errors[0]?.message).toMatch(message);
}
const unknownEvent = (name: string) => new RegExp(`^names unknown event "${name}" \\(not in the workspace's event schemas\\)`);

describe('journeys against event schemas: events', () => {
  it('accepts a journey naming only declared events and properties', () => {
    expectAccepted(journey());
  });

  it('rejects an unknown entry event, naming entry.event', () => {
    expectOneError(journey({ entry: { event: 'Cart Updatd' } }), 'entry.event', unknownEvent('Cart Updatd'));
  });

  it('rejects an unknown waitFor event, naming steps.<id>.event, with the nearest declared name', () => {
    const input = journey({}, { await: { kind: 'waitFor', event: 'Order Shiped', timeout: hour, next: 'done', onTimeout: 'done' } });
    expectOneError(input, 'steps.await.event', unknownEvent('Order Shiped'));
    const misspelt = journey({}, { await: { kind: 'waitFor', event: 'order completed', timeout: hour, next: 'done', onTimeout: 'done' } });
    expectOneError(misspelt, 'steps.await.event', /did you mean "Order Completed"\?$/);
  });

  it('rejects an unknown goal event, naming goal.event.event', () => {
    expectOneError(journey({ goal: { event: { event: 'Order Placed' }, within: hour } }), 'goal.event.event', unknownEvent('Order Placed'));
  });

  it('rejects an unknown exit event, naming exit.events[i].event', () => {
    const input = journey({ exit: { events: [{ event: 'Order Completed' }, { event: 'Unsubscribed' }] } });
    expectOneError(input, 'exit.events[1].event', unknownEvent('Unsubscribed'));
  });

  it('rejects unknown events inside conditions: a branch, a nested event condition, a sequence, goal and exit conditions', () => {
    expectOneError(branchOn({ kind: 'event', event: 'Viewed Product' }), 'steps.check.branches[0].condition.event', unknownEvent('Viewed Product'));
    const nested: Condition = { kind: 'and', of: [{ kind: 'inSegment', segment: 'vip' }, { kind: 'not', of: { kind: 'event', event: 'Refunded' } }] };
    expectOneError(branchOn(nested), 'steps.check.branches[0].condition.of[1].of.event', unknownEvent('Refunded'));
    const sequence: Condition = { kind: 'sequence', first: { event: 'Cart Updated' }, thenNot: { event: 'Checkout Started' }, within: hour };
    expectOneError(branchOn(sequence), 'steps.check.branches[0].condition.thenNot.event', unknownEvent('Checkout Started'));
    const first: Condition = { kind: 'sequence', first: { event: 'Cart Viewed' }, thenNot: { event: 'Order Completed' }, within: hour };
    expectOneError(branchOn(first), 'steps.check.branches[0].condition.first.event', unknownEvent('Cart Viewed'));
    expectOneError(journey({ goal: { condition: { kind: 'event', event: 'Paid' }, within: hour } }), 'goal.condition.event', unknownEvent('Paid'));
    expectOneError(journey({ exit: { condition: { kind: 'event', event: 'Churned' } } }), 'exit.condition.event', unknownEvent('Churned'));
  });

  it('names every unknown event of a journey, each by its path', () => {
    const input = journey({ entry: { event: 'A' }, goal: { event: { event: 'B' }, within: hour } }, {
      await: { kind: 'waitFor', event: 'C', timeout: hour, next: 'done', onTimeout: 'done' },
    });
    expect(errorsOf(input).map((e) => e.path)).toEqual(['entry.event', 'goal.event.event', 'steps.await.event']);
  });

  it('accepts the hub\'s own events without a schema: segment entry and exit, journey events, page and screen views', () => {
    expectAccepted(journey({ entry: { segment: 'vip' } }, { await: { kind: 'waitFor', event: 'Segment Exited', sameAsEntry: ['segmentId'], timeout: hour, next: 'done', onTimeout: 'done' } }));
    expectAccepted(journey({ exit: { events: [{ event: 'Journey Exited', where: [{ property: 'reason', op: 'equals', value: 'completed' }] }] } }));
    expectAccepted(branchOn({ kind: 'or', of: [{ kind: 'event', event: 'Page Viewed', where: [{ property: 'path', op: 'startsWith', value: '/pricing' }] }, { kind: 'event', event: 'Screen Viewed' }] }));
    expectAccepted(journey({ goal: { event: { event: 'Segment Entered' }, within: hour } }));
  });

  it('checks nothing when the workspace has no event schema', () => {
    expect(eventCatalogue([])).toBeUndefined();
    const input = journey({ entry: { event: 'Anything', where: [{ property: 'colour', op: 'exists' }] }, goal: { condition: { kind: 'event', event: 'Whatever' }, within: hour } }, {
      await: { kind: 'waitFor', event: 'Order Shiped', sameAsEntry: ['x'], timeout: hour, next: 'done', onTimeout: 'done' },
    });
    expectAccepted(input, withoutEvents);
  });
});

describe('journeys against event schemas: properties', () => {
  it('rejects a where on an undeclared property, naming entry.where[i].property', () => {
    const input = journey({ entry: { event: 'Cart Updated', where: [{ property: 'total', op: 'gt', value: 0 }, { property: 'colour', op: 'equals', value: 'red' }] } });
    expectOneError(input, 'entry.where[1].property', /^"colour" is not a property of event "Cart Updated"$/);
  });

  it('rejects undeclared properties in waitFor, goal, exit and condition filters', () => {
    const filter = [{ property: 'coupon', op: 'exists' }];
    expectOneError(journey({}, { await: { kind: 'waitFor', event: 'Order Completed', where: filter, timeout: hour, next: 'done', onTimeout: 'done' } }), 'steps.await.where[0].property', /"coupon" is not a property of event "Order Completed"/);
    expectOneError(journey({ goal: { event: { event: 'Order Completed', where: filter }, within: hour } }), 'goal.event.where[0].property', /"coupon"/);
    expectOneError(journey({ exit: { events: [{ event: 'Order Completed', where: filter }] } }), 'exit.events[0].where[0].property', /"coupon"/);
    expectOneError(branchOn({ kind: 'event', event: 'Cart Updated', where: [{ property: 'coupon', op: 'exists' }] }), 'steps.check.branches[0].condition.where[0].property', /"coupon" is not a property of event "Cart Updated"/);
  });

  it('reads a dotted path by its first segment: address.city is declared by address', () => {
    expectAccepted(journey({ goal: { event: { event: 'Order Completed', where: [{ property: 'address.city', op: 'equals', value: 'Lyon' }] }, within: hour } }));
    expectOneError(journey({ goal: { event: { event: 'Order Completed', where: [{ property: 'shipping.city', op: 'exists' }] }, within: hour } }), 'goal.event.where[0].property', /"shipping.city" is not a property of event "Order Completed"/);
  });

  it('rejects a sameAsEntry property not declared on the waitFor event or on the entry event', () => {
    const waitFor = (sameAsEntry: string[]) => journey({}, { await: { kind: 'waitFor', event: 'Order Completed', sameAsEntry, timeout: hour, next: 'done', onTimeout: 'done' } });
    expectOneError(waitFor(['cartId', 'orderId']), 'steps.await.sameAsEntry[1]', /^"orderId" is not a property of event "Cart Updated"$/);
    expectOneError(waitFor(['total']), 'steps.await.sameAsEntry[0]', /^"total" is not a property of event "Order Completed"$/);
    expect(errorsOf(waitFor(['colour'])).map((e) => e.message)).toEqual([
      '"colour" is not a property of event "Order Completed"',
      '"colour" is not a property of event "Cart Updated"',
    ]);
  });

  it('rejects a sequence\'s sameProperties not declared on both of its events', () => {
    const sequence: Condition = { kind: 'sequence', first: { event: 'Cart Updated' }, thenNot: { event: 'Order Completed' }, within: hour, sameProperties: ['cartId', 'total'] };
    expectOneError(branchOn(sequence), 'steps.check.branches[0].condition.sameProperties[1]', /"total" is not a property of event "Order Completed"/);
  });

  it('does not report the properties of an unknown event again (its name is the error)', () => {
    expectOneError(journey({ entry: { event: 'Cart Upd', where: [{ property: 'colour', op: 'exists' }] } }), 'entry.event', unknownEvent('Cart Upd'));
  });
});

describe('event schemas', () => {
  it('parse a name and a body; errors name the event or the field', () => {
    const ok = parseEventSchema('Order Completed', { description: 'an order was paid', properties: { orderId: { type: 'string', required: true } } });
    expect(ok).toEqual({ ok: true, value: { event: 'Order Completed', body: { schemaVersion: 1, description: 'an order was paid', properties: { orderId: { type: 'string', required: true } } } } });
    const bad = parseEventSchema('x'.repeat(257), { properties: { total: { type: 'money' } }, colour: 1 });
    expect(bad.ok ? [] : bad.error.map((e) => e.path).sort()).toEqual(['colour', 'event', 'properties.total.type']);
    const missing = parseEventSchema('', {});
    expect(missing.ok ? [] : missing.error.map((e) => e.path).sort()).toEqual(['event', 'properties']);
  });
});
