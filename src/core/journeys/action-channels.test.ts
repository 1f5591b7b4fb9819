import { describe, expect, it } from 'vitest';
import { arbitrate, type ArbitrationProfile } from '../arbitration/arbitrate.js';
import { ContactPolicy } from '../arbitration/policy.js';
import type { Candidate, CandidateOutcome } from './candidate.js';
import { JourneyDefinition, type JourneyDefinitionInput } from './definition.js';
import { transition } from './machine.js';
import type { JourneyState, MachineContext, Transition } from './state.js';

const T0 = Date.parse('2026-03-02T10:00:00Z'); // 11:00 in Paris
const H = 3_600_000;

function ctxOf(action: Record<string, unknown>): MachineContext {
  const steps = { start: { kind: 'action', template: 'nudge', next: 'end', ...action }, end: { kind: 'exit' } } as JourneyDefinitionInput['steps'];
  const d = JourneyDefinition.parse({ id: 'j', name: 'J', owner: 'ana', team: 'growth', entry: { event: 'Go' }, start: 'start', steps });
  return { journey: { id: 'j', workspaceId: 'ws', name: 'J', status: 'live', liveVersion: 1, versions: new Map([[1, d]]) }, profileId: 'p1', facts: { traits: {}, timezone: 'Europe/Paris' } };
}
const enter = (ctx: MachineContext): Transition => transition(undefined, { kind: 'event', event: { event: 'Go', ts: T0, messageId: 'm1', properties: {} }, at: T0 }, ctx);
const proposed = (t: Transition): Candidate[] => t.commands.flatMap((c) => (c.kind === 'candidate' ? [c.candidate] : []));

describe('action: channels and send time in the candidate', () => {
  it('channels: the first is the channel, the rest the alternatives in order; sendTime.within is sendWithin in ms', () => {
    const [c] = proposed(enter(ctxOf({ channels: ['push', 'email', 'sms'], sendTime: { within: { amount: 12, unit: 'hours' } } })));
    expect(c).toMatchObject({ channel: 'push', alternatives: ['email', 'sms'], sendWithin: 12 * H });
  });

  it('a single channel (either way) has no alternatives, and no sendTime means no sendWithin', () => {
    for (const action of [{ channel: 'sms' }, { channels: ['sms'] }]) {
      const [c] = proposed(enter(ctxOf(action)));
      expect(c?.channel).toBe('sms');
      expect(c).not.toHaveProperty('alternatives');
      expect(c).not.toHaveProperty('sendWithin');
    }
  });

  it('a deferred candidate is proposed again with the same channels and send time', () => {
    const ctx = ctxOf({ channels: ['email', 'push'], sendTime: { within: { amount: 1, unit: 'days' } } });
    const first = enter(ctx);
    const c = proposed(first)[0] as Candidate;
    const until = T0 + 7 * H;
    const held = transition(first.state, { kind: 'decided', outcome: { candidateId: c.id, outcome: 'deferred', until, rule: 'sendTime' }, at: T0 }, ctx);
    expect(held.state?.deferredUntil).toBe(until);
    const again = proposed(transition(held.state, { kind: 'timer', at: until }, ctx));
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ channel: 'email', alternatives: ['push'], sendWithin: 24 * H, proposedAt: until });
  });

  it('through arbitration: sent on the channel the profile engages with most, deferred to its best hour first', () => {
    const ctx = ctxOf({ channels: ['email', 'push'], sendTime: { within: { amount: 12, unit: 'hours' } } });
    const t = enter(ctx);
    const c = proposed(t)[0] as Candidate;
    const hours = Array.from({ length: 24 }, (_, h) => (h === 19 ? 4 : 0));
    const profile: ArbitrationProfile = { traits: { consent: { marketing: true } }, timezone: 'Europe/Paris', suppressed: new Set(), engagement: { email: { delivered: 10, engaged: 1, hours }, push: { delivered: 10, engaged: 4, hours } } };
    const policy = ContactPolicy.parse({});
    const d = arbitrate(profile, [c], policy, [], T0);
    expect(d.outcomes[0]).toMatchObject({ outcome: 'deferred', rule: 'sendTime', until: Date.parse('2026-03-02T18:00:00Z') });
    expect(d.traces[0]).toMatchObject({ channel: 'push', channels: [{ channel: 'push', rate: 0.4 }] });
    const at = Date.parse('2026-03-02T18:00:00Z');
    const held = transition(t.state, { kind: 'decided', outcome: d.outcomes[0] as CandidateOutcome, at: T0 }, ctx).state as JourneyState;
    const again = proposed(transition(held, { kind: 'timer', at }, ctx))[0] as Candidate;
    expect(arbitrate(profile, [again], policy, [], at).outcomes[0]).toEqual({ candidateId: again.id, outcome: 'sent', channel: 'push' });
  });
});
