import { describe, expect, it } from 'vitest';
import type { Condition } from '../conditions/schema.js';
import type { FieldError } from '../result.js';
import type { JourneyDefinitionInput, Step } from './definition.js';
import { conditionsOf, edgeFields, parseJourney, type JourneyCatalogue } from './parse.js';

const catalogue: JourneyCatalogue = { segments: new Set(['vip', 'churn-risk']), contributors: new Set(['sendgrid']) };
const day = { amount: 1, unit: 'days' } as const;

type Steps = Record<string, unknown>;
/** A valid journey (entry → wait → exit) with the given overrides. */
function journey(more: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'welcome',
    name: 'Welcome',
    owner: 'ana@example.com',
    team: 'growth',
    entry: { event: 'Signed Up' },
    start: 'wait',
    steps: { wait: { kind: 'wait', for: day, next: 'done' }, done: { kind: 'exit' } },
    ...more,
  };
}
const withSteps = (steps: Steps, start = 'start'): Record<string, unknown> => journey({ start, steps });

function errorsOf(input: unknown, cat: JourneyCatalogue = catalogue): FieldError[] {
  const r = parseJourney(input, cat);
  if (r.ok) throw new Error('expected the journey to be rejected');
  return r.error;
}
function accepted(input: unknown, cat: JourneyCatalogue = catalogue) {
  const r = parseJourney(input, cat);
  if (!r.ok) throw new Error(`expected the journey to be accepted: ${JSON.stringify(r.error)}`);
  return r.value;
}
/** The single error, checked for its path and (part of) its message. */
function expectOneError(input: unknown, path: string, message: string | RegExp, cat: JourneyCatalogue = catalogue): void {
  const errors = errorsOf(input, cat);
  expect(errors).toHaveLength(1);
  expect(errors[0]?.path).toBe(path);
  expect(errors[0]?.message).toMatch(message);
}

const segment = (s: string): Condition => ({ kind: 'inSegment', segment: s });
const nested = (levels: number): Condition => {
  let c: Condition = segment('vip');
  for (let i = 1; i < levels; i++) c = { kind: 'not', of: c };
  return c;
};
const branchOn = (condition: unknown): Steps => ({
  start: { kind: 'branch', branches: [{ condition, next: 'a' }], default: 'b' },
  a: { kind: 'exit' },
  b: { kind: 'exit' },
});

describe('parseJourney: valid definitions', () => {
  it('accepts a small journey and fills the defaults (reentry once)', () => {
    const j = accepted(journey());
    expect(j.reentry).toEqual({ mode: 'once' });
    expect(j.id).toBe('welcome');
    expect(j.steps.done).toEqual({ kind: 'exit' });
  });

  it('fills an action’s defaults: purpose marketing, priority 50, value 1', () => {
    const j = accepted(withSteps({ start: { kind: 'action', channel: 'email', template: 'hello', next: 'end' }, end: { kind: 'exit' } }));
    expect(j.steps.start).toEqual({ kind: 'action', channel: 'email', template: 'hello', purpose: 'marketing', priority: 50, value: 1, next: 'end' });
  });

  it('keeps explicit values instead of the defaults', () => {
    const j = accepted(journey({
      reentry: { mode: 'cooldown', after: { amount: 7, unit: 'days' } },
      start: 'start',
      steps: { start: { kind: 'action', channel: 'sms', template: 't', purpose: 'transactional', priority: 90, value: 0, contributor: 'sendgrid', next: 'end' }, end: { kind: 'exit' } },
    }));
    expect(j.reentry).toEqual({ mode: 'cooldown', after: { amount: 7, unit: 'days' } });
    expect(j.steps.start).toMatchObject({ purpose: 'transactional', priority: 90, value: 0, contributor: 'sendgrid' });
  });

  it('accepts every step kind, a segment entry, a goal, exit criteria and known references', () => {
    const j = accepted(journey({
      entry: { segment: 'vip' },
      goal: { event: { event: 'Order Completed', where: [{ property: 'total', op: 'gt', value: 0 }] }, within: { amount: 14, unit: 'days' } },
      exit: { events: [{ event: 'Unsubscribed' }], condition: { kind: 'not', of: segment('vip') } },
      start: 'split',
      steps: {
        split: { kind: 'split', arms: [{ name: 'a', weight: 1, next: 'branch' }, { name: 'b', weight: 1, next: 'branch' }], holdout: 1 },
        branch: { kind: 'branch', branches: [{ condition: segment('churn-risk'), next: 'send' }], default: 'mark' },
        send: { kind: 'action', channel: 'email', template: 't', contributor: 'sendgrid', next: 'waitFor', notSent: 'mark' },
        waitFor: { kind: 'waitFor', event: 'Email Opened', sameAsEntry: ['segmentId'], timeout: day, next: 'goal', onTimeout: 'mark' },
        mark: { kind: 'update', set: { nurtured: true }, increment: { touches: 1 }, next: 'sleep' },
        sleep: { kind: 'wait', untilLocalTime: { time: '09:00', days: ['mon', 'fri'] }, next: 'renewal' },
        renewal: { kind: 'wait', untilTrait: { trait: 'renewalDate', before: { amount: 3, unit: 'days' } }, next: 'goal' },
        goal: { kind: 'goal', next: 'end' },
        end: { kind: 'exit' },
      },
    }));
    expect(Object.keys(j.steps)).toHaveLength(9);
  });

  it('accepts a cycle that goes through a wait, and one through a waitFor', () => {
    accepted(withSteps({
      start: { kind: 'action', channel: 'email', template: 'digest', next: 'nap' },
      nap: { kind: 'wait', for: { amount: 7, unit: 'days' }, next: 'start' },
    }));
    accepted(withSteps({
      start: { kind: 'waitFor', event: 'Clicked', timeout: day, next: 'end', onTimeout: 'again' },
      again: { kind: 'update', increment: { nudges: 1 }, next: 'start' },
      end: { kind: 'exit' },
    }));
  });

  it('accepts a condition exactly 12 levels deep', () => {
    accepted(withSteps(branchOn(nested(12))));
  });
});

describe('parseJourney: schema errors name the path', () => {
  it('rejects an unknown step kind', () => {
    expectOneError(withSteps({ start: { kind: 'teleport', next: 'end' }, end: { kind: 'exit' } }), 'steps.start.kind', /wait.*exit/);
  });

  it('rejects a bad journey id', () => {
    expectOneError(journey({ id: 'Welcome Journey' }), 'id', /lower-case/);
    expectOneError(journey({ id: '-welcome' }), 'id', /lower-case/);
    expectOneError(journey({ id: 'a'.repeat(65) }), 'id', /1–64/);
  });

  it('rejects a bad step id', () => {
    const errors = errorsOf(withSteps({ start: { kind: 'wait', for: day, next: 'end' }, end: { kind: 'exit' }, 'bad id': { kind: 'exit' } }));
    expect(errors.map((e) => e.path)).toContain('steps.bad id');
    expectOneError(withSteps({ start: { kind: 'exit' }, ['s'.repeat(65)]: { kind: 'exit' } }), `steps.${'s'.repeat(65)}`, /key/i);
  });

  it('rejects a malformed next on a step', () => {
    expectOneError(withSteps({ start: { kind: 'wait', for: day, next: 'no way' } }), 'steps.start.next', /letters, digits/);
  });

  it('rejects a wait with two (or none) of for / untilLocalTime / untilTrait', () => {
    const two = { kind: 'wait', for: day, untilLocalTime: { time: '09:00' }, next: 'end' };
    expectOneError(withSteps({ start: two, end: { kind: 'exit' } }), 'steps.start', /exactly one of for, untilLocalTime or untilTrait/);
    const three = { ...two, untilTrait: { trait: 'renewalDate' } };
    expectOneError(withSteps({ start: three, end: { kind: 'exit' } }), 'steps.start', /exactly one/);
    expectOneError(withSteps({ start: { kind: 'wait', next: 'end' }, end: { kind: 'exit' } }), 'steps.start', /exactly one/);
  });

  it('rejects an untilTrait wait with both before and after', () => {
    const w = { kind: 'wait', untilTrait: { trait: 'renewalDate', before: day, after: day }, next: 'end' };
    expectOneError(withSteps({ start: w, end: { kind: 'exit' } }), 'steps.start.untilTrait', /before or after, not both/);
  });

  it('rejects a bad local time of day', () => {
    expectOneError(withSteps({ start: { kind: 'wait', untilLocalTime: { time: '24:00' }, next: 'end' }, end: { kind: 'exit' } }), 'steps.start.untilLocalTime.time', /HH:MM/);
  });

  it('rejects unknown fields', () => {
    expectOneError(withSteps({ start: { kind: 'exit', colour: 'red' } }), 'steps.start.colour', 'unknown field');
    expectOneError(journey({ priority: 3 }), 'priority', 'unknown field');
  });

  it('rejects a goal with both an event and a condition, and empty exit criteria', () => {
    expectOneError(journey({ goal: { event: { event: 'Bought' }, condition: segment('vip'), within: day } }), 'goal', /exactly one of event or condition/);
    expectOneError(journey({ exit: {} }), 'exit', /events or a condition/);
  });

  it('rejects an update that writes nothing, and an out-of-range priority', () => {
    expectOneError(withSteps({ start: { kind: 'update', set: {}, next: 'end' }, end: { kind: 'exit' } }), 'steps.start', /at least one trait/);
    const loud = { kind: 'action', channel: 'email', template: 't', priority: 101, next: 'end' };
    expectOneError(withSteps({ start: loud, end: { kind: 'exit' } }), 'steps.start.priority', /100/);
  });

  it('rejects a condition nested deeper than 12 levels, naming where', () => {
    const errors = errorsOf(withSteps(branchOn(nested(13))));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toMatch(/^steps\.start\.branches\[0\]\.condition\.of/);
    expect(errors[0]?.message).toMatch(/deeper than 12/);
  });

  it('rejects a malformed condition with its path', () => {
    const errors = errorsOf(withSteps(branchOn({ kind: 'trait', name: 'plan', op: 'resembles', value: 'pro' })));
    expect(errors[0]?.path).toMatch(/^steps\.start\.branches\[0\]\.condition/);
  });

  // The whole input's nesting is bounded before the recursive schema runs.
  it('a hostile 5,000-level condition is a FieldError, not a thrown RangeError', () => {
    const r = parseJourney(withSteps(branchOn(nested(5000))), catalogue);
    expect(r.ok).toBe(false);
  });
});

describe('parseJourney: graph errors name the path', () => {
  it('rejects an unknown start step (and reports only that)', () => {
    expectOneError(journey({ start: 'nowhere' }), 'start', /unknown step "nowhere"/);
  });

  it.each<[string, Steps, string]>([
    ['next', { start: { kind: 'wait', for: day, next: 'gone' } }, 'steps.start.next'],
    ['onTimeout', { start: { kind: 'waitFor', event: 'Clicked', timeout: day, next: 'end', onTimeout: 'gone' }, end: { kind: 'exit' } }, 'steps.start.onTimeout'],
    ['branches[i].next', { start: { kind: 'branch', branches: [{ condition: segment('vip'), next: 'end' }, { condition: segment('vip'), next: 'gone' }], default: 'end' }, end: { kind: 'exit' } }, 'steps.start.branches[1].next'],
    ['default', { start: { kind: 'branch', branches: [{ condition: segment('vip'), next: 'end' }], default: 'gone' }, end: { kind: 'exit' } }, 'steps.start.default'],
    ['notSent', { start: { kind: 'action', channel: 'email', template: 't', next: 'end', notSent: 'gone' }, end: { kind: 'exit' } }, 'steps.start.notSent'],
    ['arms[i].next', { start: { kind: 'split', arms: [{ name: 'a', weight: 1, next: 'end' }, { name: 'b', weight: 1, next: 'gone' }] }, end: { kind: 'exit' } }, 'steps.start.arms[1].next'],
    ['goal next', { start: { kind: 'goal', next: 'gone' } }, 'steps.start.next'],
    ['update next', { start: { kind: 'update', set: { a: 1 }, next: 'gone' } }, 'steps.start.next'],
  ])('rejects a dangling edge in %s', (_field, steps, path) => {
    expectOneError(withSteps(steps), path, /unknown step "gone"/);
  });

  it('reports every dangling edge at once', () => {
    const errors = errorsOf(withSteps({ start: { kind: 'waitFor', event: 'Clicked', timeout: day, next: 'x', onTimeout: 'y' } }));
    expect(errors.map((e) => e.path)).toEqual(['steps.start.next', 'steps.start.onTimeout']);
  });

  it('rejects an unreachable step', () => {
    expectOneError(withSteps({ start: { kind: 'exit' }, orphan: { kind: 'wait', for: day, next: 'start' } }), 'steps.orphan', /unreachable from start "start"/);
  });

  it('rejects a step reachable only from an unreachable one, naming both', () => {
    const errors = errorsOf(withSteps({ start: { kind: 'exit' }, a: { kind: 'update', set: { x: 1 }, next: 'b' }, b: { kind: 'exit' } }));
    expect(errors.map((e) => e.path).sort()).toEqual(['steps.a', 'steps.b']);
  });

  it('rejects a cycle without a wait and names its steps', () => {
    const errors = errorsOf(withSteps({
      start: { kind: 'update', increment: { n: 1 }, next: 'check' },
      check: { kind: 'branch', branches: [{ condition: { kind: 'trait', name: 'n', op: 'gt', value: 3 }, next: 'end' }], default: 'start' },
      end: { kind: 'exit' },
    }));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toMatch(/^steps\.(start|check)$/);
    expect(errors[0]?.message).toMatch(/cycle without a wait that takes time: .*start.*check|cycle without a wait that takes time: .*check.*start/);
  });

  it('rejects a self-loop and a cycle through an action (an action does not wait)', () => {
    expectOneError(withSteps({ start: { kind: 'goal', next: 'start' } }), 'steps.start', /cycle without a wait that takes time: start → start/);
    const errors = errorsOf(withSteps({
      start: { kind: 'action', channel: 'email', template: 't', next: 'more' },
      more: { kind: 'update', increment: { sent: 1 }, next: 'start' },
    }));
    expect(errors[0]?.message).toMatch(/cycle without a wait/);
  });

  it('rejects duplicate split arms', () => {
    const split = { kind: 'split', arms: [{ name: 'a', weight: 1, next: 'end' }, { name: 'b', weight: 1, next: 'end' }, { name: 'a', weight: 2, next: 'end' }] };
    expectOneError(withSteps({ start: split, end: { kind: 'exit' } }), 'steps.start.arms', /arm "a" appears twice/);
  });

  // A cycle needs a step that always takes time; a wait that can last 0 ms does not break it.
  it('rejects a cycle whose only wait lasts 0', () => {
    errorsOf(withSteps({
      start: { kind: 'wait', for: { amount: 0, unit: 'minutes' }, next: 'count' },
      count: { kind: 'update', increment: { n: 1 }, next: 'start' },
    }));
  });
});

describe('parseJourney: references to the workspace', () => {
  it('rejects an unknown segment in the entry', () => {
    expectOneError(journey({ entry: { segment: 'whales' } }), 'entry.segment', /unknown segment "whales"/);
  });

  it('rejects an unknown segment in an inSegment condition of a branch, also when nested', () => {
    expectOneError(withSteps(branchOn(segment('whales'))), 'steps.start.branches[0].condition', /unknown segment "whales"/);
    const deep = { kind: 'and', of: [segment('vip'), { kind: 'not', of: segment('whales') }] };
    expectOneError(withSteps(branchOn(deep)), 'steps.start.branches[0].condition', /"whales"/);
  });

  it('rejects unknown segments in exit and goal conditions', () => {
    expectOneError(journey({ exit: { condition: segment('whales') } }), 'exit.condition', /"whales"/);
    expectOneError(journey({ goal: { condition: segment('whales'), within: day } }), 'goal.condition', /"whales"/);
  });

  it('rejects an unknown contributor', () => {
    const send = { kind: 'action', channel: 'email', template: 't', contributor: 'mailchimp', next: 'end' };
    expectOneError(withSteps({ start: send, end: { kind: 'exit' } }), 'steps.start.contributor', /unknown contributor "mailchimp"/);
    accepted(withSteps({ start: { ...send, contributor: 'sendgrid' }, end: { kind: 'exit' } }));
  });

  it('checks references against the catalogue it is given', () => {
    const empty: JourneyCatalogue = { segments: new Set(), contributors: new Set() };
    expectOneError(journey({ entry: { segment: 'vip' } }), 'entry.segment', /"vip"/, empty);
  });
});

describe('edgeFields and conditionsOf', () => {
  it('lists each edge of a step with the field that holds it', () => {
    const branch: Step = { kind: 'branch', branches: [{ condition: segment('vip'), next: 'a' }], default: 'b' };
    expect(edgeFields(branch)).toEqual([{ field: 'branches[0].next', target: 'a' }, { field: 'default', target: 'b' }]);
    expect(edgeFields({ kind: 'goal' })).toEqual([]);
    expect(edgeFields({ kind: 'exit' })).toEqual([]);
    const action: Step = { kind: 'action', channel: 'email', template: 't', purpose: 'marketing', priority: 50, value: 1, next: 'a', notSent: 'b' };
    expect(edgeFields(action).map((e) => e.field)).toEqual(['next', 'notSent']);
  });

  it('lists every condition with its path', () => {
    const input: JourneyDefinitionInput = journey({
      goal: { condition: segment('vip'), within: day },
      exit: { condition: segment('churn-risk') },
      start: 'start',
      steps: branchOn(segment('vip')),
    }) as JourneyDefinitionInput;
    expect(conditionsOf(accepted(input)).map((c) => c.path)).toEqual(['goal.condition', 'exit.condition', 'steps.start.branches[0].condition']);
  });
});

describe('parseJourney: action channels and send time', () => {
  const action = (more: Record<string, unknown>): Steps => ({ start: { kind: 'action', template: 't', next: 'done', ...more }, done: { kind: 'exit' } });

  it('accepts channel or an ordered list of channels, and a send time window', () => {
    const j = accepted(withSteps(action({ channels: ['push', 'email'], sendTime: { within: { amount: 12, unit: 'hours' } } })));
    expect(j.steps.start).toMatchObject({ channels: ['push', 'email'], sendTime: { within: { amount: 12, unit: 'hours' } } });
    expect(j.steps.start).not.toHaveProperty('channel');
    expect(accepted(withSteps(action({ channel: 'sms' }))).steps.start).toMatchObject({ channel: 'sms' });
  });

  it('needs exactly one of channel or channels, and says which field', () => {
    expectOneError(withSteps(action({ channel: 'sms', channels: ['email'] })), 'steps.start.channels', /channel or channels, not both/);
    expectOneError(withSteps(action({})), 'steps.start.channel', /needs a channel \(or channels\)/);
  });

  it('refuses an empty, too long or repeating list of channels, or an unknown one', () => {
    expectOneError(withSteps(action({ channels: [] })), 'steps.start.channels', /./);
    expectOneError(withSteps(action({ channels: ['email', 'sms', 'push', 'inApp', 'webhook', 'email'] })), 'steps.start.channels', /./);
    expectOneError(withSteps(action({ channels: ['email', 'sms', 'email'] })), 'steps.start.channels', /each channel once/);
    expect(errorsOf(withSteps(action({ channels: ['email', 'fax'] })))[0]?.path).toBe('steps.start.channels[1]');
  });

  it('refuses a send time without a valid duration, or with other fields', () => {
    expectOneError(withSteps(action({ channel: 'email', sendTime: {} })), 'steps.start.sendTime.within', /./);
    expect(errorsOf(withSteps(action({ channel: 'email', sendTime: { within: { amount: 1, unit: 'hours' }, at: '09:00' } })))[0]?.path).toMatch(/^steps\.start\.sendTime/);
  });
});
