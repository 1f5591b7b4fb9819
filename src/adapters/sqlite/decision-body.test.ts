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

  it('any journey decision reads back as it was decided (channels, purposes, caps, consent, quiet hours, ledger), after a merge too', () => {
    const candidateArb = fc.record({
      journey: fc.constantFrom('welcome', 'winback', 'j_1'), entries: fc.integer({ min: 1, max: 3 }), canonical: fc.boolean(), channel: fc.constantFrom(...Channel.options),
      alternatives: fc.array(fc.constantFrom(...Channel.options), { maxLength: 2 }), purpose: fc.constantFrom(...Purpose.options), priority: fc.integer({ min: 0, max: 100 }),
      value: fc.integer({ min: 0, max: 9 }), sendWithin: fc.option(fc.constantFrom(3_600_000, 86_400_000), { nil: undefined }), contributor: fc.option(fc.constantFrom('mailer', 'sms-eu'), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(candidateArb, { minLength: 1, maxLength: 12 }), fc.boolean(), fc.boolean(), fc.nat({ max: 4 }), fc.boolean(), (specs, quiet, scored, sent, merged) => {
        const candidates: Candidate[] = specs.map((x, k) => ({
          id: x.canonical ? `cand_${x.journey}_prof_7_${x.entries}_s${k}_${T0}` : `other-${k}`, workspaceId: 'ws', profileId: 'prof_7', journeyId: x.journey, version: x.entries,
          stepId: `s${k}`, channel: x.channel, template: `t${k}`, purpose: x.purpose, priority: x.priority, value: x.value, proposedAt: T0 - k,
          ...(x.alternatives.length > 0 ? { alternatives: x.alternatives } : {}), ...(x.sendWithin === undefined ? {} : { sendWithin: x.sendWithin }), ...(x.contributor === undefined ? {} : { contributor: x.contributor }),
        }));
        const policy = ContactPolicy.parse({
          optIn: ['marketing'], caps: [{ id: 'weekly', limit: 2, window: { amount: 7, unit: 'days' } }, { id: 'sms', limit: 1, window: { amount: 1, unit: 'days' }, channel: 'sms' }],
          ...(quiet ? { quietHours: { from: '21:00', to: '08:00', purposes: ['marketing', 'service'] } } : {}), ...(scored ? { propensityScore: 'p' } : {}),
        });
        const ledger = Array.from({ length: sent }, (_, k) => ({ at: T0 - (k + 1) * 3_600_000, channel: 'email' as const, purpose: 'marketing' as const, journeyId: 'welcome', candidateId: `old-${k}` }));
        const profile = { traits: { consent: { marketing: { email: true, sms: true } } }, scores: { p: 0.5 }, timezone: 'Europe/Paris', suppressed: new Set(['push']) };
        const d = arbitrate(profile, candidates, policy, ledger, T0);
        const decision: DecisionRecord = {
          id: 'dec_7', workspaceId: 'ws', profileId: 'prof_7', at: T0, source: 'journey', policyVersion: 2,
          candidates: candidates.map((candidate, i) => ({ candidate, outcome: { ...d.outcomes[i]!, decisionId: 'dec_7' }, trace: d.traces[i]! })),
        };
        const stored = row(decision);
        if (!merged) return void expect(decodeDecision(stored)).toEqual(decision);
        // Merged into another profile: the row moves, the candidates keep their ids.
        const moved = decodeDecision({ ...stored, profile_id: 'prof_8' });
        expect(moved.candidates.map((c) => c.candidate.id)).toEqual(candidates.map((c) => c.id));
        expect(moved.candidates.every((c) => c.candidate.profileId === 'prof_8')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a journey decision of 20 candidates refused by one cap writes its numbers once, in about 100 bytes a candidate (version 1: 400)', () => {
    const policy = ContactPolicy.parse({ optIn: [], caps: [{ id: 'marketing-weekly', limit: 3, window: { amount: 7, unit: 'days' } }] });
    const ledger = [1, 2, 3].map((k) => ({ at: T0 - k * 3_600_000, channel: 'email' as const, purpose: 'marketing' as const, journeyId: `old${k}`, candidateId: `old-${k}` }));
    const candidates: Candidate[] = Array.from({ length: 20 }, (_, k) => ({
      id: `cand_j${k}_prof_01KJPZV280TCMF73JKR4F8QHFF_1_send_${T0}`, workspaceId: 'ws', profileId: 'prof_01KJPZV280TCMF73JKR4F8QHFF', journeyId: `j${k}`, version: 1,
      stepId: 'send', channel: k % 3 === 0 ? 'email' : k % 3 === 1 ? 'sms' : 'push', template: `t${k}`, purpose: 'marketing', priority: 10 + k, value: 1 + (k % 5), proposedAt: T0,
    }));
    const d = arbitrate({ traits: {}, scores: {}, suppressed: new Set<string>() }, candidates, policy, ledger, T0);
    const decision: DecisionRecord = {
      id: 'dec_9', workspaceId: 'ws', profileId: 'prof_01KJPZV280TCMF73JKR4F8QHFF', at: T0, source: 'journey', policyVersion: 1,
      candidates: candidates.map((candidate, i) => ({ candidate, outcome: { ...d.outcomes[i]!, decisionId: 'dec_9' }, trace: d.traces[i]! })),
    };
    expect(new Set(decision.candidates.map((c) => c.trace.rule))).toEqual(new Set(['cap:marketing-weekly']));
    const { body } = row(decision);
    expect(body.match(/"limit":3/g)).toHaveLength(1);
    expect(body.length).toBeLessThan(20 * 110);
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

  it('a journey decision of version 1 (every candidate whole) still reads back', () => {
    const body = JSON.stringify({
      v: 1,
      c: [
        {
          c: { id: `cand_j1_prof_1_1_send_${T0}`, journeyId: 'j1', version: 1, stepId: 'send', channel: 'sms', template: 't1', purpose: 'marketing', priority: 11, value: 2, proposedAt: T0 },
          o: { outcome: 'rejected', rule: 'cap:weekly' }, t: { pr: 1, ps: 'default', detail: { count: 3, limit: 3 }, channel: 'sms' },
        },
      ],
    });
    const d = decodeDecision({ id: 'dec_6', workspace_id: 'ws', profile_id: 'prof_1', at: T0, source: 'journey', policy_version: 2, body });
    expect(d.candidates).toEqual([
      {
        candidate: { id: `cand_j1_prof_1_1_send_${T0}`, workspaceId: 'ws', profileId: 'prof_1', journeyId: 'j1', version: 1, stepId: 'send', channel: 'sms', template: 't1', purpose: 'marketing', priority: 11, value: 2, proposedAt: T0 },
        outcome: { candidateId: `cand_j1_prof_1_1_send_${T0}`, decisionId: 'dec_6', outcome: 'rejected', rule: 'cap:weekly' },
        trace: {
          candidateId: `cand_j1_prof_1_1_send_${T0}`, outcome: 'rejected', rule: 'cap:weekly', channel: 'sms', detail: { count: 3, limit: 3 },
          ranking: { priority: 11, propensity: 1, propensitySource: 'default', value: 2, score: 22 },
        },
      },
    ]);
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
