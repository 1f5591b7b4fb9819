import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../conditions/evaluate.js';
import type { Condition } from '../conditions/schema.js';
import { recompute, type ComputedTrait } from '../traits/computed.js';
import { advance, byTime, EMPTY_AUDIENCE, sameAudience, type AudienceDefinitions, type AudienceState, type StoredEvent } from './audience.js';
import { orderSegments } from './dependencies.js';
import { rebuildStep, replayOf } from './batch.js';
import type { ProfileState } from '../profiles/profile.js';

const MIN = 60_000;
const minutes = (amount: number) => ({ amount, unit: 'minutes' as const });

const computed: ComputedTrait[] = [
  { name: 'orders_1h', event: 'Order Completed', aggregate: 'count', window: minutes(60) },
  { name: 'revenue_all', event: 'Order Completed', aggregate: 'sum', property: 'revenue' },
];

const segmentArb = fc.oneof(
  fc.record({ n: fc.integer({ min: 1, max: 3 }), w: fc.integer({ min: 0, max: 120 }) }).map(({ n, w }): Condition => ({
    kind: 'event', event: 'Order Completed', count: { op: 'atLeast', value: n }, within: { last: minutes(w) },
  })),
  fc.integer({ min: 1, max: 90 }).map((w): Condition => ({
    kind: 'sequence', first: { event: 'Product Added' }, thenNot: { event: 'Order Completed' }, within: minutes(w), sameProperties: ['cart'],
  })),
  fc.integer({ min: 0, max: 3 }).map((n): Condition => ({ kind: 'trait', source: 'computed', name: 'orders_1h', op: 'gte', value: n })),
  fc.integer({ min: 0, max: 40 }).map((v): Condition => ({ kind: 'trait', source: 'computed', name: 'revenue_all', op: 'gt', value: v })),
  fc.integer({ min: 0, max: 60 }).map((w): Condition => ({ kind: 'event', event: 'Page Viewed', count: { op: 'exactly', value: 0 }, within: { last: minutes(w) } })),
);

const eventArb = fc.record({
  event: fc.constantFrom('Order Completed', 'Product Added', 'Page Viewed'),
  gap: fc.integer({ min: 0, max: 40 }).map((m) => m * MIN), // whole minutes: arrivals often fall exactly on window edges
  late: fc.integer({ min: 0, max: 5 }).map((m) => m * MIN),
  revenue: fc.integer({ min: 0, max: 20 }),
  cart: fc.constantFrom('c1', 'c2'),
});

describe('segments: incremental memberships equal a full recomputation at every point of a virtual clock', () => {
  it('for random event sequences, definitions and timers', () => {
    fc.assert(
      fc.property(fc.array(segmentArb, { minLength: 1, maxLength: 4 }), fc.array(eventArb, { maxLength: 30 }), (conds, raw) => {
        const segments = conds.map((condition, i) => ({ id: `s${i}`, condition }));
        segments.push({ id: 'nested', condition: { kind: 'and', of: [{ kind: 'inSegment', segment: 's0' }, { kind: 'not', of: { kind: 'inSegment', segment: `s${conds.length - 1}` } }] } });
        const ordered = orderSegments(segments);
        if (!ordered.ok) throw new Error(ordered.error);
        const defs: AudienceDefinitions = { segments: ordered.value, computed };
        let t = 0;
        const events: StoredEvent[] = raw.map((r, i) => {
          t += r.gap;
          return { event: r.event, ts: t, messageId: `m${String(i).padStart(3, '0')}`, properties: { revenue: r.revenue, cart: r.cart } };
        });
        // Each event arrives a little late; arrivals and timers are processed in time order.
        const arrivals = events.map((e, i) => ({ at: e.ts + (raw[i]?.late ?? 0), e })).sort((a, b) => a.at - b.at);
        let state: AudienceState = EMPTY_AUDIENCE;
        let due: number | undefined;
        let now = 0;
        const seen: StoredEvent[] = [];
        const reference = (at: number): Set<string> => {
          const computedValues = Object.fromEntries(computed.map((c) => [c.name, recompute(c, seen, at)]));
          const members = new Set<string>();
          const history = seen.filter((e) => e.ts <= at).sort(byTime);
          for (const s of defs.segments) if (evaluate(s.condition, { traits: {}, computed: computedValues, events: history, segments: members }, at).value) members.add(s.id);
          return members;
        };
        const step = (e?: StoredEvent): void => {
          if (e) seen.push(e);
          const r = advance(state, defs, { traits: {} }, now, e ? [e] : []);
          state = r.state;
          due = r.nextDue;
          const members = new Set(Object.keys(state.members));
          expect(members).toEqual(reference(now));
          // Nothing changes before the announced instant: just before it, the memberships still hold.
          expect(reference((due ?? now + 10_000 * MIN) - 1)).toEqual(members);
        };
        for (const { at, e } of arrivals) {
          while (due !== undefined && due <= at) {
            now = Math.max(now, due);
            step();
          }
          now = Math.max(now, at);
          step(e);
        }
        for (let guard = 0; due !== undefined && guard < 200; guard++) {
          now = Math.max(now, due);
          step();
        }
        expect(due).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

const addedTraits: ComputedTrait[] = [
  { name: 'pages_30m', event: 'Page Viewed', aggregate: 'count', window: minutes(30) },
  { name: 'carts_all', event: 'Product Added', aggregate: 'distinctCount', property: 'cart' },
  { name: 'revenue_max_1h', event: 'Order Completed', aggregate: 'max', property: 'revenue', window: minutes(60) },
  // Changed definitions of existing traits: what was stored for them no longer holds.
  { name: 'orders_1h', event: 'Order Completed', aggregate: 'count', window: minutes(20) },
  { name: 'revenue_all', event: 'Product Added', aggregate: 'count' },
];

/** Segments that may name one or two earlier ones (`s<i>` names `s<j>`, j < i). */
const namingArb = (i: number): fc.Arbitrary<Condition> =>
  i === 0
    ? segmentArb
    : fc.oneof(
        segmentArb,
        fc.tuple(fc.integer({ min: 0, max: i - 1 }), segmentArb).map(([j, c]): Condition => ({ kind: 'and', of: [{ kind: 'inSegment', segment: `s${j}` }, c] })),
        fc.integer({ min: 0, max: i - 1 }).map((j): Condition => ({ kind: 'not', of: { kind: 'inSegment', segment: `s${j}` } })),
        fc.tuple(fc.integer({ min: 0, max: i - 1 }), fc.integer({ min: 0, max: i - 1 })).map(([j, k]): Condition => ({
          kind: 'or', of: [{ kind: 'inSegment', segment: `s${j}` }, { kind: 'not', of: { kind: 'inSegment', segment: `s${k}` } }],
        })),
      );

const profile: ProfileState = { id: 'p', workspaceId: 'ws', identifiers: [], traits: { values: {}, stamps: {} }, groups: [], mergedFrom: [], createdAt: 0, updatedAt: 0 };

describe('segments: a backfill that replays only the new definition equals a rebuild of every definition', () => {
  it('for random histories, a new, changed or named segment or computed trait, and a later backfill instant (once its timer has fired, if due)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((n) =>
          fc.tuple(
            fc.tuple(...Array.from({ length: n }, (_, i) => namingArb(i))),
            fc.oneof(
              namingArb(n).map((condition) => ({ segment: condition })),
              fc.tuple(fc.integer({ min: 0, max: n - 1 }), segmentArb).map(([k, condition]) => ({ changed: `s${k}`, condition })),
              fc.constantFrom(...addedTraits).map((trait) => ({ trait })),
            ),
          ),
        ),
        fc.array(eventArb, { maxLength: 30 }),
        fc.integer({ min: 0, max: 90 }).map((m) => m * MIN),
        ([conds, added], raw, later) => {
          const old: AudienceDefinitions = { segments: conds.map((condition, i) => ({ id: `s${i}`, condition })), computed };
          const changedId = 'changed' in added ? added.changed : 'new';
          const defs: AudienceDefinitions =
            'trait' in added
              ? { segments: old.segments, computed: [...computed.filter((c) => c.name !== added.trait.name), added.trait] }
              : 'changed' in added
                ? { segments: old.segments.map((s) => (s.id === changedId ? { id: s.id, condition: added.condition } : s)), computed }
                : { segments: [...old.segments, { id: 'new', condition: added.segment }], computed };
          let t = 0;
          const events: StoredEvent[] = raw.map((r, i) => {
            t += r.gap;
            return { event: r.event, ts: t, messageId: `m${String(i).padStart(3, '0')}`, properties: { revenue: r.revenue, cart: r.cart } };
          });
          const built = advance(EMPTY_AUDIENCE, old, { traits: {} }, t, events);
          const { replay, reads } = replayOf(defs, 'trait' in added ? { kind: 'computedTrait', name: added.trait.name } : { kind: 'segment', id: changedId });
          const now = t + later;
          const stored = { state: built.state, ...(built.nextDue === undefined ? {} : { nextDue: built.nextDue }) };
          const input = { definitions: () => defs, segmentNames: () => 'segment', context: () => new Map(), now };
          const backfill = rebuildStep([profile], new Map([['p', stored]]), new Map([['p', events.filter((e) => reads.has(e.event))]]), replay, input);
          // A backfill that leaves the audience as it was writes nothing: the stored row stays.
          const out = backfill.audiences[0] ?? stored;
          const rebuilt = advance({ events: {}, computed: {}, members: built.state.members }, defs, { traits: {} }, now, events);
          // Segments the backfill did not evaluate change when their stored timer fires: at once, when it is due.
          const settled = out.nextDue !== undefined && out.nextDue <= now ? advance(out.state, defs, { traits: {} }, now).state : out.state;
          expect(withPropertiesOf(settled, rebuilt.state)).toEqual(rebuilt.state);
          // What the backfill reports entering or leaving is so once settled (no entry its timer then takes back).
          for (const c of backfill.changes) expect([c.segmentId, c.segmentId in rebuilt.state.members]).toEqual([c.segmentId, c.kind === 'entered']);
          // No timer is lost: the backfill's is never later than the rebuild's.
          if (rebuilt.nextDue !== undefined) expect(out.nextDue).toBeLessThanOrEqual(rebuilt.nextDue);
        },
      ),
      { numRuns: 5000 },
    );
  });
});

/**
 * `a` with its stored events' properties cut to those `b` keeps of the same events: a kept event may
 * still carry a property only an earlier definition read (it ages out with the event); none is missing.
 */
function withPropertiesOf(a: AudienceState, b: AudienceState): AudienceState {
  const kept = new Map(Object.values(b.events).flat().map((e) => [e.messageId, Object.keys(e.properties)]));
  const events = Object.fromEntries(
    Object.entries(a.events).map(([name, list]) => [
      name,
      list.map((e) => ({ ...e, properties: Object.fromEntries(Object.entries(e.properties).filter(([k]) => kept.get(e.messageId)?.includes(k) ?? true)) })),
    ]),
  );
  return { ...a, events };
}

describe('sameAudience: a backfill writes an audience unless it holds the same', () => {
  const e = (messageId: string, properties: Record<string, unknown> = {}): StoredEvent => ({ event: 'Order Completed', ts: 5, messageId, properties });
  const computedState = { kind: 'all' as const, acc: { count: 1, sum: 2 } };
  const base: AudienceState = { events: { 'Order Completed': [e('a', { cart: 'c1' }), e('b')] }, computed: { revenue_all: computedState }, members: { s0: 1 } };
  it.each<[string, AudienceState, boolean]>([
    ['itself', base, true],
    ['equal events in new lists', { ...base, events: { 'Order Completed': [e('a', { cart: 'c1' }), e('b')] } }, true],
    ['an event more', { ...base, events: { 'Order Completed': [e('a', { cart: 'c1' }), e('b'), e('c')] } }, false],
    ['another event', { ...base, events: { 'Order Completed': [e('a', { cart: 'c1' }), e('c')] } }, false],
    ['a property more', { ...base, events: { 'Order Completed': [e('a', { cart: 'c1', revenue: 3 }), e('b')] } }, false],
    ['another property value', { ...base, events: { 'Order Completed': [e('a', { cart: 'c2' }), e('b')] } }, false],
    ['another property name', { ...base, events: { 'Order Completed': [e('a', { basket: 'c1' }), e('b')] } }, false],
    ['events of another name', { ...base, events: { 'Page Viewed': base.events['Order Completed'] as StoredEvent[] } }, false],
    ['a membership more', { ...base, members: { s0: 1, s1: 1 } }, false],
    ['another since', { ...base, members: { s0: 2 } }, false],
    ['a computed state changed', { ...base, computed: { revenue_all: { kind: 'all', acc: { count: 2, sum: 2 } } } }, false],
  ])('%s → %s', (_, other, same) => {
    expect(sameAudience(base, other)).toBe(same);
    expect(sameAudience(other, base)).toBe(same);
  });
});
