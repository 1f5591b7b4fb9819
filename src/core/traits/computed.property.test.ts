import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, Aggregate, emptyState, entryOf, expire, recompute, valueOf, type ComputedTrait, type TraitState } from './computed.js';

const MIN = 60_000;
const event = fc.record({
  event: fc.constantFrom('Order Completed', 'Page Viewed'),
  ts: fc.integer({ min: 0, max: 600 * MIN }),
  messageId: fc.uuid(),
  properties: fc.record({ revenue: fc.oneof(fc.integer({ min: -5, max: 50 }), fc.constant('n/a')), sku: fc.constantFrom('A', 'B', 'C') }, { requiredKeys: [] }),
});
const trait = fc.record({
  aggregate: fc.constantFrom(...Aggregate.options),
  property: fc.constantFrom('revenue', 'sku'),
  window: fc.option(fc.record({ amount: fc.integer({ min: 0, max: 240 }), unit: fc.constant('minutes' as const) }), { nil: undefined }),
}).map((t): ComputedTrait => ({ name: 't', event: 'Order Completed', ...t, property: t.aggregate === 'count' ? undefined : t.property }));

describe('computed traits: incremental equals full recomputation at every point of a virtual clock', () => {
  it('for random event streams (arriving out of order) and random aggregates and windows', () => {
    fc.assert(
      fc.property(trait, fc.array(event, { maxLength: 40 }), fc.array(fc.integer({ min: 0, max: 900 * MIN }), { maxLength: 10 }), (t, events, probes) => {
        // Events arrive in a random order; each is applied when it arrives (at its own time or later).
        const arrivals = [...events].sort((a, b) => a.messageId.localeCompare(b.messageId));
        let state: TraitState = emptyState(t);
        let clock = 0;
        const seen: typeof events = [];
        for (const e of arrivals) {
          clock = Math.max(clock, e.ts);
          state = expire(t, state, clock);
          const entry = entryOf(t, e, clock);
          if (entry && (!t.window || entry[0] >= clock - t.window.amount * MIN)) state = add(t, state, entry);
          seen.push(e);
          expect(valueOf(t, state, clock).value).toEqual(recompute(t, seen, clock));
        }
        // Then time passes with no event: every change happens at the instant valueOf announced.
        for (const probe of [...probes].sort((a, b) => a - b)) {
          if (probe < clock) continue;
          let r = valueOf(t, state, clock);
          while (r.changesAt !== undefined && r.changesAt <= probe) {
            clock = r.changesAt;
            state = expire(t, state, clock);
            r = valueOf(t, state, clock);
          }
          clock = probe;
          state = expire(t, state, clock);
          expect(valueOf(t, state, clock).value).toEqual(recompute(t, seen, clock));
          expect(valueOf(t, state, clock).value).toEqual(r.value);
        }
      }),
      { numRuns: 400 },
    );
  });
});
