import type { CandidateTrace } from '../../core/arbitration/arbitrate.js';
import type { DecisionRecord } from '../../core/arbitration/decision.js';
import type { Candidate, CandidateOutcome } from '../../core/journeys/candidate.js';

/**
 * A decision's stored body: each candidate once, without what the row or the candidate already says
 * (workspace, profile, decision id, candidate id, outcome and rule repeated in the trace), so that a
 * decision of 20 candidates stays a few kilobytes.
 */
const BODY_VERSION = 1;

type StoredCandidate = Omit<Candidate, 'workspaceId' | 'profileId'>;
type StoredOutcome = { outcome: CandidateOutcome['outcome']; rule?: string; until?: number; channel?: string };
type StoredTrace = Omit<CandidateTrace, 'candidateId' | 'outcome' | 'rule'>;
interface Body {
  v: number;
  placement?: string;
  c: { c: StoredCandidate; o: StoredOutcome; t: StoredTrace }[];
}

export function encodeDecision(d: DecisionRecord): string {
  const body: Body = {
    v: BODY_VERSION,
    ...(d.placement === undefined ? {} : { placement: d.placement }),
    c: d.candidates.map(({ candidate, outcome, trace }) => ({ c: storedCandidate(candidate), o: storedOutcome(outcome), t: storedTrace(trace) })),
  };
  return JSON.stringify(body);
}

export function decodeDecision(row: { id: string; workspace_id: string; profile_id: string; at: number; source: DecisionRecord['source']; policy_version: number; body: string }): DecisionRecord {
  const body = JSON.parse(row.body) as Body;
  return {
    id: row.id, workspaceId: row.workspace_id, profileId: row.profile_id, at: row.at, source: row.source, policyVersion: row.policy_version,
    ...(body.placement === undefined ? {} : { placement: body.placement }),
    candidates: body.c.map(({ c, o, t }) => {
      const candidate = { ...c, workspaceId: row.workspace_id, profileId: row.profile_id } as Candidate;
      const outcome = { ...o, candidateId: c.id, decisionId: row.id } as CandidateOutcome;
      const rule = 'rule' in outcome ? outcome.rule : undefined;
      const trace = { ...t, candidateId: c.id, outcome: o.outcome, ...(rule === undefined ? {} : { rule }) } as CandidateTrace;
      return { candidate, outcome, trace };
    }),
  };
}

/** Field by field (no spread and delete: this runs for every candidate of every decision). */
function storedCandidate(c: Candidate): StoredCandidate {
  return {
    id: c.id, journeyId: c.journeyId, version: c.version, stepId: c.stepId, channel: c.channel, template: c.template, purpose: c.purpose,
    priority: c.priority, value: c.value, proposedAt: c.proposedAt,
    ...(c.alternatives === undefined ? {} : { alternatives: c.alternatives }), ...(c.sendWithin === undefined ? {} : { sendWithin: c.sendWithin }),
    ...(c.item === undefined ? {} : { item: c.item }), ...(c.contributor === undefined ? {} : { contributor: c.contributor }),
  };
}

function storedOutcome(o: CandidateOutcome): StoredOutcome {
  if (o.outcome === 'sent') return o.channel === undefined ? { outcome: 'sent' } : { outcome: 'sent', channel: o.channel };
  return o.outcome === 'deferred' ? { outcome: 'deferred', rule: o.rule, until: o.until } : { outcome: 'rejected', rule: o.rule };
}

function storedTrace(t: CandidateTrace): StoredTrace {
  return {
    ranking: t.ranking, ...(t.detail === undefined ? {} : { detail: t.detail }), ...(t.channel === undefined ? {} : { channel: t.channel }),
    ...(t.channels === undefined ? {} : { channels: t.channels }),
  };
}
