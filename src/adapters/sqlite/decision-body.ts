import type { CandidateTrace, Ranking } from '../../core/arbitration/arbitrate.js';
import type { DecisionRecord } from '../../core/arbitration/decision.js';
import { itemCandidate } from '../../core/content/decide.js';
import type { ContentItem } from '../../core/content/item.js';
import type { Candidate, CandidateOutcome } from '../../core/journeys/candidate.js';

/**
 * A decision's stored body: each candidate once, without what the row, the candidate or the
 * placement already say (workspace, profile, decision id, candidate id, the outcome and rule
 * repeated in the trace, the ranking's priority, value and score), so that a decision of 40
 * catalogue items stays a few kilobytes. A catalogue item's candidate is its item, channel,
 * purpose, priority, value and caps; the rest follows from the decision (see `decideContent`).
 */
const BODY_VERSION = 1;

type JourneyCandidate = Omit<Candidate, 'workspaceId' | 'profileId'>;
interface ItemCandidate {
  id: string;
  ch: Candidate['channel'];
  pu: Candidate['purpose'];
  p: number;
  v: number;
  caps?: ContentItem['caps'];
}
type StoredOutcome = { outcome: CandidateOutcome['outcome']; rule?: string; until?: number; channel?: string };
interface StoredTrace {
  pr: number;
  ps: string;
  detail?: CandidateTrace['detail'];
  channel?: CandidateTrace['channel'];
  channels?: CandidateTrace['channels'];
}
type StoredCandidate = ({ c: JourneyCandidate } | { i: ItemCandidate }) & { o: StoredOutcome; t: StoredTrace };
interface Body {
  v: number;
  placement?: string;
  c: StoredCandidate[];
}

type Row = { id: string; workspace_id: string; profile_id: string; at: number; source: DecisionRecord['source']; policy_version: number; body: string };

export function encodeDecision(d: DecisionRecord): string {
  const body: Body = {
    v: BODY_VERSION,
    ...(d.placement === undefined ? {} : { placement: d.placement }),
    c: d.candidates.map(({ candidate: c, outcome, trace }) => ({
      ...(d.source === 'decide' && c.item !== undefined && d.placement !== undefined ? { i: storedItem(c) } : { c: storedCandidate(c) }),
      o: storedOutcome(outcome),
      t: storedTrace(trace),
    })),
  };
  return JSON.stringify(body);
}

export function decodeDecision(row: Row): DecisionRecord {
  const body = JSON.parse(row.body) as Body;
  return {
    id: row.id, workspaceId: row.workspace_id, profileId: row.profile_id, at: row.at, source: row.source, policyVersion: row.policy_version,
    ...(body.placement === undefined ? {} : { placement: body.placement }),
    candidates: body.c.map((s) => {
      const candidate = 'i' in s ? candidateOfItem(s.i, row, body.placement ?? '') : ({ ...s.c, workspaceId: row.workspace_id, profileId: row.profile_id } as Candidate);
      const outcome = { ...s.o, candidateId: candidate.id, decisionId: row.id } as CandidateOutcome;
      const { pr, ps, ...rest } = s.t;
      const ranking: Ranking = { priority: candidate.priority, propensity: pr, propensitySource: ps, value: candidate.value, score: candidate.priority * pr * candidate.value };
      const trace = { ...rest, ranking, candidateId: candidate.id, outcome: s.o.outcome, ...(s.o.rule === undefined ? {} : { rule: s.o.rule }) } as CandidateTrace;
      return { candidate, outcome, trace };
    }),
  };
}

/** Field by field (no spread and delete: this runs for every candidate of every decision). */
function storedCandidate(c: Candidate): JourneyCandidate {
  return {
    id: c.id, journeyId: c.journeyId, version: c.version, stepId: c.stepId, channel: c.channel, template: c.template, purpose: c.purpose,
    priority: c.priority, value: c.value, proposedAt: c.proposedAt,
    ...(c.alternatives === undefined ? {} : { alternatives: c.alternatives }), ...(c.sendWithin === undefined ? {} : { sendWithin: c.sendWithin }),
    ...(c.item === undefined ? {} : { item: c.item }), ...(c.contributor === undefined ? {} : { contributor: c.contributor }),
  };
}

function storedItem(c: Candidate): ItemCandidate {
  const caps = c.item?.caps ?? [];
  return { id: c.item?.id ?? c.stepId, ch: c.channel, pu: c.purpose, p: c.priority, v: c.value, ...(caps.length === 0 ? {} : { caps: [...caps] }) };
}

const candidateOfItem = (i: ItemCandidate, row: Row, placement: string): Candidate =>
  itemCandidate(
    { id: i.id, channel: i.ch, caps: i.caps ?? [], purpose: i.pu, priority: i.p, value: i.v },
    { decisionId: row.id, workspaceId: row.workspace_id, subjectId: row.profile_id, placement, now: row.at },
  );

function storedOutcome(o: CandidateOutcome): StoredOutcome {
  if (o.outcome === 'sent') return o.channel === undefined ? { outcome: 'sent' } : { outcome: 'sent', channel: o.channel };
  return o.outcome === 'deferred' ? { outcome: 'deferred', rule: o.rule, until: o.until } : { outcome: 'rejected', rule: o.rule };
}

function storedTrace(t: CandidateTrace): StoredTrace {
  return {
    pr: t.ranking.propensity, ps: t.ranking.propensitySource, ...(t.detail === undefined ? {} : { detail: t.detail }),
    ...(t.channel === undefined ? {} : { channel: t.channel }), ...(t.channels === undefined ? {} : { channels: t.channels }),
  };
}
