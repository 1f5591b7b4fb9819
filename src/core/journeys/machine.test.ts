import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Condition } from '../conditions/schema.js';
import type { ProfileState } from '../profiles/profile.js';
import type { TraitStrategies } from '../profiles/traits.js';
import type { HubTimelineEvent } from '../segments/batch.js';
import { indexJourneys, journeyStep, statKey, type JourneyOutcome } from './batch.js';
import type { arbitrate } from '../arbitration/arbitrate.js';
import { DEFAULT_POLICY } from '../arbitration/decision.js';
import type { Candidate, CandidateOutcome } from './candidate.js';

/** Scripted answers in place of the central arbitration (its own tests are in core/arbitration). */
type Arbiter = (candidates: readonly Candidate[], now: number) => readonly CandidateOutcome[];
const scripted = (a: Arbiter): typeof arbitrate => (_profile, cs, _policy, _ledger, now) => {
  const outcomes = a(cs, now);
  const ranking = { priority: 1, propensity: 1, propensitySource: 'default', value: 1, score: 1 };
  return { outcomes: cs.map((c) => outcomes.find((o) => o.candidateId === c.id) ?? { candidateId: c.id, outcome: 'rejected', rule: 'arbitration:unanswered' }), traces: cs.map((c) => ({ candidateId: c.id, outcome: 'sent', ranking })), reserved: [] };
};
import { JourneyDefinition, WAITING_KINDS, type JourneyDefinitionInput } from './definition.js';
import { dueOf, transition, written } from './machine.js';
import type { JourneyEvent, JourneyState, MachineContext, RunnableJourney } from './state.js';
import { armOf } from './split.js';

const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;
/** Monday 2 March 2026, 10:00 UTC (11:00 in Paris). */
const T0 = Date.parse('2026-03-02T10:00:00Z');
const at = (iso: string): number => Date.parse(iso);

// ---------------------------------------------------------------------------------------------
// Builders

type Steps = JourneyDefinitionInput['steps'];
const days = (amount: number) => ({ amount, unit: 'days' as const });
const hours = (amount: number) => ({ amount, unit: 'hours' as const });
const minutes = (amount: number) => ({ amount, unit: 'minutes' as const });
const EXIT = { kind: 'exit' } as const;
const trait = (name: string, op: string, value?: unknown): Condition => ({ kind: 'trait', name, op, ...(value === undefined ? {} : { value }) }) as Condition;

/** A definition entered by the event `Go` unless told otherwise; the first step is `start`. */
function def(steps: Steps, more: Partial<JourneyDefinitionInput> = {}): JourneyDefinition {
  return JourneyDefinition.parse({ id: 'j', name: 'J', owner: 'ana', team: 'growth', entry: { event: 'Go' }, start: 'start', steps, ...more });
}
function runnable(d: JourneyDefinition, more: Partial<RunnableJourney> = {}): RunnableJourney {
  return { id: d.id, workspaceId: 'ws', name: d.name, status: 'live', liveVersion: 1, versions: new Map([[1, d]]), ...more };
}
/** Waits a day, then exits. */
const NAP: Steps = { start: { kind: 'wait', for: days(1), next: 'end' }, end: EXIT };

let messages = 0;
const ev = (event: string, ts: number, properties: Record<string, unknown> = {}): JourneyEvent => ({ event, ts, messageId: `m${String(++messages).padStart(6, '0')}`, properties });

function profileOf(id: string, traits: Record<string, unknown> = {}): ProfileState {
  return { id, workspaceId: 'ws', identifiers: [], traits: { values: traits, stamps: {} }, groups: [], mergedFrom: [], createdAt: 0, updatedAt: 0 };
}

/** One profile and its stored journey states, run through `journeyStep` on a virtual clock. */
class World {
  readonly states = new Map<string, { state: JourneyState; due?: number }>();
  readonly records: HubTimelineEvent[] = [];
  readonly decisions: { candidate: Candidate; outcome: CandidateOutcome }[] = [];
  profile: ProfileState;
  journeys: RunnableJourney[];
  arbiter: Arbiter | undefined;
  private decisionIds = 0;
  private readonly timezone: string | undefined;
  private readonly strategies: TraitStrategies;

  constructor(journeys: RunnableJourney[], opts: { arbiter?: Arbiter; traits?: Record<string, unknown>; timezone?: string; profileId?: string; strategies?: TraitStrategies } = {}) {
    this.journeys = journeys;
    this.arbiter = opts.arbiter;
    this.timezone = opts.timezone;
    this.strategies = opts.strategies ?? {};
    this.profile = profileOf(opts.profileId ?? 'p1', opts.traits);
  }

  get facts() {
    return { traits: this.profile.traits.values, ...(this.timezone === undefined ? {} : { timezone: this.timezone }) };
  }

  step(now: number, events: JourneyEvent[] = []): JourneyOutcome {
    const ws = indexJourneys(this.journeys);
    const out = journeyStep({
      profiles: [{ profile: this.profile, facts: this.facts, events, stored: new Map(this.states), contact: { ledger: [], suppressed: new Set() } }],
      journeys: () => ws, policy: () => DEFAULT_POLICY, newDecisionId: () => `d${++this.decisionIds}`,
      ...(this.arbiter ? { arbitrate: scripted(this.arbiter) } : {}), traitStrategies: this.strategies, now,
    });
    for (const w of out.states) this.states.set(w.journeyId, { state: w.state, ...(w.due === undefined ? {} : { due: w.due }) });
    for (const p of out.profiles) this.profile = p;
    this.records.push(...out.hubEvents);
    this.decisions.push(...out.decisions.flatMap((d) => d.candidates.map(({ candidate, outcome }) => ({ candidate, outcome }))));
    return out;
  }

  setTraits(traits: Record<string, unknown>): void {
    this.profile = { ...this.profile, traits: { values: { ...this.profile.traits.values, ...traits }, stamps: this.profile.traits.stamps } };
  }

  state(id = 'j'): JourneyState | undefined {
    return this.states.get(id)?.state;
  }
  due(id = 'j'): number | undefined {
    return this.states.get(id)?.due;
  }
  named(name: string): HubTimelineEvent[] {
    return this.records.filter((r) => r.body.event === name);
  }
  /** `step:reason` of each exit, in order. */
  exits(): string[] {
    return this.named('Journey Exited').map((r) => `${String(r.body.properties.step)}:${String(r.body.properties.reason)}`);
  }
}

const ctxOf = (journey: RunnableJourney, traits: Record<string, unknown> = {}, timezone?: string, profileId = 'p1'): MachineContext => ({
  journey, profileId, facts: { traits, ...(timezone === undefined ? {} : { timezone }) },
});
/** Enters through `transition` alone. */
function entered(ctx: MachineContext, e: JourneyEvent = ev('Go', T0)): JourneyState {
  const s = transition(undefined, { kind: 'event', event: e, at: e.ts }, ctx).state;
  if (!s) throw new Error('did not enter');
  return s;
}

// ---------------------------------------------------------------------------------------------

describe('entry', () => {
  it('enters on the entry event when its property filters pass, and records it', () => {
    const w = new World([runnable(def(NAP, { entry: { event: 'Cart Abandoned', where: [{ property: 'total', op: 'gte', value: 50 }] } }))]);
    w.step(T0, [ev('Cart Abandoned', T0, { total: 20 }), ev('Go', T0), ev('Cart Abandoned', T0, {})]);
    expect(w.state()).toBeUndefined();
    w.step(T0 + 5, [ev('Cart Abandoned', T0 + 5, { total: '80' })]);
    expect(w.state()).toMatchObject({ version: 1, status: 'active', step: 'start', since: T0 + 5, enteredAt: T0 + 5, entries: 1 });
    expect(w.due()).toBe(T0 + 5 + D);
    expect(w.records).toEqual([{
      workspaceId: 'ws', profileId: 'p1', ts: T0 + 5,
      body: { type: 'track', event: 'Journey Entered', properties: { journeyId: 'j', version: 1, journeyName: 'J', entries: 1, trigger: 'Cart Abandoned' } },
    }]);
  });

  it('enters by segment on a Segment Entered event for that segment only', () => {
    const j = runnable(def(NAP, { entry: { segment: 'vip' } }));
    expect([...indexJourneys([j]).entryEvents.keys()]).toEqual(['Segment Entered']);
    const w = new World([j]);
    w.step(T0, [ev('Segment Entered', T0, { segmentId: 'other' }), ev('vip', T0), ev('Segment Exited', T0, { segmentId: 'vip' })]);
    expect(w.state()).toBeUndefined();
    w.step(T0 + 1, [ev('Segment Entered', T0 + 1, { segmentId: 'vip', segmentName: 'VIP' })]);
    expect(w.state()).toMatchObject({ status: 'active', enteredAt: T0 + 1 });
    expect(w.named('Journey Entered')[0]?.body.properties.trigger).toBe('Segment Entered');
  });

  it('takes an event from the future at the processing instant', () => {
    const w = new World([runnable(def(NAP))]);
    w.step(T0, [ev('Go', T0 + H)]);
    expect(w.state()?.enteredAt).toBe(T0);
  });
});

describe('wait for a duration', () => {
  const twoHours = runnable(def({ start: { kind: 'wait', for: hours(2), next: 'end' }, end: EXIT }));

  it('fires exactly at the due instant and not 1 ms before', () => {
    const w = new World([twoHours]);
    w.step(T0, [ev('Go', T0)]);
    expect(w.due()).toBe(T0 + 2 * H);
    w.step(T0 + 2 * H - 1);
    expect(w.state()).toMatchObject({ status: 'active', step: 'start' });
    w.step(T0 + 2 * H);
    expect(w.state()).toMatchObject({ status: 'done', step: 'end', exitReason: 'completed', exitedAt: T0 + 2 * H });
    expect(w.exits()).toEqual(['end:completed']);
    expect(w.due()).toBeUndefined();
  });

  it('returns the same state object and no commands for an early timer', () => {
    const ctx = ctxOf(twoHours);
    const s = entered(ctx);
    const early = transition(s, { kind: 'timer', at: T0 + 2 * H - 1 }, ctx);
    expect(early.state).toBe(s);
    expect(early.commands).toEqual([]);
    expect(dueOf(s, ctx)).toBe(T0 + 2 * H);
  });

  it('a late timer continues from the due instant, not from the late one', () => {
    const ctx = ctxOf(runnable(def({ start: { kind: 'wait', for: hours(2), next: 'again' }, again: { kind: 'wait', for: hours(1), next: 'end' }, end: EXIT })));
    const late = transition(entered(ctx), { kind: 'timer', at: T0 + 10 * H }, ctx).state;
    expect(late).toMatchObject({ step: 'again', since: T0 + 2 * H });
    expect(dueOf(late, ctx)).toBe(T0 + 3 * H);
  });
});

describe('wait until a local time of day', () => {
  const nine = (days?: readonly string[]) => runnable(def({ start: { kind: 'wait', untilLocalTime: { time: '09:00', ...(days ? { days } : {}) }, next: 'end' }, end: EXIT } as Steps));

  it.each([
    ['before spring-forward, the next morning is summer time', '2026-03-28T10:00:00Z', '2026-03-29T07:00:00Z'],
    ['on the spring-forward day itself', '2026-03-29T05:00:00Z', '2026-03-29T07:00:00Z'],
    ['earlier the same day, still winter time', '2026-03-28T07:00:00Z', '2026-03-28T08:00:00Z'],
    ['before fall-back, the next morning is winter time', '2026-10-24T10:00:00Z', '2026-10-25T08:00:00Z'],
    ['on the fall-back night, before the repeated hour', '2026-10-24T23:30:00Z', '2026-10-25T08:00:00Z'],
  ])('Europe/Paris, %s', (_case, enter, expected) => {
    const w = new World([nine()], { timezone: 'Europe/Paris' });
    w.step(at(enter), [ev('Go', at(enter))]);
    expect(new Date(w.due() ?? 0).toISOString()).toBe(new Date(at(expected)).toISOString());
    w.step(at(expected) - 1);
    expect(w.state()?.status).toBe('active');
    w.step(at(expected));
    expect(w.state()).toMatchObject({ status: 'done', exitedAt: at(expected) });
  });

  it('only on the given days', () => {
    const w = new World([nine(['sat'])], { timezone: 'Europe/Paris' });
    w.step(T0, [ev('Go', T0)]);
    expect(w.due()).toBe(at('2026-03-07T08:00:00Z'));
  });

  // A wall time repeated on the fall-back night: its second occurrence counts when the first is past.
  it('from 02:00 (second time) on the fall-back night, 02:30 is 30 minutes later', () => {
    const w = new World([runnable(def({ start: { kind: 'wait', untilLocalTime: { time: '02:30' }, next: 'end' }, end: EXIT }))], { timezone: 'Europe/Paris' });
    w.step(at('2026-10-25T01:00:00Z'), [ev('Go', at('2026-10-25T01:00:00Z'))]);
    expect(w.due()).toBe(at('2026-10-25T01:30:00Z'));
  });

  it('in UTC without a time zone', () => {
    const w = new World([nine()]);
    w.step(T0, [ev('Go', T0)]);
    expect(w.due()).toBe(at('2026-03-03T09:00:00Z'));
  });

  // A wait reached at 09:00 sharp for 09:00 waits for the next day's (nextLocalTime is strictly after).
  it('a daily loop (wait until 09:00 → action → wait) proposes once a day', () => {
    const daily = runnable(def({ start: { kind: 'wait', untilLocalTime: { time: '09:00' }, next: 'send' }, send: { kind: 'action', channel: 'email', template: 'digest', next: 'start' } }));
    const w = new World([daily], { timezone: 'Europe/Paris' });
    w.step(T0, [ev('Go', T0)]);
    const nineAm = at('2026-03-03T08:00:00Z');
    w.step(nineAm);
    expect(w.decisions).toHaveLength(1);
    expect(w.state()).toMatchObject({ status: 'active', step: 'start' });
    expect(w.due()).toBe(nineAm + D);
  });
});

describe('wait until a date trait', () => {
  const renewal = (offset: { before?: ReturnType<typeof days>; after?: ReturnType<typeof days> }) => runnable(def({
    start: { kind: 'wait', untilTrait: { trait: 'renewalDate', ...offset }, next: 'remind' },
    remind: { kind: 'waitFor', event: 'Renewed', timeout: days(1), next: 'end', onTimeout: 'end' },
    end: EXIT,
  }));

  it('wakes 3 days before the date', () => {
    const w = new World([renewal({ before: days(3) })], { traits: { renewalDate: '2026-04-10T00:00:00Z' } });
    w.step(T0, [ev('Go', T0)]);
    expect(w.state()?.step).toBe('start');
    expect(w.due()).toBe(at('2026-04-07T00:00:00Z'));
    w.step(at('2026-04-07T00:00:00Z') - 1);
    expect(w.state()?.step).toBe('start');
    w.step(at('2026-04-07T00:00:00Z'));
    expect(w.state()).toMatchObject({ step: 'remind', since: at('2026-04-07T00:00:00Z') });
  });

  it('wakes a day after the date (a date-only trait is midnight UTC)', () => {
    const w = new World([renewal({ after: days(1) })], { traits: { renewalDate: '2026-04-10' } });
    w.step(T0, [ev('Go', T0)]);
    expect(w.due()).toBe(at('2026-04-11T00:00:00Z'));
  });

  it.each([
    ['missing', {}],
    ['not a date', { renewalDate: 'soon' }],
    ['already past', { renewalDate: '2026-03-03T00:00:00Z' }],
  ])('continues at once when the trait is %s', (_case, traits) => {
    const w = new World([renewal({ before: days(3) })], { traits });
    w.step(T0, [ev('Go', T0)]);
    expect(w.state()).toMatchObject({ status: 'active', step: 'remind', since: T0 });
    expect(w.due()).toBe(T0 + D);
  });
});

describe('waitFor', () => {
  const cart = runnable(def({
    start: { kind: 'waitFor', event: 'Order Completed', where: [{ property: 'total', op: 'gt', value: 0 }], sameAsEntry: ['cartId'], timeout: days(1), next: 'won', onTimeout: 'lost' },
    won: EXIT,
    lost: EXIT,
  }, { entry: { event: 'Cart Abandoned' } }));
  const abandon = (w: World) => w.step(T0, [ev('Cart Abandoned', T0, { cartId: 'c1', total: 30, other: 'x' })]);

  it('keeps only the entry properties it compares later (all of them, up to a size, when an action may render them)', () => {
    const w = new World([cart]);
    abandon(w);
    expect(w.state()?.entry.properties).toEqual({ cartId: 'c1' });
    const mailing = runnable(def({ start: { kind: 'action', channel: 'email', template: 't', next: 'end' }, end: EXIT }, { entry: { event: 'Cart Abandoned' } }));
    const m = new World([mailing]);
    m.step(T0, [ev('Cart Abandoned', T0, { cartId: 'c1', total: 30 })]);
    expect(m.records.find((r) => r.body.event === 'Journey Entered')).toBeDefined();
    const big = new World([mailing]);
    big.step(T0, [ev('Cart Abandoned', T0, { cartId: 'c2', blob: 'x'.repeat(5_000) })]);
    expect([m.state()?.entry.properties, big.state()?.entry.properties]).toEqual([{ cartId: 'c1', total: 30 }, {}]);
  });

  it('advances on the same cart only, and on its filters', () => {
    const w = new World([cart]);
    abandon(w);
    w.step(T0 + H, [ev('Order Completed', T0 + H, { cartId: 'c2', total: 30 })]);
    w.step(T0 + 2 * H, [ev('Order Completed', T0 + 2 * H, { cartId: 'c1', total: 0 })]);
    w.step(T0 + 3 * H, [ev('Order Completed', T0 + 3 * H, { total: 30 })]);
    expect(w.state()).toMatchObject({ status: 'active', step: 'start', since: T0 });
    w.step(T0 + 4 * H, [ev('Order Completed', T0 + 4 * H, { cartId: 'c1', total: 30 })]);
    expect(w.state()).toMatchObject({ status: 'done', step: 'won', exitedAt: T0 + 4 * H });
    expect(w.exits()).toEqual(['won:completed']);
  });

  it('takes onTimeout at the timeout, not 1 ms before', () => {
    const w = new World([cart]);
    abandon(w);
    expect(w.due()).toBe(T0 + D);
    w.step(T0 + D - 1);
    expect(w.state()?.status).toBe('active');
    w.step(T0 + D);
    expect(w.exits()).toEqual(['lost:completed']);
  });

  it.each([
    ['processed at that instant', T0 + D, 'won'],
    ['processed late', T0 + D + H, 'won'],
  ])('an event exactly at the timeout instant, %s, takes exactly one path', (_case, now, path) => {
    const w = new World([cart]);
    abandon(w);
    w.step(now, [ev('Order Completed', T0 + D, { cartId: 'c1', total: 30 })]);
    w.step(now + D);
    expect(w.exits()).toEqual([`${path}:completed`]);
  });

  it('an event 1 ms after the timeout is too late; after the timer has fired it changes nothing', () => {
    const late = new World([cart]);
    abandon(late);
    late.step(T0 + D + H, [ev('Order Completed', T0 + D + 1, { cartId: 'c1', total: 30 })]);
    expect(late.exits()).toEqual(['lost:completed']);
    const fired = new World([cart]);
    abandon(fired);
    fired.step(T0 + D);
    fired.step(T0 + D, [ev('Order Completed', T0 + D, { cartId: 'c1', total: 30 })]);
    expect(fired.exits()).toEqual(['lost:completed']);
  });
});

describe('branch', () => {
  const tiers = runnable(def({
    start: { kind: 'branch', branches: [{ condition: trait('tier', 'equals', 'gold'), next: 'gold' }, { condition: trait('spend', 'gt', 100), next: 'big' }], default: 'other' },
    gold: EXIT,
    big: EXIT,
    other: EXIT,
  }));

  it.each([
    [{ tier: 'gold', spend: 500 }, 'gold'],
    [{ tier: 'silver', spend: 500 }, 'big'],
    [{ tier: 'silver', spend: 5 }, 'other'],
    [{}, 'other'],
  ])('the first matching branch wins, else the default (%o → %s)', (traits, path) => {
    const w = new World([tiers], { traits });
    w.step(T0, [ev('Go', T0)]);
    expect(w.exits()).toEqual([`${path}:completed`]);
  });
});

describe('split', () => {
  const splitJourney = (holdout?: number, more: Partial<JourneyDefinitionInput> = {}) => runnable(def({
    start: { kind: 'split', arms: [{ name: 'a', weight: 1, next: 'toA' }, { name: 'b', weight: 3, next: 'toB' }], ...(holdout === undefined ? {} : { holdout }) },
    toA: { kind: 'wait', for: days(7), next: 'end' },
    toB: { kind: 'wait', for: days(7), next: 'end' },
    end: EXIT,
  }, more));

  it('is sticky: a profile gets the same arm on every entry and in every run', () => {
    const j = splitJourney(1, { reentry: { mode: 'always' } });
    for (const id of ['p1', 'p2', 'p3', 'alice', 'bob']) {
      const w = new World([j], { profileId: id });
      for (let i = 0; i < 5; i++) {
        w.step(T0 + i * 8 * D, [ev('Go', T0 + i * 8 * D)]);
        w.step(T0 + i * 8 * D + 7 * D);
      }
      const arms = w.named('Journey Split').map((r) => r.body.properties.arm);
      expect(arms).toHaveLength(5);
      expect(new Set(arms).size).toBe(1);
      const again = new World([j], { profileId: id });
      again.step(T0, [ev('Go', T0)]);
      expect(again.named('Journey Split')[0]?.body.properties.arm).toBe(arms[0]);
    }
  });

  it('records the arm in the state and takes its edge', () => {
    const w = new World([splitJourney()]);
    w.step(T0, [ev('Go', T0)]);
    const arm = w.state()?.arms?.start;
    expect(['a', 'b']).toContain(arm);
    expect(w.state()?.step).toBe(arm === 'a' ? 'toA' : 'toB');
    expect(w.named('Journey Split')[0]?.body.properties).toEqual({ journeyId: 'j', version: 1, step: 'start', arm });
  });

  it('follows the weights over 10,000 profiles (loosely)', () => {
    const j = splitJourney(1);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      const s = entered(ctxOf(j, {}, undefined, `profile-${i}`));
      const arm = s.arms?.start ?? '?';
      counts[arm] = (counts[arm] ?? 0) + 1;
    }
    // Expected 2,000 / 6,000 / 2,000; ±250 is over 6 standard deviations.
    expect(counts.a).toBeGreaterThan(1750);
    expect(counts.a).toBeLessThan(2250);
    expect(counts.b).toBeGreaterThan(5750);
    expect(counts.b).toBeLessThan(6250);
    expect(counts.holdout).toBeGreaterThan(1750);
    expect(counts.holdout).toBeLessThan(2250);
  });

  it('the holdout exits with reason holdout, and its goal is still tracked within the window', () => {
    const j = splitJourney(1, { goal: { event: { event: 'Order Completed' }, within: days(2) }, reentry: { mode: 'once' } });
    const step = j.versions.get(1)?.steps.start;
    if (step?.kind !== 'split') throw new Error('split expected');
    const held = Array.from({ length: 100 }, (_, i) => `p${i}`).find((id) => armOf(step, `j:start:${id}`) === undefined) as string;
    const w = new World([j], { profileId: held });
    w.step(T0, [ev('Go', T0)]);
    expect(w.state()).toMatchObject({ status: 'done', step: 'start', exitReason: 'holdout', arms: { start: 'holdout' } });
    expect(w.exits()).toEqual(['start:holdout']);
    expect(w.named('Journey Split')[0]?.body.properties.arm).toBe('holdout');
    expect(w.decisions).toEqual([]);
    w.step(T0 + D, [ev('Order Completed', T0 + D)]);
    w.step(T0 + D + 1, [ev('Order Completed', T0 + D + 1)]);
    expect(w.named('Journey Goal Reached').map((r) => r.ts)).toEqual([T0 + D]);
    expect(w.state()?.goalAt).toBe(T0 + D);
    expect(w.named('Journey Goal Reached')[0]?.body.properties).toMatchObject({ journeyId: 'j', afterMs: D });

    const late = new World([j], { profileId: held });
    late.step(T0, [ev('Go', T0)]);
    late.step(T0 + 2 * D + 1, [ev('Order Completed', T0 + 2 * D + 1)]);
    expect(late.named('Journey Goal Reached')).toEqual([]);
  });

  // Regression: a goal condition was once checked for active profiles only, so a holdout never
  // reached it while the treated arms did, which biased lift against the holdout.
  it('a holdout reaches a goal condition within the window', () => {
    const j = splitJourney(1, { goal: { condition: trait('bought', 'equals', true), within: days(7) } });
    const step = j.versions.get(1)?.steps.start;
    if (step?.kind !== 'split') throw new Error('split expected');
    const held = Array.from({ length: 100 }, (_, i) => `p${i}`).find((id) => armOf(step, `j:start:${id}`) === undefined) as string;
    const w = new World([j], { profileId: held });
    w.step(T0, [ev('Go', T0)]);
    w.setTraits({ bought: true });
    w.step(T0 + H, [ev('Order Completed', T0 + H)]);
    w.step(T0 + 2 * H);
    expect(w.named('Journey Goal Reached').map((r) => r.ts)).toEqual([T0 + H]);
    expect(w.state()).toMatchObject({ status: 'done', exitReason: 'holdout', goalAt: T0 + H });

    const late = new World([j], { profileId: held });
    late.step(T0, [ev('Go', T0)]);
    late.setTraits({ bought: true });
    late.step(T0 + 7 * D + 1, [ev('Order Completed', T0 + 7 * D + 1)]);
    expect(late.named('Journey Goal Reached')).toEqual([]);
  });
});

describe('long chains of actions', () => {
  it('a chain longer than the decision rounds of one input goes on at the next timer instead of sticking', () => {
    const steps: Steps = { end: EXIT };
    for (let i = 0; i < 120; i++) steps[i === 0 ? 'start' : `a${i}`] = { kind: 'action', channel: 'email', template: `t${i}`, next: i === 119 ? 'end' : `a${i + 1}` };
    const w = new World([runnable(def(steps))]);
    w.step(T0, [ev('Go', T0)]);
    expect(w.states.get('j')?.state.status).toBe('active');
    expect(w.states.get('j')?.due).toBe(T0);
    w.step(T0 + 1);
    w.step(T0 + 2);
    expect(w.states.get('j')?.state).toMatchObject({ status: 'done', exitReason: 'completed' });
    expect(new Set(w.decisions.map((d) => d.candidate.stepId)).size).toBe(120);
  });
});

describe('action', () => {
  const mail = (notSent?: string) => runnable(def({
    start: { kind: 'action', channel: 'email', template: 'welcome', contributor: 'sendgrid', next: 'nap', ...(notSent ? { notSent } : {}) },
    nap: { kind: 'wait', for: days(1), next: 'end' },
    sorry: EXIT,
    end: EXIT,
  }));
  const answering = (o: (id: string) => CandidateOutcome): Arbiter => (cs) => cs.map((c) => o(c.id));

  it('proposes a candidate and, sent, moves on to next', () => {
    const w = new World([mail('sorry')]);
    w.step(T0, [ev('Go', T0)]);
    expect(w.decisions).toEqual([{
      candidate: {
        id: `cand_j_p1_1_start_${T0}`, workspaceId: 'ws', profileId: 'p1', journeyId: 'j', version: 1, stepId: 'start',
        channel: 'email', contributor: 'sendgrid', template: 'welcome', purpose: 'marketing', priority: 50, value: 1, proposedAt: T0,
      },
      outcome: { candidateId: `cand_j_p1_1_start_${T0}`, outcome: 'sent', channel: 'email', decisionId: 'd1' },
    }]);
    expect(w.state()).toMatchObject({ status: 'active', step: 'nap', since: T0 });
    expect(w.state()?.pending).toBeUndefined();
    expect(w.named('Journey Action')[0]?.body.properties).toEqual({
      journeyId: 'j', version: 1, step: 'start', candidateId: `cand_j_p1_1_start_${T0}`, channel: 'email', template: 'welcome', purpose: 'marketing', outcome: 'sent', decisionId: 'd1',
    });
  });

  it('follows notSent when the arbiter rejects it', () => {
    const w = new World([mail('sorry')], { arbiter: answering((id) => ({ candidateId: id, outcome: 'rejected', rule: 'cap:daily' })) });
    w.step(T0, [ev('Go', T0)]);
    expect(w.exits()).toEqual(['sorry:completed']);
    expect(w.named('Journey Action')[0]?.body.properties).toMatchObject({ outcome: 'rejected', rule: 'cap:daily' });
  });

  it('moves on to next when rejected without a notSent edge', () => {
    const w = new World([mail()], { arbiter: answering((id) => ({ candidateId: id, outcome: 'rejected', rule: 'consent' })) });
    w.step(T0, [ev('Go', T0)]);
    expect(w.state()).toMatchObject({ status: 'active', step: 'nap' });
  });

  it('an unanswered candidate counts as rejected', () => {
    const w = new World([mail('sorry')], { arbiter: () => [] });
    w.step(T0, [ev('Go', T0)]);
    expect(w.decisions[0]?.outcome).toEqual({ candidateId: `cand_j_p1_1_start_${T0}`, outcome: 'rejected', rule: 'arbitration:unanswered', decisionId: 'd1' });
    expect(w.exits()).toEqual(['sorry:completed']);
  });

  it('a deferred candidate waits at the action and is proposed again when due', () => {
    const w = new World([mail('sorry')], { arbiter: answering((id) => ({ candidateId: id, outcome: 'deferred', until: T0 + H, rule: 'quietHours' })) });
    w.step(T0, [ev('Go', T0)]);
    expect(w.state()).toMatchObject({ status: 'active', step: 'start', deferredUntil: T0 + H });
    expect(w.due()).toBe(T0 + H);
    expect(w.named('Journey Action')[0]?.body.properties.until).toBe(new Date(T0 + H).toISOString());
    w.arbiter = undefined;
    w.step(T0 + H - 1);
    expect(w.state()?.step).toBe('start');
    w.step(T0 + H);
    expect(w.decisions.map((d) => d.candidate.proposedAt)).toEqual([T0, T0 + H]);
    expect(w.state()).toMatchObject({ step: 'nap', since: T0 + H });
    expect(w.state()?.pending).toBeUndefined();
  });

  it('a decision for another candidate than the pending one changes nothing', () => {
    const ctx = ctxOf(mail());
    const s = entered(ctx);
    expect(s.pending?.id).toBe(`cand_j_p1_1_start_${T0}`);
    const stale = transition(s, { kind: 'decided', outcome: { candidateId: 'cand_other', outcome: 'sent' }, at: T0 }, ctx);
    expect(stale.state).toBe(s);
    expect(stale.commands).toEqual([]);
  });
});

describe('update', () => {
  const scoring = runnable(def({
    start: { kind: 'update', set: { stage: 'welcomed' }, increment: { visits: 1, fresh: 2 }, next: 'check' },
    check: { kind: 'branch', branches: [{ condition: trait('visits', 'gte', 3), next: 'hot' }], default: 'cold' },
    hot: EXIT,
    cold: EXIT,
  }));

  it('sets and increments traits, returns the updated profile, and a following branch sees the new value', () => {
    const w = new World([scoring], { traits: { visits: 2 } });
    const out = w.step(T0, [ev('Go', T0)]);
    expect(out.profiles).toHaveLength(1);
    expect(out.profiles[0]?.traits.values).toEqual({ visits: 3, stage: 'welcomed', fresh: 2 });
    expect(out.profiles[0]?.traits.stamps.visits).toEqual([T0, 'journey:j:0000000001:start']);
    expect(out.profiles[0]?.updatedAt).toBe(T0);
    expect(w.exits()).toEqual(['hot:completed']);
  });

  it('the branch sees the value before the update took it past the threshold', () => {
    const w = new World([scoring], { traits: { visits: 1 } });
    w.step(T0, [ev('Go', T0)]);
    expect(w.profile.traits.values.visits).toBe(2);
    expect(w.exits()).toEqual(['cold:completed']);
  });

  it('emits an update command with what it sets and increments', () => {
    const t = transition(undefined, { kind: 'event', event: ev('Go', T0), at: T0 }, ctxOf(scoring));
    expect(t.commands.filter((c) => c.kind === 'update')).toMatchObject([{ kind: 'update', stepId: 'start', at: T0, set: { stage: 'welcomed' }, increment: { visits: 1, fresh: 2 } }]);
  });

  it('written: an increment starts from 0 when the trait is not a number', () => {
    expect(written({ a: 'x', b: 2, c: Number.NaN }, { s: null }, { a: 1, b: 1, c: 1, d: -2 })).toEqual({ s: null, a: 1, b: 3, c: 1, d: -2 });
  });

  // Updates are stamped [instant, journey:entry number:step], so two entries at one instant both count.
  it('two entries at the same instant increment twice', () => {
    const counting = runnable(def({ start: { kind: 'update', increment: { visits: 1 }, next: 'end' }, end: EXIT }, { reentry: { mode: 'always' } }));
    const w = new World([counting]);
    w.step(T0, [ev('Go', T0), ev('Go', T0)]);
    expect(w.named('Journey Entered')).toHaveLength(2);
    expect(w.profile.traits.values.visits).toBe(2);
  });

  // The machine writes traits with the profile's strategies, so the next step sees what is stored.
  it('a branch after an update refused by the trait strategy sees the stored value', () => {
    const j = runnable(def({
      start: { kind: 'update', set: { stage: 'customer' }, next: 'check' },
      check: { kind: 'branch', branches: [{ condition: trait('stage', 'equals', 'customer'), next: 'customer' }], default: 'lead' },
      customer: EXIT,
      lead: EXIT,
    }));
    const w = new World([j], { traits: { stage: 'lead' }, strategies: { stage: 'keep' } });
    w.profile = { ...w.profile, traits: { values: { stage: 'lead' }, stamps: { stage: [T0 - D, 'm0'] } } };
    w.step(T0, [ev('Go', T0)]);
    expect(w.profile.traits.values.stage).toBe('lead');
    expect(w.exits()).toEqual(['lead:completed']);
  });
});

describe('goal', () => {
  const withGoal = (goal: JourneyDefinitionInput['goal'], steps: Steps = { start: { kind: 'wait', for: days(3), next: 'end' }, end: EXIT }) => runnable(def(steps, { goal }));
  const bought: JourneyDefinitionInput['goal'] = { event: { event: 'Order Completed', where: [{ property: 'total', op: 'gt', value: 0 }] }, within: days(2) };

  it('an event goal within the window is recorded once', () => {
    const w = new World([withGoal(bought)]);
    w.step(T0, [ev('Go', T0)]);
    w.step(T0 + H, [ev('Order Completed', T0 + H, { total: 0 })]);
    expect(w.named('Journey Goal Reached')).toEqual([]);
    w.step(T0 + 2 * H, [ev('Order Completed', T0 + 2 * H, { total: 10 }), ev('Order Completed', T0 + 2 * H + 1, { total: 10 })]);
    w.step(T0 + 3 * H, [ev('Order Completed', T0 + 3 * H, { total: 10 })]);
    expect(w.named('Journey Goal Reached').map((r) => [r.ts, r.body.properties.afterMs])).toEqual([[T0 + 2 * H, 2 * H]]);
    expect(w.state()).toMatchObject({ status: 'active', goalAt: T0 + 2 * H });
  });

  it('the window is inclusive at its end, and nothing after it counts', () => {
    const edge = new World([withGoal(bought)]);
    edge.step(T0, [ev('Go', T0)]);
    edge.step(T0 + 2 * D, [ev('Order Completed', T0 + 2 * D, { total: 1 })]);
    expect(edge.named('Journey Goal Reached')).toHaveLength(1);
    const after = new World([withGoal(bought)]);
    after.step(T0, [ev('Go', T0)]);
    after.step(T0 + 2 * D + 1, [ev('Order Completed', T0 + 2 * D + 1, { total: 1 })]);
    expect(after.named('Journey Goal Reached')).toEqual([]);
    expect(after.state()?.goalAt).toBeUndefined();
  });

  it('a goal condition is reached at the next input where it holds', () => {
    const w = new World([withGoal({ condition: trait('plan', 'equals', 'pro'), within: days(2) })]);
    w.step(T0, [ev('Go', T0)]);
    w.step(T0 + H);
    expect(w.named('Journey Goal Reached')).toEqual([]);
    w.setTraits({ plan: 'pro' });
    w.step(T0 + 2 * H);
    w.step(T0 + 3 * H);
    expect(w.named('Journey Goal Reached').map((r) => r.ts)).toEqual([T0 + 2 * H]);
  });

  it('a goal step records the goal and exits as completed; with next it continues', () => {
    const last = new World([withGoal(undefined, { start: { kind: 'goal' } })]);
    last.step(T0, [ev('Go', T0)]);
    expect(last.named('Journey Goal Reached')).toHaveLength(1);
    expect(last.exits()).toEqual(['start:completed']);
    const middle = new World([withGoal(bought, { start: { kind: 'goal', next: 'nap' }, nap: { kind: 'wait', for: days(1), next: 'end' }, end: EXIT })]);
    middle.step(T0, [ev('Go', T0)]);
    middle.step(T0 + H, [ev('Order Completed', T0 + H, { total: 5 })]);
    expect(middle.state()).toMatchObject({ status: 'active', step: 'nap', goalAt: T0 });
    expect(middle.named('Journey Goal Reached')).toHaveLength(1);
  });
});

describe('exit', () => {
  const guarded = (exit: JourneyDefinitionInput['exit']) => runnable(def(NAP, { exit }));

  it('an exit step ends the journey as completed', () => {
    const w = new World([runnable(def({ start: EXIT }))]);
    w.step(T0, [ev('Go', T0)]);
    expect(w.state()).toMatchObject({ status: 'done', step: 'start', exitReason: 'completed', exitedAt: T0 });
    expect(w.named('Journey Exited')[0]?.body.properties).toEqual({ journeyId: 'j', version: 1, step: 'start', reason: 'completed' });
  });

  it('an exit criteria event interrupts a wait (its filters too)', () => {
    const w = new World([guarded({ events: [{ event: 'Unsubscribed', where: [{ property: 'list', op: 'equals', value: 'all' }] }] })]);
    w.step(T0, [ev('Go', T0)]);
    w.step(T0 + H, [ev('Unsubscribed', T0 + H, { list: 'weekly' })]);
    expect(w.state()?.status).toBe('active');
    w.step(T0 + 2 * H, [ev('Unsubscribed', T0 + 2 * H, { list: 'all' })]);
    expect(w.state()).toMatchObject({ status: 'done', step: 'start', exitReason: 'exitEvent', exitedAt: T0 + 2 * H });
    expect(w.due()).toBeUndefined();
    w.step(T0 + 2 * D);
    expect(w.exits()).toEqual(['start:exitEvent']);
  });

  it('an exit condition interrupts a wait at the next timer', () => {
    const w = new World([guarded({ condition: trait('unsubscribed', 'equals', true) })]);
    w.step(T0, [ev('Go', T0)]);
    w.setTraits({ unsubscribed: true });
    w.step(T0 + H);
    expect(w.state()).toMatchObject({ status: 'done', exitReason: 'exitCondition', exitedAt: T0 + H });
    expect(w.exits()).toEqual(['start:exitCondition']);
  });

  it('an exit condition interrupts a wait on any event of the profile', () => {
    const w = new World([guarded({ condition: trait('unsubscribed', 'equals', true) })]);
    w.step(T0, [ev('Go', T0)]);
    w.setTraits({ unsubscribed: true });
    const out = transition(w.state(), { kind: 'event', event: ev('Page Viewed', T0 + H), at: T0 + H }, ctxOf(w.journeys[0] as RunnableJourney, w.profile.traits.values));
    expect(out.state).toMatchObject({ status: 'done', exitReason: 'exitCondition', exitedAt: T0 + H });
  });

  // The exit condition is checked before an action proposes anything.
  it('a profile that matches the exit condition on entry is proposed nothing', () => {
    const j = runnable(def({ start: { kind: 'action', channel: 'email', template: 'promo', next: 'end' }, end: EXIT }, { exit: { condition: trait('unsubscribed', 'equals', true) } }));
    const w = new World([j], { traits: { unsubscribed: true } });
    w.step(T0, [ev('Go', T0)]);
    expect(w.state()?.exitReason).toBe('exitCondition');
    expect(w.decisions).toEqual([]);
  });

  // Candidates are decided after each input, in time order: a candidate raised before the profile
  // left is decided as it would have been had the exit come in a later step; nothing is raised after.
  it('a candidate raised before a later exit in the same step is decided as if the events came apart', () => {
    const journey = () => runnable(def({ start: { kind: 'action', channel: 'email', template: 'promo', next: 'nap' }, nap: { kind: 'wait', for: days(1), next: 'end' }, end: EXIT }, { exit: { events: [{ event: 'Unsubscribed' }] } }));
    const together = new World([journey()]);
    together.step(T0 + 2, [ev('Go', T0), ev('Unsubscribed', T0 + 1)]);
    const apart = new World([journey()]);
    apart.step(T0, [ev('Go', T0)]);
    apart.step(T0 + 2, [ev('Unsubscribed', T0 + 1)]);
    expect(together.state()?.exitReason).toBe('exitEvent');
    expect(together.decisions).toEqual(apart.decisions);
    expect(together.decisions).toHaveLength(1);
  });
});

describe('re-entry', () => {
  const quick = (reentry: JourneyDefinitionInput['reentry']) => runnable(def({ start: EXIT }, { reentry }));

  it('once: never again', () => {
    const w = new World([quick({ mode: 'once' })]);
    w.step(T0, [ev('Go', T0)]);
    w.step(T0 + 100 * D, [ev('Go', T0 + 100 * D)]);
    expect(w.named('Journey Entered')).toHaveLength(1);
    expect(w.state()?.entries).toBe(1);
  });

  it('cooldown: not before the cooldown after the exit, then again', () => {
    const w = new World([quick({ mode: 'cooldown', after: days(1) })]);
    w.step(T0, [ev('Go', T0)]);
    w.step(T0 + D - 1, [ev('Go', T0 + D - 1)]);
    expect(w.named('Journey Entered')).toHaveLength(1);
    w.step(T0 + D, [ev('Go', T0 + D)]);
    expect(w.named('Journey Entered')).toHaveLength(2);
    expect(w.state()).toMatchObject({ entries: 2, enteredAt: T0 + D });
    expect(w.named('Journey Entered')[1]?.body.properties.entries).toBe(2);
  });

  it('cooldown counts from the exit, not from the entry', () => {
    const w = new World([runnable(def(NAP, { reentry: { mode: 'cooldown', after: hours(12) } }))]);
    w.step(T0, [ev('Go', T0)]);
    w.step(T0 + D);
    w.step(T0 + D + 11 * H, [ev('Go', T0 + D + 11 * H)]);
    expect(w.state()?.entries).toBe(1);
    w.step(T0 + D + 12 * H, [ev('Go', T0 + D + 12 * H)]);
    expect(w.state()).toMatchObject({ status: 'active', entries: 2 });
  });

  it('always: at once after an exit, but never while active', () => {
    const w = new World([quick({ mode: 'always' })]);
    w.step(T0, [ev('Go', T0), ev('Go', T0 + 1)]);
    expect(w.state()?.entries).toBe(2);
    const busy = new World([runnable(def(NAP, { reentry: { mode: 'always' } }))]);
    busy.step(T0, [ev('Go', T0)]);
    busy.step(T0 + H, [ev('Go', T0 + H)]);
    expect(busy.state()).toMatchObject({ entries: 1, enteredAt: T0 });
  });
});

describe('journey status', () => {
  const flow = def({
    start: { kind: 'waitFor', event: 'Clicked', timeout: days(1), next: 'yes', onTimeout: 'no' },
    yes: EXIT,
    no: EXIT,
  });

  it('a paused journey neither enters nor advances, then resumes where it was', () => {
    const w = new World([runnable(flow)]);
    w.step(T0, [ev('Go', T0)]);
    const before = w.state();
    w.journeys = [runnable(flow, { status: 'paused' })];
    const newcomer = new World(w.journeys, { profileId: 'p2' });
    newcomer.step(T0 + H, [ev('Go', T0 + H)]);
    expect(newcomer.state()).toBeUndefined();
    w.step(T0 + H, [ev('Clicked', T0 + H)]);
    w.step(T0 + 2 * D);
    expect(w.state()).toBe(before);
    expect(dueOf(before, ctxOf(w.journeys[0] as RunnableJourney))).toBeUndefined();
    w.journeys = [runnable(flow)];
    w.step(T0 + 2 * D);
    expect(w.exits()).toEqual(['no:completed']);
  });

  it('an archived journey exits its profiles on the timer with reason archived and takes no one in', () => {
    const w = new World([runnable(flow)]);
    w.step(T0, [ev('Go', T0)]);
    w.journeys = [runnable(flow, { status: 'archived' })];
    const ctx = ctxOf(w.journeys[0] as RunnableJourney);
    expect(dueOf(w.state(), ctx)).toBe(T0);
    w.step(T0 + H);
    expect(w.state()).toMatchObject({ status: 'done', exitReason: 'archived', exitedAt: T0 + H });
    expect(w.exits()).toEqual(['start:archived']);
    const newcomer = new World(w.journeys, { profileId: 'p2' });
    newcomer.step(T0 + H, [ev('Go', T0 + H)]);
    expect(newcomer.state()).toBeUndefined();
  });

  it('a draft takes no one in', () => {
    const w = new World([runnable(flow, { status: 'draft' })]);
    w.step(T0, [ev('Go', T0)]);
    expect(w.state()).toBeUndefined();
  });

  // Regression: an event once advanced a waitFor of an archived journey (and proposed the action
  // after it) before the timer took the profile out.
  it('an archived journey proposes nothing when an awaited event arrives', () => {
    const j = def({
      start: { kind: 'waitFor', event: 'Clicked', timeout: days(1), next: 'send', onTimeout: 'end' },
      send: { kind: 'action', channel: 'email', template: 'thanks', next: 'end' },
      end: EXIT,
    });
    const w = new World([runnable(j)]);
    w.step(T0, [ev('Go', T0)]);
    w.journeys = [runnable(j, { status: 'archived' })];
    w.step(T0 + H, [ev('Clicked', T0 + H)]);
    expect(w.decisions).toEqual([]);
    expect(w.exits()).toEqual(['start:archived']);
  });
});

describe('versions', () => {
  const v1 = def({ start: { kind: 'wait', for: days(1), next: 'old' }, old: EXIT });
  const v2 = def({ start: { kind: 'wait', for: days(2), next: 'fresh' }, fresh: EXIT });
  const both: RunnableJourney = { ...runnable(v2), liveVersion: 2, versions: new Map([[1, v1], [2, v2]]) };

  it('a profile on version 1 finishes on version 1 while new entries get version 2', () => {
    const old = new World([runnable(v1)]);
    old.step(T0, [ev('Go', T0)]);
    old.journeys = [both];
    expect(dueOf(old.state(), ctxOf(both))).toBe(T0 + D);
    old.step(T0 + D);
    expect(old.state()).toMatchObject({ version: 1, status: 'done', step: 'old' });
    expect(old.named('Journey Exited')[0]?.body.properties).toMatchObject({ version: 1, step: 'old' });

    const newcomer = new World([both], { profileId: 'p2' });
    newcomer.step(T0 + D, [ev('Go', T0 + D)]);
    expect(newcomer.state()).toMatchObject({ version: 2, step: 'start' });
    expect(newcomer.due()).toBe(T0 + 3 * D);
    expect(newcomer.named('Journey Entered')[0]?.body.properties.version).toBe(2);
  });

  it('a re-entry after finishing version 1 starts on version 2', () => {
    const j = (d: JourneyDefinition) => JourneyDefinition.parse({ ...d, reentry: { mode: 'always' } });
    const w = new World([runnable(j(v1))]);
    w.step(T0, [ev('Go', T0)]);
    w.journeys = [{ ...both, versions: new Map([[1, j(v1)], [2, j(v2)]]) }];
    w.step(T0 + D);
    w.step(T0 + D + 1, [ev('Go', T0 + D + 1)]);
    expect(w.state()).toMatchObject({ version: 2, entries: 2, status: 'active' });
  });
});

describe('catch-up', () => {
  const nudge = runnable(def({
    start: { kind: 'wait', for: hours(1), next: 'listen' },
    listen: { kind: 'waitFor', event: 'Clicked', timeout: days(1), next: 'yes', onTimeout: 'no' },
    yes: EXIT,
    no: EXIT,
  }));

  it('an event arriving after a due timer fires the timer first', () => {
    const w = new World([nudge]);
    w.step(T0, [ev('Go', T0)]);
    w.step(T0 + 3 * H, [ev('Clicked', T0 + 2 * H)]);
    expect(w.state()).toMatchObject({ status: 'done', step: 'yes', exitedAt: T0 + 2 * H });
  });

  it('a wait due at the very instant of the event fires first too', () => {
    const w = new World([nudge]);
    w.step(T0, [ev('Go', T0)]);
    w.step(T0 + H, [ev('Clicked', T0 + H)]);
    expect(w.exits()).toEqual(['yes:completed']);
  });

  it('an event before the wait ends is not awaited yet', () => {
    const w = new World([nudge]);
    w.step(T0, [ev('Go', T0)]);
    w.step(T0 + 2 * H, [ev('Clicked', T0 + 30 * MIN)]);
    expect(w.state()).toMatchObject({ status: 'active', step: 'listen', since: T0 + H });
  });

  it('fires a chain of overdue timers before the event', () => {
    const w = new World([nudge]);
    w.step(T0, [ev('Go', T0)]);
    w.step(T0 + 3 * D, [ev('Clicked', T0 + 3 * D)]);
    expect(w.exits()).toEqual(['no:completed']);
    expect(w.state()?.exitedAt).toBe(T0 + H + D);
  });

  // Candidates are decided after each input, so a waitFor after an action sees a later event of the same step.
  it('the outcome does not depend on whether the events came in one step or two', () => {
    const j = runnable(def({
      start: { kind: 'action', channel: 'email', template: 'cart', next: 'listen' },
      listen: { kind: 'waitFor', event: 'Order Completed', timeout: days(1), next: 'won', onTimeout: 'lost' },
      won: EXIT,
      lost: EXIT,
    }));
    const one = new World([j]);
    one.step(T0 + 2 * H, [ev('Go', T0), ev('Order Completed', T0 + H)]);
    const two = new World([j]);
    two.step(T0, [ev('Go', T0)]);
    two.step(T0 + 2 * H, [ev('Order Completed', T0 + H)]);
    expect(two.exits()).toEqual(['won:completed']);
    expect(one.exits()).toEqual(['won:completed']);
  });
});

describe('statKey', () => {
  it('counts entries, exits by reason, goals, action outcomes and arms', () => {
    const w = new World([runnable(def({
      start: { kind: 'split', arms: [{ name: 'only', weight: 1, next: 'send' }] },
      send: { kind: 'action', channel: 'sms', template: 't', next: 'done' },
      done: { kind: 'goal' },
    }))]);
    w.step(T0, [ev('Go', T0)]);
    expect(w.records.map(statKey)).toEqual(['entered', 'arm:start:only', 'action:sent', 'goal', 'exited:completed']);
    expect(statKey({ workspaceId: 'ws', profileId: 'p1', ts: T0, body: { type: 'track', event: 'Segment Entered', properties: {} } })).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

/** Three journeys that between them use every step kind, all exits and every re-entry mode. */
function sampleJourneys(): RunnableJourney[] {
  const nurture = JourneyDefinition.parse({
    id: 'nurture', name: 'Nurture', owner: 'o', team: 't', entry: { event: 'Go' }, reentry: { mode: 'always' },
    goal: { event: { event: 'Buy' }, within: days(1) }, exit: { events: [{ event: 'Stop' }] }, start: 'split',
    steps: {
      split: { kind: 'split', arms: [{ name: 'a', weight: 1, next: 'send' }, { name: 'b', weight: 1, next: 'nap' }], holdout: 1 },
      send: { kind: 'action', channel: 'email', template: 'hi', next: 'listen', notSent: 'nap' },
      listen: { kind: 'waitFor', event: 'Click', timeout: hours(1), next: 'count', onTimeout: 'end' },
      count: { kind: 'update', increment: { clicks: 1 }, next: 'check' },
      check: { kind: 'branch', branches: [{ condition: trait('clicks', 'gte', 2), next: 'won' }], default: 'nap' },
      nap: { kind: 'wait', for: minutes(30), next: 'send' },
      won: { kind: 'goal' },
      end: EXIT,
    },
  });
  const morning = JourneyDefinition.parse({
    id: 'morning', name: 'Morning', owner: 'o', team: 't', entry: { event: 'Buy' }, reentry: { mode: 'cooldown', after: hours(2) },
    exit: { condition: trait('clicks', 'gte', 5) }, start: 'sleep',
    steps: {
      sleep: { kind: 'wait', untilLocalTime: { time: '09:00' }, next: 'sms' },
      sms: { kind: 'action', channel: 'sms', template: 'thanks', next: 'end' },
      end: EXIT,
    },
  });
  const vip = JourneyDefinition.parse({
    id: 'vip', name: 'VIP', owner: 'o', team: 't', entry: { segment: 'vip' }, start: 'renew',
    steps: {
      renew: { kind: 'wait', untilTrait: { trait: 'renewal', before: hours(1) }, next: 'mark' },
      mark: { kind: 'update', set: { vip: true }, next: 'end' },
      end: EXIT,
    },
  });
  return [runnable(nurture), runnable(morning), runnable(vip)];
}

/** Sends, rejects or defers by a hash of the candidate id: deterministic, varied. */
const mixedArbiter: Arbiter = (cs, now) => cs.map((c) => {
  const h = [...c.id].reduce((n, ch) => (n * 31 + ch.charCodeAt(0)) >>> 0, 7) % 4;
  if (h === 0) return { candidateId: c.id, outcome: 'rejected', rule: 'cap' };
  if (h === 1) return { candidateId: c.id, outcome: 'deferred', until: now + 20 * MIN, rule: 'quiet' };
  return { candidateId: c.id, outcome: 'sent' };
});

const opArb = fc.record({
  gap: fc.integer({ min: 0, max: 90 }).map((m) => m * MIN),
  events: fc.array(fc.constantFrom('Go', 'Click', 'Buy', 'Stop', 'Segment Entered', 'Other'), { maxLength: 3 }),
  lag: fc.integer({ min: 0, max: 30 }).map((m) => m * MIN),
});

describe('properties', () => {
  it('after every step a profile is active only at a waiting step (or a deferred action), and Entered/Exited alternate', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 25 }), fc.boolean(), fc.constantFrom('p1', 'p2', 'p7', 'zoe'), (ops, mixed, profileId) => {
        const journeys = sampleJourneys();
        const w = new World(journeys, { ...(mixed ? { arbiter: mixedArbiter } : {}), timezone: 'Europe/Paris', profileId, traits: { renewal: '2026-03-02T10:00:00Z' } });
        // An hour before 09:00 in Paris, two before the renewal reminder: every journey gets to move.
        let now = at('2026-03-02T07:00:00Z');
        for (const op of ops) {
          now += op.gap;
          const events = op.events.map((name) => ev(name, now - op.lag, name === 'Segment Entered' ? { segmentId: 'vip' } : {}));
          w.step(now, events.sort((a, b) => a.ts - b.ts));
          for (const j of journeys) {
            const stored = w.states.get(j.id);
            const records = w.records.filter((r) => r.body.properties.journeyId === j.id && (r.body.event === 'Journey Entered' || r.body.event === 'Journey Exited'));
            records.forEach((r, i) => expect(r.body.event).toBe(i % 2 === 0 ? 'Journey Entered' : 'Journey Exited'));
            if (!stored) {
              expect(records).toEqual([]);
              continue;
            }
            const s = stored.state;
            expect(records.filter((r) => r.body.event === 'Journey Entered')).toHaveLength(s.entries);
            expect(s.status === 'active').toBe(records.length % 2 === 1);
            if (s.status !== 'active') continue;
            const kind = j.versions.get(s.version)?.steps[s.step]?.kind;
            if (s.pending) expect([kind, s.deferredUntil !== undefined]).toEqual(['action', true]);
            else expect(WAITING_KINDS.has(kind as 'wait')).toBe(true);
            expect(stored.due).toBeDefined();
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('timers fired in one late tick (repeated until nothing is due) end where many punctual ticks end', () => {
    const specArb = fc.record({
      first: fc.integer({ min: 1, max: 300 }),
      loop: fc.integer({ min: 1, max: 300 }),
      rounds: fc.integer({ min: 1, max: 5 }),
      morning: fc.boolean(),
      act: fc.boolean(),
    });
    fc.assert(
      fc.property(specArb, (spec) => {
        const j = runnable(def({
          start: spec.morning ? { kind: 'wait', untilLocalTime: { time: '09:00' }, next: 'first' } : { kind: 'wait', for: minutes(0), next: 'first' },
          first: { kind: 'wait', for: minutes(spec.first), next: 'bump' },
          bump: { kind: 'update', increment: { n: 1 }, next: 'act' },
          act: spec.act ? { kind: 'action', channel: 'push', template: 'ping', next: 'check' } : { kind: 'goal', next: 'check' },
          check: { kind: 'branch', branches: [{ condition: trait('n', 'gte', spec.rounds), next: 'end' }], default: 'loop' },
          loop: { kind: 'wait', for: minutes(spec.loop), next: 'bump' },
          end: EXIT,
        }));
        const punctual = new World([j], { timezone: 'Europe/Paris' });
        const late = new World([j], { timezone: 'Europe/Paris' });
        const go = ev('Go', T0);
        for (const w of [punctual, late]) w.step(T0, [go]);
        for (let i = 0; i < 50 && punctual.due() !== undefined; i++) punctual.step(punctual.due() as number);
        const end = T0 + 2 * D + (spec.first + spec.loop * spec.rounds) * MIN;
        for (let i = 0; i < 50 && late.due() !== undefined; i++) late.step(end);
        expect(punctual.state()?.status).toBe('done');
        expect(late.state()).toEqual(punctual.state());
        expect(late.profile.traits).toEqual(punctual.profile.traits);
        expect(late.records).toEqual(punctual.records);
        expect(late.decisions).toEqual(punctual.decisions);
      }),
      { numRuns: 150 },
    );
  });
});
