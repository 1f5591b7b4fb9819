import { arbitrate, byRank, rankingOf, type ArbitrationProfile, type CandidateTrace, type Ranking } from '../arbitration/arbitrate.js';
import type { ContactFacts, ContactWrite, DecisionRecord, PolicyVersion } from '../arbitration/decision.js';
import type { ContactPolicy } from '../arbitration/policy.js';
import { durationMs } from '../conditions/compare.js';
import { evaluate, type ConditionFacts } from '../conditions/evaluate.js';
import type { Candidate, CandidateOutcome } from '../journeys/candidate.js';
import type { ContentItem } from './item.js';

/** What the decision API is asked: which profile (or visitor key), which placement, how many items at most. */
export interface ContentRequest {
  readonly decisionId: string;
  readonly workspaceId: string;
  /** The profile's id, or the key of an unknown visitor (`anon:<anonymousId>`). */
  readonly subjectId: string;
  readonly placement: string;
  readonly limit: number;
}

/** Everything one content decision reads: the placement's items, the profile's facts and contacts, the policy. */
export interface ContentInput extends ContentRequest {
  readonly items: readonly ContentItem[];
  readonly facts: ConditionFacts;
  readonly contact: ContactFacts;
  readonly policy: PolicyVersion;
  readonly now: number;
}

export interface ChosenItem {
  readonly item: ContentItem;
  /** 1 for the best. */
  readonly rank: number;
  readonly score: number;
}

export interface ContentDecision {
  /** Every item of the placement, with why it was chosen or not. */
  readonly decision: DecisionRecord;
  /** The chosen items' contacts, reserved until shown or `policy.reservation` has passed. */
  readonly contacts: readonly ContactWrite[];
  /** Best first. */
  readonly chosen: readonly ChosenItem[];
}

/** The `journeyId` of the decision API's candidates for a placement: what caps (`journey`) and conflict groups name it by. */
export const placementJourney = (placement: string): string => `placement:${placement}`;

type Decided = { readonly candidate: Candidate; readonly outcome: CandidateOutcome; readonly trace: CandidateTrace };

/**
 * The decision API's decision, pure: the placement's items valid at `now` whose condition holds are
 * the candidates; arbitration (consent, suppression, caps, the items' own caps, cool-down, quiet hours)
 * keeps at most `limit` of them, best score (priority × propensity × value) first. Items out of their
 * validity (rule `validity`) or whose condition is false (rule `condition`) are in the trace too.
 */
export function decideContent(input: ContentInput): ContentDecision {
  const { policy, now, limit } = input;
  const profile = arbitrationProfile(input);
  const candidates = input.items.map((item) => ({ item, candidate: itemCandidate(item, input) }));
  const screened: Decided[] = [];
  const eligible: Candidate[] = [];
  for (const { item, candidate } of candidates) {
    const refusal = validity(item, now) ?? eligibility(item, input.facts, now);
    if (refusal) screened.push(rejected(candidate, refusal, rankingOf(candidate, profile, policy.policy)));
    else eligible.push(candidate);
  }
  const d = arbitrate(profile, eligible, withSlots(policy.policy, eligible, limit), input.contact.ledger, now);
  const arbitrated = eligible.map((candidate, i) => ({ candidate, outcome: d.outcomes[i] as CandidateOutcome, trace: d.traces[i] as CandidateTrace }));
  const all = [...arbitrated, ...screened].sort(byScore);
  const sent = all.filter((x) => x.outcome.outcome === 'sent');
  const kept = new Set(sent.slice(0, limit).map((x) => x.candidate.id));
  const decided = all.map((x) => {
    const { candidate, outcome, trace } = x.outcome.outcome === 'sent' && !kept.has(x.candidate.id) ? rejected(x.candidate, { rule: 'limit', detail: { limit } }, x.trace.ranking) : x;
    // Object.assign, not a spread: spreading outcomes of several shapes is ten times slower (V8 11).
    return { candidate, outcome: Object.assign({}, outcome, { decisionId: input.decisionId }), trace };
  });
  const byId = new Map(input.items.map((item) => [item.id, item]));
  const expiresAt = now + durationMs(policy.policy.reservation);
  return {
    decision: {
      id: input.decisionId, workspaceId: input.workspaceId, profileId: input.subjectId, at: now, source: 'decide', policyVersion: policy.version,
      placement: input.placement, candidates: decided,
    },
    contacts: d.reserved
      .filter((e) => kept.has(e.candidateId))
      // Object.assign for the same reason: ledger entries come in two shapes.
      .map((e): ContactWrite => Object.assign({}, e, { workspaceId: input.workspaceId, profileId: input.subjectId, decisionId: input.decisionId, status: 'reserved' as const, expiresAt })),
    chosen: decided
      .filter((x) => kept.has(x.candidate.id))
      .map((x, i) => ({ item: byId.get(x.candidate.stepId) as ContentItem, rank: i + 1, score: x.trace.ranking.score })),
  };
}

/** The longest of the items' own cap windows (ms): how far back their caps look into the ledger. */
export function itemCapHorizon(items: readonly ContentItem[]): number {
  return items.reduce((m, item) => item.caps.reduce((n, c) => Math.max(n, durationMs(c.window)), m), 0);
}

/** The id of an item's candidate in a decision (and of the contact its decision reserves). */
export const itemCandidateId = (decisionId: string, itemId: string): string => `${decisionId}:${itemId}`;

/** An item's candidate in a decision: all of it follows from the item and the decision (stored traces rebuild it so). */
export function itemCandidate(
  item: Pick<ContentItem, 'id' | 'channel' | 'purpose' | 'priority' | 'value'> & Pick<NonNullable<Candidate['item']>, 'caps'>,
  r: Pick<ContentRequest, 'decisionId' | 'workspaceId' | 'subjectId' | 'placement'> & { readonly now: number },
): Candidate {
  return {
    id: itemCandidateId(r.decisionId, item.id), workspaceId: r.workspaceId, profileId: r.subjectId, journeyId: placementJourney(r.placement), version: 0,
    stepId: item.id, channel: item.channel, item: { id: item.id, caps: item.caps }, template: item.id, purpose: item.purpose,
    priority: item.priority, value: item.value, proposedAt: r.now,
  };
}

type Refusal = { readonly rule: string; readonly detail?: Readonly<Record<string, unknown>> };

/** Out of its validity: before `from` (inclusive) or from `until` (exclusive) on. */
function validity(item: ContentItem, now: number): Refusal | undefined {
  const early = item.from !== undefined && now < Date.parse(item.from);
  const late = item.until !== undefined && now >= Date.parse(item.until);
  return early || late ? { rule: 'validity', detail: { from: item.from ?? null, until: item.until ?? null } } : undefined;
}

function eligibility(item: ContentItem, facts: ConditionFacts, now: number): Refusal | undefined {
  return item.condition === undefined || evaluate(item.condition, facts, now).value ? undefined : { rule: 'condition' };
}

function arbitrationProfile(input: ContentInput): ArbitrationProfile {
  const { traits, scores, timezone } = input.facts;
  return { traits, ...(scores ? { scores } : {}), ...(timezone ? { timezone } : {}), suppressed: input.contact.suppressed };
}

/** The policy with `limit` slots on each channel the candidates use (the answer keeps at most `limit` in all). */
function withSlots(policy: ContactPolicy, candidates: readonly Candidate[], limit: number): ContactPolicy {
  const slots = { ...policy.slots };
  for (const c of candidates) slots[c.channel] = limit;
  return { ...policy, slots };
}

function rejected(candidate: Candidate, r: Refusal, ranking: Ranking): Decided {
  return {
    candidate,
    outcome: { candidateId: candidate.id, outcome: 'rejected', rule: r.rule },
    trace: { candidateId: candidate.id, outcome: 'rejected', channel: candidate.channel, rule: r.rule, ...(r.detail ? { detail: r.detail } : {}), ranking },
  };
}

const byScore = (a: Decided, b: Decided): number => byRank(a.trace.ranking, a.candidate, b.trace.ranking, b.candidate);
