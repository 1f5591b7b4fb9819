import { describe, expect, it } from 'vitest';
import { arbitrate } from '../../core/arbitration/arbitrate.js';
import type { DecisionRecord } from '../../core/arbitration/decision.js';
import { ContactPolicy } from '../../core/arbitration/policy.js';
import { decideContent } from '../../core/content/decide.js';
import { parseContentItem, type ContentItem } from '../../core/content/item.js';
import type { Candidate } from '../../core/journeys/candidate.js';
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
    const item = (id: string, fields: Record<string, unknown> = {}): ContentItem => {
      const r = parseContentItem({ id, name: id, placement: 'home', content: { id, text: 'x'.repeat(200) }, ...fields });
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      return r.value;
    };
    const items = [item('a', { priority: 90, caps: [{ limit: 1, window: { amount: 1, unit: 'days' } }] }), item('b', { priority: 20, value: 3 }), item('c', { condition: { kind: 'trait', name: 'plan', op: 'equals', value: 'pro' } })];
    const policy = { version: 1, policy: ContactPolicy.parse({ optIn: [], propensityScore: 'p' }) };
    const { decision } = decideContent({
      decisionId: 'dec_2', workspaceId: 'ws', subjectId: 'anon:ws:x', placement: 'home', limit: 1, items,
      facts: { traits: {}, scores: { p: 0.3 } }, contact: { ledger: [], suppressed: new Set() }, policy, now: T0,
    });
    expect(decodeDecision(row(decision))).toEqual(decision);
    expect(row(decision).body.length).toBeLessThan(700);
  });
});
