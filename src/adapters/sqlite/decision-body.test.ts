import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbitrate } from '../../core/arbitration/arbitrate.js';
import type { DecisionRecord } from '../../core/arbitration/decision.js';
import { ContactPolicy } from '../../core/arbitration/policy.js';
import { decideContent } from '../../core/content/decide.js';
import { parseContentItem, type ContentItem } from '../../core/content/item.js';
import type { Candidate } from '../../core/journeys/candidate.js';
import { Channel, Purpose } from '../../core/journeys/definition.js';
import { decodeDecision, encodeDecision } from './decision-body.js';

const T0 = Date.parse('2026-03-02T21:30:00.000Z');
const row = (d: DecisionRecord) => ({ id: d.id, workspace_id: d.workspaceId, profile_id: d.profileId, at: d.at, source: d.source, policy_version: d.policyVersion, body: encodeDecision(d) });

describe('stored decision bodies', () => {
  it('a journey decision reads back as it was decided (channels tried, deferral, caps with their numbers)', () => {
    const policy = ContactPolicy.parse({ optIn: [], caps: [{ id: 'daily', limit: 1, window: { amount: 1, unit: 'days' } }], quietHours: { from: '21:00', to: '08:00', purposes: ['service'] } });
    const base = { workspaceId: 'ws', profileId: 'prof_1', version: 2, template: 't', purpose: 'marketing' as const, priority: 40, value: 1.5, proposedAt: T0 };
    const candidates: Candidate[] = [
      { ...base, id: 'c1', journeyId: 'a', stepId: 's1', channel: 'email', alternatives: ['sms'], contributor: 'mailer' },
      { ...base, id: 'c2', journeyId: 'b', stepId: 's2', channel: 'sms', priority: 10 },
      { ...base, id: 'c3', journeyId: 'c', stepId: 's3', channel: 'push', purpose: 'service' },
    ];
    const profile = { traits: {}, scores: {}, timezone: 'Europe/Paris', suppressed: new Set<string>(), engagement: { sms: { delivered: 5, engaged: 4, hours: Array(24).fill(0) } } };
    const d = arbitrate(profile, candidates, policy, [], T0);
    const decision: DecisionRecord = {
      id: 'dec_1', workspaceId: 'ws', profileId: 'prof_1', at: T0, source: 'journey', policyVersion: 3,
      candidates: candidates.map((candidate, i) => ({ candidate, outcome: { ...d.outcomes[i]!, decisionId: 'dec_1' }, trace: d.traces[i]! })),
    };
    expect(decision.candidates.map((c) => c.outcome.outcome)).toEqual(['sent', 'rejected', 'deferred']);
    expect(decodeDecision(row(decision))).toEqual(decision);
  });

  it('a decision API decision stores each item in a few fields and reads back whole', () => {
    const items = [catalogueItem('a', { priority: 90, caps: [{ limit: 1, window: { amount: 1, unit: 'days' } }] }), catalogueItem('b', { priority: 20, value: 3 }), catalogueItem('c', { condition: { kind: 'trait', name: 'plan', op: 'equals', value: 'pro' } })];
    const policy = { version: 1, policy: ContactPolicy.parse({ optIn: [], propensityScore: 'p' }) };
    const { decision } = decideContent({
      decisionId: 'dec_2', workspaceId: 'ws', subjectId: 'anon:ws:x', placement: 'home', limit: 1, items,
      facts: { traits: {}, scores: { p: 0.3 } }, contact: { ledger: [], suppressed: new Set() }, policy, now: T0,
    });
    expect(decodeDecision(row(decision))).toEqual(decision);
    expect(row(decision).body.length).toBeLessThan(700);
  });

  it('a decision API decision of 40 items is under 2 KB and reads back whole', () => {
    const items = Array.from({ length: 40 }, (_, k) =>
      catalogueItem(`item-${k}`, {
        priority: 10 + ((k * 37) % 90), value: 1 + (k % 7), caps: [{ limit: 2, window: { amount: 1, unit: 'days' } }],
        ...(k % 4 === 0 ? { condition: { kind: 'trait', name: 'plan', op: 'equals', value: 'pro' } } : {}),
      }));
    const policy = { version: 1, policy: ContactPolicy.parse({ optIn: [] }) };
    const { decision } = decideContent({
      decisionId: 'dec_3', workspaceId: 'ws', subjectId: 'prof_3', placement: 'home', limit: 2, items,
      facts: { traits: { plan: 'free' } }, contact: { ledger: [], suppressed: new Set() }, policy, now: T0,
    });
    expect(new Set(decision.candidates.map((c) => c.outcome.outcome === 'sent' ? 'sent' : c.outcome.rule))).toEqual(new Set(['sent', 'condition', 'slots:inApp']));
    expect(decodeDecision(row(decision))).toEqual(decision);
    expect(row(decision).body.length).toBeLessThan(2_000);
  });

  it('any decision API decision reads back as it was decided (channels, purposes, caps, consent, quiet hours, validity, ledger)', () => {
    const cap = fc.record({ limit: fc.integer({ min: 0, max: 3 }), window: fc.record({ amount: fc.integer({ min: 1, max: 3 }), unit: fc.constantFrom('hours' as const, 'days' as const) }) });
    const itemArb = fc.record({
      channel: fc.constantFrom(...Channel.options), purpose: fc.constantFrom(...Purpose.options), priority: fc.integer({ min: 0, max: 100 }), value: fc.integer({ min: 0, max: 9 }),
      caps: fc.array(cap, { maxLength: 2 }), plan: fc.option(fc.constantFrom('pro', 'free'), { nil: undefined }), hoursValid: fc.option(fc.integer({ min: -3, max: 3 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(itemArb, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.boolean(), fc.nat({ max: 6 }), (specs, limit, quiet, scored, sent) => {
        const items = specs.map((x, k) =>
          catalogueItem(`i${k}`, {
            channel: x.channel, purpose: x.purpose, priority: x.priority, value: x.value, caps: x.caps,
            ...(x.plan ? { condition: { kind: 'trait', name: 'plan', op: 'equals', value: x.plan } } : {}),
            ...(x.hoursValid === undefined ? {} : { until: new Date(T0 + x.hoursValid * 3_600_000).toISOString() }),
          }));
        const policy = {
          version: 4,
          policy: ContactPolicy.parse({
            optIn: ['marketing'], caps: [{ id: 'daily', limit: 2, window: { amount: 1, unit: 'days' } }],
            ...(quiet ? { quietHours: { from: '21:00', to: '08:00', purposes: ['marketing', 'service'] } } : {}), ...(scored ? { propensityScore: 'p' } : {}),
          }),
        };
        const ledger = Array.from({ length: sent }, (_, k) => ({ at: T0 - (k + 1) * 3_600_000, channel: 'inApp' as const, purpose: 'marketing' as const, journeyId: 'placement:home', candidateId: `old-${k}`, item: `i${k}` }));
        const { decision } = decideContent({
          decisionId: 'dec_4', workspaceId: 'ws', subjectId: 'prof_4', placement: 'home', limit, items,
          facts: { traits: { plan: 'pro', consent: { marketing: { email: true, inApp: true } } }, scores: { p: 0.25 }, timezone: 'Europe/Paris' }, contact: { ledger, suppressed: new Set(['sms']) }, policy, now: T0,
        });
        expect(decodeDecision(row(decision))).toEqual(decision);
      }),
      { numRuns: 300 },
    );
  });

  it('a body of version 1 (items as objects) still reads back', () => {
    const body = JSON.stringify({
      v: 1, placement: 'home',
      c: [
        { i: { id: 'a', ch: 'inApp', pu: 'marketing', p: 90, v: 1, caps: [{ limit: 1, window: { amount: 1, unit: 'days' } }] }, o: { outcome: 'sent', channel: 'inApp' }, t: { pr: 1, ps: 'default', channel: 'inApp' } },
        { i: { id: 'b', ch: 'inApp', pu: 'marketing', p: 20, v: 3 }, o: { outcome: 'rejected', rule: 'condition' }, t: { pr: 1, ps: 'default', channel: 'inApp' } },
      ],
    });
    const d = decodeDecision({ id: 'dec_5', workspace_id: 'ws', profile_id: 'prof_5', at: T0, source: 'decide', policy_version: 2, body });
    expect(d.candidates.map((c) => [c.candidate.id, c.candidate.item, c.outcome, c.trace.rule ?? null, c.trace.ranking.score])).toEqual([
      ['dec_5:a', { id: 'a', caps: [{ limit: 1, window: { amount: 1, unit: 'days' } }] }, { candidateId: 'dec_5:a', decisionId: 'dec_5', outcome: 'sent', channel: 'inApp' }, null, 90],
      ['dec_5:b', { id: 'b', caps: [] }, { candidateId: 'dec_5:b', decisionId: 'dec_5', outcome: 'rejected', rule: 'condition' }, 'condition', 60],
    ]);
  });
});

function catalogueItem(id: string, fields: Record<string, unknown> = {}): ContentItem {
  const r = parseContentItem({ id, name: id, placement: 'home', content: { id, text: 'x'.repeat(200) }, ...fields });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}
