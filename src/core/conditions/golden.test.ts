import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate, type ConditionFacts, type FactEvent } from './evaluate.js';
import { parseCondition } from './validate.js';

const NOW = Date.parse('2026-06-15T12:00:00.000Z'); // a Monday
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const iso = (ms: number): string => new Date(ms).toISOString();

const traits = {
  plan: 'pro', age: 42, ageText: '42', score: 3.5, vip: true, vipText: 'true', nothing: null,
  email: 'Ada@Example.com', tags: ['outdoor', 'running'], address: { city: 'Lyon', zip: '69001' },
  signedUpAt: iso(NOW - 10 * DAY), renewalDate: iso(NOW + 3 * DAY), birthday: '1990-05-01', lastSeen: NOW - 2 * HOUR,
};
const ev = (event: string, ago: number, properties: Record<string, unknown> = {}): FactEvent => ({ event, ts: NOW - ago, properties });
const events: FactEvent[] = [
  ev('Order Completed', 40 * DAY, { revenue: 20, currency: 'EUR' }),
  ev('Order Completed', 20 * DAY, { revenue: 120, currency: 'EUR' }),
  ev('Order Completed', 2 * DAY, { revenue: 80, currency: 'USD' }),
  ev('Product Added', 3 * HOUR, { cart_id: 'c1', sku: 'TENT' }),
  ev('Product Added', 30 * MIN, { cart_id: 'c2', sku: 'BOOT' }),
  ev('Checkout Started', 20 * MIN, { cart_id: 'c2' }),
  ev('Page Viewed', -5 * MIN, {}), // in the future: not yet happened
].sort((a, b) => a.ts - b.ts);
const facts: ConditionFacts = {
  traits,
  groupTraits: [{ industry: 'Sports', employees: 12 }, { industry: 'Retail', employees: 900 }],
  computed: { orders_30d: 2, ltv: 220 },
  scores: { churn_30d: 0.82 },
  consent: { marketing: { email: true, sms: false } },
  events,
  segments: new Set(['seg_vip']),
  timezone: 'Europe/Paris',
  context: new Map([['weather\u0000Lyon', { value: { condition: 'rain', tempC: 9 }, validUntil: NOW + HOUR }]]),
};

type Case = readonly [name: string, condition: unknown, expected: boolean, changesAt?: number, at?: number, f?: ConditionFacts];
const t = (name: string, op: string, value: unknown, expected: boolean, extra: Record<string, unknown> = {}): Case =>
  [name, { kind: 'trait', name: extra.name ?? name.split(' ')[0], op, ...(value === undefined ? {} : { value }), ...extra }, expected];

const CASES: readonly Case[] = [
  // equality, type-aware
  t('plan equals string', 'equals', 'pro', true),
  t('plan equals other', 'equals', 'free', false),
  t('plan equals case differs', 'equals', 'PRO', false),
  t('plan equals caseInsensitive', 'equals', 'PRO', true, { caseInsensitive: true }),
  t('age equals number', 'equals', 42, true),
  t('ageText equals number (numeric string)', 'equals', 42, true),
  t('age equals numeric string', 'equals', '42', true),
  t('vip equals boolean', 'equals', true, true),
  t('vipText equals boolean', 'equals', true, true),
  t('vip equals number (wrong type)', 'equals', 1, false),
  t('missingTrait equals', 'equals', 'x', false),
  t('nothing equals (null)', 'equals', 'x', false),
  t('plan notEquals', 'notEquals', 'free', true),
  t('plan notEquals same', 'notEquals', 'pro', false),
  t('missingTrait notEquals (missing is not equal)', 'notEquals', 'x', true),
  t('plan in', 'in', ['free', 'pro'], true),
  t('plan in none', 'in', ['free', 'team'], false),
  t('age in numbers', 'in', [41, 42], true),
  t('plan notIn', 'notIn', ['free'], true),
  t('missingTrait notIn', 'notIn', ['free'], true),
  // presence
  t('plan exists', 'exists', undefined, true),
  t('nothing exists (null)', 'exists', undefined, false),
  t('missingTrait exists', 'exists', undefined, false),
  t('missingTrait missing', 'missing', undefined, true),
  t('nothing missing (null)', 'missing', undefined, true),
  t('plan missing', 'missing', undefined, false),
  // ordering
  t('age gt', 'gt', 41, true),
  t('age gt equal', 'gt', 42, false),
  t('age gte equal', 'gte', 42, true),
  t('age lt', 'lt', 43, true),
  t('age lte equal', 'lte', 42, true),
  t('ageText gt (numeric string)', 'gt', 40, true),
  t('plan gt number (wrong type)', 'gt', 1, false),
  t('missingTrait gt', 'gt', 1, false),
  t('score between inclusive low', 'between', [3.5, 4], true),
  t('score between inclusive high', 'between', [3, 3.5], true),
  t('score between outside', 'between', [4, 5], false),
  t('signedUpAt gt date', 'gt', iso(NOW - 11 * DAY), true),
  t('signedUpAt lt date', 'lt', iso(NOW - 11 * DAY), false),
  t('birthday between dates', 'between', ['1990-01-01', '1990-12-31'], true),
  // strings
  t('email contains', 'contains', 'example', false),
  t('email contains caseInsensitive', 'contains', 'EXAMPLE', true, { caseInsensitive: true }),
  t('email startsWith', 'startsWith', 'Ada@', true),
  t('email endsWith', 'endsWith', '.com', true),
  t('age startsWith (number is not a string)', 'startsWith', '4', false),
  t('tags contains element', 'contains', 'running', true),
  t('tags contains absent element', 'contains', 'swimming', false),
  t('email matches', 'matches', '^[a-z]+@example\\.com$', false),
  t('email matches class', 'matches', '^[A-Za-z]+@[A-Za-z]+\\.(com|org)$', true),
  t('email matches class, case matters', 'matches', '^[A-Za-z]+@[a-z]+\\.(com|org)$', false),
  t('email matches unanchored', 'matches', 'Exam', true),
  t('age matches (not a string)', 'matches', '4', false),
  ['nested path', { kind: 'trait', name: 'address.city', op: 'equals', value: 'Lyon' }, true],
  ['nested path missing', { kind: 'trait', name: 'address.country', op: 'exists' }, false],
  // dates relative to now, with the instant they change
  t('signedUpAt withinLast 10 days (at the edge)', 'withinLast', { amount: 10, unit: 'days' }, true, {}),
  t('signedUpAt withinLast 9 days', 'withinLast', { amount: 9, unit: 'days' }, false),
  t('renewalDate withinNext 3 days (edge)', 'withinNext', { amount: 3, unit: 'days' }, true),
  t('renewalDate withinNext 2 days', 'withinNext', { amount: 2, unit: 'days' }, false),
  t('lastSeen withinLast 3 hours (epoch ms)', 'withinLast', { amount: 3, unit: 'hours' }, true),
  t('signedUpAt before 7 days ago', 'before', { ago: { amount: 7, unit: 'days' } }, true),
  t('signedUpAt after 7 days ago', 'after', { ago: { amount: 7, unit: 'days' } }, false),
  t('renewalDate after absolute', 'after', iso(NOW), true),
  t('renewalDate before 5 days from now', 'before', { fromNow: { amount: 5, unit: 'days' } }, true),
  t('plan withinLast (not a date)', 'withinLast', { amount: 1, unit: 'days' }, false),
  t('lastSeen withinLast 7200 seconds (at the edge)', 'withinLast', { amount: 7200, unit: 'seconds' }, true, {}),
  t('lastSeen withinLast 7199 seconds', 'withinLast', { amount: 7199, unit: 'seconds' }, false),
  // other sources
  ['group trait any group', { kind: 'trait', source: 'group', name: 'industry', op: 'equals', value: 'Retail' }, true],
  ['group trait none', { kind: 'trait', source: 'group', name: 'employees', op: 'gt', value: 1000 }, false],
  ['computed trait', { kind: 'trait', source: 'computed', name: 'orders_30d', op: 'gte', value: 2 }, true],
  ['score', { kind: 'trait', source: 'score', name: 'churn_30d', op: 'gt', value: 0.8 }, true],
  ['consent path', { kind: 'trait', source: 'consent', name: 'marketing.email', op: 'equals', value: true }, true],
  ['consent refused', { kind: 'trait', source: 'consent', name: 'marketing.sms', op: 'equals', value: true }, false],
  // boolean logic
  ['and', { kind: 'and', of: [{ kind: 'trait', name: 'plan', op: 'equals', value: 'pro' }, { kind: 'trait', name: 'age', op: 'gt', value: 40 }] }, true],
  ['and short', { kind: 'and', of: [{ kind: 'trait', name: 'plan', op: 'equals', value: 'pro' }, { kind: 'trait', name: 'age', op: 'gt', value: 50 }] }, false],
  ['or', { kind: 'or', of: [{ kind: 'trait', name: 'plan', op: 'equals', value: 'free' }, { kind: 'trait', name: 'vip', op: 'equals', value: true }] }, true],
  ['not', { kind: 'not', of: { kind: 'trait', name: 'plan', op: 'equals', value: 'pro' } }, false],
  // events
  ['performed at least once (all time)', { kind: 'event', event: 'Order Completed' }, true],
  ['never performed', { kind: 'event', event: 'Refund Requested', count: { op: 'exactly', value: 0 } }, true],
  ['exactly 3 orders', { kind: 'event', event: 'Order Completed', count: { op: 'exactly', value: 3 } }, true],
  ['at most 2 orders', { kind: 'event', event: 'Order Completed', count: { op: 'atMost', value: 2 } }, false],
  ['orders in the last 30 days (leaves when the 20-day-old one expires)', { kind: 'event', event: 'Order Completed', count: { op: 'atLeast', value: 2 }, within: { last: { amount: 30, unit: 'days' } } }, true, NOW + 10 * DAY + 1],
  ['order with property filter', { kind: 'event', event: 'Order Completed', where: [{ property: 'revenue', op: 'gt', value: 100 }] }, true],
  ['order with two filters', { kind: 'event', event: 'Order Completed', where: [{ property: 'revenue', op: 'gt', value: 50 }, { property: 'currency', op: 'equals', value: 'USD' }], within: { last: { amount: 7, unit: 'days' } } }, true, NOW + 5 * DAY + 1],
  ['added within the last 1800 seconds (at the edge, leaves 1 ms later)', { kind: 'event', event: 'Product Added', within: { last: { amount: 1800, unit: 'seconds' } } }, true, NOW + 1],
  ['orders between dates', { kind: 'event', event: 'Order Completed', within: { between: [iso(NOW - 45 * DAY), iso(NOW - 30 * DAY)] } }, true],
  ['future event not counted yet', { kind: 'event', event: 'Page Viewed' }, false, NOW + 5 * MIN],
  ['future event within the last 3 s: not yet, re-evaluated at its instant', { kind: 'event', event: 'Page Viewed', within: { last: { amount: 3, unit: 'seconds' } } }, false, NOW + 5 * MIN],
  ['future event within the last 3 s: counted from its instant for 3 s', { kind: 'event', event: 'Page Viewed', within: { last: { amount: 3, unit: 'seconds' } } }, true, NOW + 5 * MIN + 3001, NOW + 5 * MIN],
  ['sequence whose first event is future-dated: re-evaluated at its instant', { kind: 'sequence', first: { event: 'Page Viewed' }, thenNot: { event: 'Order Completed' }, within: { amount: 1, unit: 'minutes' } }, false, NOW + 5 * MIN],
  ['sequence from a future-dated first event: elapses D after it', { kind: 'sequence', first: { event: 'Page Viewed' }, thenNot: { event: 'Order Completed' }, within: { amount: 1, unit: 'minutes' } }, false, NOW + 6 * MIN, NOW + 5 * MIN],
  ['abandoned cart: added, no checkout within 1h (c1 is older, latest add is c2)', { kind: 'sequence', first: { event: 'Product Added' }, thenNot: { event: 'Checkout Started' }, within: { amount: 1, unit: 'hours' }, sameProperties: ['cart_id'] }, false],
  ['abandoned cart pending: not yet elapsed', { kind: 'sequence', first: { event: 'Product Added' }, thenNot: { event: 'Order Completed' }, within: { amount: 1, unit: 'hours' } }, false, NOW + 30 * MIN],
  ['abandoned cart elapsed', { kind: 'sequence', first: { event: 'Product Added', where: [{ property: 'sku', op: 'equals', value: 'BOOT' }] }, thenNot: { event: 'Order Completed' }, within: { amount: 30, unit: 'minutes' } }, true],
  // segments, local time, context
  ['in segment', { kind: 'inSegment', segment: 'seg_vip' }, true],
  ['not in segment', { kind: 'inSegment', segment: 'seg_churn' }, false],
  ['local time 13:00-14:00 in Paris (12:00Z = 14:00 CEST → false)', { kind: 'localTime', from: '13:00', to: '14:00' }, false, Date.parse('2026-06-16T11:00:00Z')],
  ['local time 14:00-15:00 in Paris', { kind: 'localTime', from: '14:00', to: '15:00' }, true, Date.parse('2026-06-15T13:00:00Z')],
  ['weekday monday', { kind: 'localTime', days: ['mon'] }, true, Date.parse('2026-06-15T22:00:00Z')],
  ['overnight window 22:00-06:00', { kind: 'localTime', from: '22:00', to: '06:00' }, false, Date.parse('2026-06-15T20:00:00Z')],
  ['context weather in profile city', { kind: 'context', dimension: 'weather', keyTrait: 'address.city', field: 'condition', op: 'equals', value: 'rain' }, true, NOW + HOUR + 1],
  ['context expired', { kind: 'context', dimension: 'weather', keyTrait: 'address.city', field: 'condition', op: 'equals', value: 'rain' }, false, undefined, NOW + HOUR + 1],
  ['context for unknown key', { kind: 'context', dimension: 'weather', keyTrait: 'plan', field: 'condition', op: 'exists' }, false],
];

describe('condition language golden cases', () => {
  it('has at least 80 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(80));
  for (const [name, input, expected, changesAt, at = NOW, f = facts] of CASES) {
    it(name, () => {
      const parsed = parseCondition(input);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
      const r = evaluate(parsed.value, f, at);
      expect(r.value).toBe(expected);
      if (changesAt !== undefined) expect(r.changesAt).toBe(changesAt);
    });
  }
});

describe('window boundaries: exactly at the edge, one millisecond before and after', () => {
  const bought = (ago: number): ConditionFacts => ({ traits: {}, events: [ev('Order Completed', ago)] });
  const last30 = { kind: 'event', event: 'Order Completed', within: { last: { amount: 30, unit: 'days' } } } as const;
  it.each([
    [30 * DAY - 1, true],
    [30 * DAY, true],
    [30 * DAY + 1, false],
  ])('event %i ms ago', (ago, expected) => expect(evaluate(last30, bought(ago), NOW).value).toBe(expected));
  it('the instant it changes is exactly 30 days + 1 ms after the event, and it is false from then on', () => {
    const r = evaluate(last30, bought(DAY), NOW);
    expect(r.changesAt).toBe(NOW - DAY + 30 * DAY + 1);
    expect(evaluate(last30, bought(DAY), (r.changesAt as number) - 1).value).toBe(true);
    expect(evaluate(last30, bought(DAY), r.changesAt as number).value).toBe(false);
  });
  const last3s = { kind: 'event', event: 'Order Completed', within: { last: { amount: 3, unit: 'seconds' } } } as const;
  it.each([
    [3000 - 1, true],
    [3000, true],
    [3000 + 1, false],
  ])('seconds: event %i ms ago, within the last 3 seconds', (ago, expected) => expect(evaluate(last3s, bought(ago), NOW).value).toBe(expected));
  it('a 3-second window runs out exactly 3 s + 1 ms after the event', () => expect(evaluate(last3s, bought(0), NOW).changesAt).toBe(NOW + 3001));
  const seen = (ms: number): ConditionFacts => ({ traits: { lastSeen: iso(ms) } });
  const within = { kind: 'trait', name: 'lastSeen', op: 'withinLast', value: { amount: 1, unit: 'hours' } } as const;
  it.each([
    [HOUR - 1, true],
    [HOUR, true],
    [HOUR + 1, false],
  ])('trait date %i ms ago', (ago, expected) => expect(evaluate(within, seen(NOW - ago), NOW).value).toBe(expected));
});

describe('time zones and DST', () => {
  const morning = { kind: 'localTime', from: '09:00', to: '10:00' } as const;
  it('09:00 in New York is 13:00Z in summer and 14:00Z in winter', () => {
    const ny: ConditionFacts = { traits: {}, timezone: 'America/New_York' };
    expect(evaluate(morning, ny, Date.parse('2026-07-01T13:30:00Z')).value).toBe(true);
    expect(evaluate(morning, ny, Date.parse('2026-12-01T13:30:00Z')).value).toBe(false);
    expect(evaluate(morning, ny, Date.parse('2026-12-01T14:30:00Z')).value).toBe(true);
  });
  it('across the spring-forward night the next 09:00 is 23 hours after the previous one', () => {
    const paris: ConditionFacts = { traits: {}, timezone: 'Europe/Paris' };
    const saturday0930 = Date.parse('2026-03-28T08:30:00Z'); // 09:30 CET
    const r = evaluate(morning, paris, saturday0930);
    expect(r.value).toBe(true);
    expect(r.changesAt).toBe(Date.parse('2026-03-28T09:00:00Z')); // 10:00 CET
    const next = evaluate(morning, paris, r.changesAt as number);
    expect(next.changesAt).toBe(Date.parse('2026-03-29T07:00:00Z')); // 09:00 CEST
  });
  it('across the fall-back night the next 09:00 is 25 hours after the previous one', () => {
    const paris: ConditionFacts = { traits: {}, timezone: 'Europe/Paris' };
    const r = evaluate(morning, paris, Date.parse('2026-10-24T08:30:00Z')); // 10:30 CEST
    expect(r.value).toBe(false);
    expect(r.changesAt).toBe(Date.parse('2026-10-25T08:00:00Z')); // 09:00 CET
  });
});

describe('a localTime answer is remembered over the span it holds', () => {
  const zones = ['Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'UTC'];
  const condition = fc.record({
    from: fc.option(fc.constantFrom('00:00', '02:30', '09:00', '21:00', '23:45'), { nil: undefined }),
    to: fc.option(fc.constantFrom('01:00', '03:00', '10:00', '22:00'), { nil: undefined }),
    days: fc.option(fc.subarray(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const, { minLength: 1 }), { nil: undefined }),
  });
  it('along increasing instants across DST changes, the condition object evaluated again answers as a fresh one', () => {
    // A step is a duration, or (null) a jump to the instant the last answer said it changes, or (-1) one millisecond before it.
    const step = fc.oneof(fc.integer({ min: 0, max: 40 * HOUR }), fc.constantFrom(null, -1));
    fc.assert(
      fc.property(condition, fc.constantFrom(...zones), fc.array(step, { minLength: 1, maxLength: 40 }), (parts, zone, steps) => {
        const c = { kind: 'localTime', ...parts } as const;
        const facts: ConditionFacts = { traits: {}, timezone: zone };
        let now = Date.parse('2026-03-26T00:00:00Z'); // the week of the spring-forward night in Europe
        let changesAt: number | undefined;
        for (const s of steps) {
          now = s === null || s === -1 ? Math.max(now, (changesAt ?? now) + (s === null ? 0 : -1)) : now + s;
          const answer = evaluate(c, facts, now);
          expect(answer, new Date(now).toISOString()).toEqual(evaluate({ ...c }, facts, now));
          changesAt = answer.changesAt;
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('invalid conditions name the path', () => {
  const bad = (input: unknown): { path: string; message: string }[] => {
    const r = parseCondition(input);
    if (r.ok) throw new Error('expected invalid');
    return r.error;
  };
  it('unknown operator', () => expect(bad({ kind: 'trait', name: 'plan', op: 'like', value: 'x' })[0]?.path).toBe('condition.op'));
  it('unknown kind', () => expect(bad({ kind: 'sql', query: 'drop' })[0]?.path).toBe('condition.kind'));
  it('wrong value type deep inside', () =>
    expect(bad({ kind: 'and', of: [{ kind: 'trait', name: 'a', op: 'exists' }, { kind: 'trait', name: 'age', op: 'gt', value: { n: 1 } }] })[0]?.path).toBe('condition.of[1].value'));
  it('unsafe pattern (backreference)', () => {
    const [e] = bad({ kind: 'trait', name: 'email', op: 'matches', value: '(a+)\\1' });
    expect(e).toEqual({ path: 'condition.value', message: expect.stringMatching(/backreferences are not supported/) });
  });
  it('look-around and counted repetition are refused', () => {
    expect(bad({ kind: 'trait', name: 'x', op: 'matches', value: '(?=a)b' })[0]?.message).toMatch(/look-arounds/);
    expect(bad({ kind: 'trait', name: 'x', op: 'matches', value: 'a{2,}' })[0]?.message).toMatch(/counted repetition/);
  });
  it('too deep', () => {
    let c: unknown = { kind: 'trait', name: 'a', op: 'exists' };
    for (let i = 0; i < 20; i++) c = { kind: 'not', of: c };
    expect(bad(c)[0]?.message).toMatch(/deeper than 12/);
  });
  it('unknown time unit', () => {
    const [e] = bad({ kind: 'trait', name: 'seen', op: 'withinLast', value: { amount: 2, unit: 'weeks' } });
    expect(e?.path).toBe('condition.value.unit');
  });
  it('bad local time and unknown weekday', () => {
    expect(bad({ kind: 'localTime', from: '25:00' })[0]).toEqual({ path: 'condition.from', message: 'must be HH:MM (24 h)' });
    expect(bad({ kind: 'localTime', days: ['monday'] })[0]?.path).toBe('condition.days[0]');
  });
});

describe('matches runs in linear time', () => {
  it('a pattern that makes backtracking engines explode answers at once', () => {
    const started = performance.now();
    const r = evaluate({ kind: 'trait', name: 's', op: 'matches', value: '^(a|a)*(a*)*b$' }, { traits: { s: 'a'.repeat(5000) } }, NOW);
    expect(r.value).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
