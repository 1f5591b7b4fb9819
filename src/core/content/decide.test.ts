import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../arbitration/decision.js';
import { ContactPolicy } from '../arbitration/policy.js';
import { decideContent, itemCapHorizon, type ContentInput } from './decide.js';
import { parseContentItem, type ContentItem } from './item.js';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const DAY = 86_400_000;

function item(id: string, fields: Record<string, unknown> = {}): ContentItem {
  const r = parseContentItem({ id, name: id, placement: 'home', content: { id }, ...fields });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

const input = (items: ContentItem[], over: Partial<ContentInput> = {}): ContentInput => ({
  decisionId: 'dec_1', workspaceId: 'ws', subjectId: 'prof_1', placement: 'home', limit: 1, items,
  facts: { traits: {} }, contact: { ledger: [], suppressed: new Set() }, policy: DEFAULT_POLICY, now: T0, ...over,
});

describe('decideContent', () => {
  it('answers at most `limit` items in all, even across channels; the others say why', () => {
    const items = [item('in', { priority: 90 }), item('push', { priority: 80, channel: 'push' }), item('web', { priority: 70, channel: 'webhook' })];
    const d = decideContent(input(items, { limit: 2 }));
    expect(d.chosen.map((c) => [c.item.id, c.rank, c.score])).toEqual([['in', 1, 90], ['push', 2, 80]]);
    expect(d.contacts.map((c) => [c.item, c.status, c.expiresAt])).toEqual([['in', 'reserved', T0 + 30 * 60_000], ['push', 'reserved', T0 + 30 * 60_000]]);
    expect(d.decision.candidates.map((c) => c.outcome)).toEqual([
      { candidateId: 'dec_1:in', decisionId: 'dec_1', outcome: 'sent', channel: 'inApp' },
      { candidateId: 'dec_1:push', decisionId: 'dec_1', outcome: 'sent', channel: 'push' },
      { candidateId: 'dec_1:web', decisionId: 'dec_1', outcome: 'rejected', rule: 'limit' },
    ]);
  });

  it('screens items out by validity and condition before arbitration, ranked all the same', () => {
    const items = [
      item('later', { priority: 100, from: new Date(T0 + DAY).toISOString() }),
      item('pro', { priority: 90, condition: { kind: 'trait', name: 'plan', op: 'equals', value: 'pro' } }),
      item('any', { priority: 10 }),
    ];
    const policy = { version: 3, policy: ContactPolicy.parse({ optIn: [], propensityScore: 'p' }) };
    const d = decideContent(input(items, { policy, facts: { traits: { plan: 'free' }, scores: { p: 0.5 } } }));
    expect(d.chosen.map((c) => c.item.id)).toEqual(['any']);
    expect(d.decision).toMatchObject({ policyVersion: 3, source: 'decide', placement: 'home', profileId: 'prof_1' });
    expect(d.decision.candidates.map((c) => [c.candidate.stepId, c.trace.rule ?? 'sent', c.trace.ranking.score, c.trace.ranking.propensitySource])).toEqual([
      ['later', 'validity', 50, 'score:p'], ['pro', 'condition', 45, 'score:p'], ['any', 'sent', 5, 'score:p'],
    ]);
  });

  it("counts reserved and shown contacts of the ledger against the item's caps; the horizon covers its windows", () => {
    const capped = item('offer', { caps: [{ limit: 1, window: { amount: 7, unit: 'days' } }] });
    const ledger = [{ at: T0 - 6 * DAY, channel: 'inApp' as const, purpose: 'marketing' as const, journeyId: 'placement:home', candidateId: 'x', item: 'offer' }];
    expect(decideContent(input([capped], { contact: { ledger, suppressed: new Set() } })).decision.candidates[0]?.trace.rule).toBe('cap:item:offer');
    expect(decideContent(input([capped], { contact: { ledger: [], suppressed: new Set(['inApp']) } })).decision.candidates[0]?.trace.rule).toBe('suppression:inApp');
    expect(itemCapHorizon([capped, item('free')])).toBe(7 * DAY);
  });
});
