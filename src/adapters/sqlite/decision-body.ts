import type { CandidateTrace, ChannelTrace, Ranking } from '../../core/arbitration/arbitrate.js';
import type { DecisionRecord } from '../../core/arbitration/decision.js';
import { itemCandidate } from '../../core/content/decide.js';
import type { Candidate, CandidateOutcome } from '../../core/journeys/candidate.js';
import type { Channel, Purpose } from '../../core/journeys/definition.js';

/**
 * A decision's stored body: each candidate once, without what the row, the candidate or the
 * placement already say (workspace, profile, decision id, candidate id, the outcome and rule
 * repeated in the trace, the ranking's priority, value and score).
 *
 * Version 2, a decision API decision: every item of the placement is one row of a few values (item id,
 * priority, value, outcome, rule, caps), and what the items share (channel, purpose, propensity and its
 * source) is written once; a row carries only what differs. The rest of its candidate follows from the
 * decision (see `itemCandidate`). A decision of 40 items is under 2 KB (version 1 wrote about 7.5 KB).
 * Version 1 (still read): a decision API item as an object `i`; journey decisions are still written so.
 */
type JourneyCandidate = Omit<Candidate, 'workspaceId' | 'profileId'>;
interface ItemCandidate {
  id: string;
  ch: Channel;
  pu: Purpose;
  p: number;
  v: number;
  caps?: Caps;
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
  v: 1;
  placement?: string;
  c: StoredCandidate[];
}

/** What the rows of a version 2 body share. */
interface Shared {
  ch: Channel;
  pu: Purpose;
  pr: number;
  ps: string;
}
/**
 * A row's fields that differ from `Shared`, and those most rows lack. `tc` / `oc`: the trace's and the
 * outcome's channel, when not the item's (null: none); `d`: the trace's detail (index in `details`).
 */
interface Differs extends Partial<Shared> {
  tc?: Channel | null;
  oc?: Channel | null;
  channels?: readonly ChannelTrace[];
  d?: number;
  until?: number;
}
const OUTCOMES = ['sent', 'deferred', 'rejected'] as const;
/** Item id, priority, value, outcome (index in OUTCOMES), rule (0: none), caps (index in `caps`, -1: none), then what differs. */
type ItemRow = [id: string, priority: number, value: number, outcome: number, rule: string | 0, caps: number, differs?: Differs];
interface ItemsBody {
  v: 2;
  placement: string;
  shared: Shared;
  caps: Caps[];
  /** Distinct trace details (many rows share one, e.g. the slots' `{ used, limit }`). */
  details: NonNullable<CandidateTrace['detail']>[];
  c: ItemRow[];
}

/** An item's caps as its candidate holds them. */
type Caps = NonNullable<Candidate['item']>['caps'];

type Row = { id: string; workspace_id: string; profile_id: string; at: number; source: DecisionRecord['source']; policy_version: number; body: string };

export function encodeDecision(d: DecisionRecord): string {
  if (d.source === 'decide' && d.placement !== undefined && d.candidates.length > 0) return JSON.stringify(itemsBody(d, d.placement));
  const body: Body = {
    v: 1,
    ...(d.placement === undefined ? {} : { placement: d.placement }),
    c: d.candidates.map(({ candidate: c, outcome, trace }) => ({ c: storedCandidate(c), o: storedOutcome(outcome), t: storedTrace(trace) })),
  };
  return JSON.stringify(body);
}

export function decodeDecision(row: Row): DecisionRecord {
  const body = JSON.parse(row.body) as Body | ItemsBody;
  return {
    id: row.id, workspaceId: row.workspace_id, profileId: row.profile_id, at: row.at, source: row.source, policyVersion: row.policy_version,
    ...(body.placement === undefined ? {} : { placement: body.placement }),
    candidates: body.v === 2 ? decodeItems(body, row) : body.c.map((s) => {
      const candidate = 'i' in s ? candidateOfItem(s.i, row, body.placement ?? '') : ({ ...s.c, workspaceId: row.workspace_id, profileId: row.profile_id } as Candidate);
      const outcome = { ...s.o, candidateId: candidate.id, decisionId: row.id } as CandidateOutcome;
      const { pr, ps, ...rest } = s.t;
      const trace = { ...rest, ranking: rankingOf(candidate, pr, ps), candidateId: candidate.id, outcome: s.o.outcome, ...(s.o.rule === undefined ? {} : { rule: s.o.rule }) } as CandidateTrace;
      return { candidate, outcome, trace };
    }),
  };
}

const rankingOf = (c: Candidate, propensity: number, propensitySource: string): Ranking =>
  ({ priority: c.priority, propensity, propensitySource, value: c.value, score: c.priority * propensity * c.value });

/** Caps lists by content, so that items with equal caps share one entry (the catalogue's lists live long: their keys are kept). */
const capsKeys = new WeakMap<Caps, string>();
const capsKey = (caps: Caps): string => {
  let key = capsKeys.get(caps);
  if (key === undefined) capsKeys.set(caps, (key = JSON.stringify(caps)));
  return key;
};

function itemsBody(d: DecisionRecord, placement: string): ItemsBody {
  const first = d.candidates[0] as DecisionRecord['candidates'][number];
  const shared: Shared = { ch: first.candidate.channel, pu: first.candidate.purpose, pr: first.trace.ranking.propensity, ps: first.trace.ranking.propensitySource };
  const caps = new Distinct<Caps>();
  const details = new Distinct<NonNullable<CandidateTrace['detail']>>();
  const rows = d.candidates.map(({ candidate: c, outcome: o, trace: t }): ItemRow => {
    const itemCaps = c.item?.caps ?? [];
    const row: ItemRow = [c.item?.id ?? c.stepId, c.priority, c.value, OUTCOMES.indexOf(o.outcome), o.outcome === 'sent' ? 0 : o.rule, itemCaps.length > 0 ? caps.index(itemCaps, capsKey(itemCaps)) : -1];
    const x = differs(shared, c, o, t, details);
    if (x) row.push(x);
    return row;
  });
  return { v: 2, placement, shared, caps: caps.values, details: details.values, c: rows };
}

/** Values written once and referred to by index, equal ones (by key) once. */
class Distinct<T> {
  readonly values: T[] = [];
  private readonly at = new Map<string, number>();

  index(value: T, key: string): number {
    let k = this.at.get(key);
    if (k === undefined) this.at.set(key, (k = this.values.push(value) - 1));
    return k;
  }
}

/** What of a row is not `shared` nor the usual (the trace and the outcome on the item's channel), if anything. */
function differs(shared: Shared, c: Candidate, o: CandidateOutcome, t: CandidateTrace, details: Distinct<NonNullable<CandidateTrace['detail']>>): Differs | undefined {
  const x: Differs = {};
  let any = false;
  const set = <K extends keyof Differs>(key: K, value: Differs[K]): void => {
    x[key] = value;
    any = true;
  };
  if (c.channel !== shared.ch) set('ch', c.channel);
  if (c.purpose !== shared.pu) set('pu', c.purpose);
  if (t.ranking.propensity !== shared.pr) set('pr', t.ranking.propensity);
  if (t.ranking.propensitySource !== shared.ps) set('ps', t.ranking.propensitySource);
  if (t.channel !== c.channel) set('tc', t.channel ?? null);
  if (o.outcome === 'sent' && o.channel !== t.channel) set('oc', o.channel ?? null);
  if (o.outcome === 'deferred') set('until', o.until);
  if (t.channels !== undefined) set('channels', t.channels);
  if (t.detail !== undefined) set('d', details.index(t.detail, JSON.stringify(t.detail)));
  return any ? x : undefined;
}

function decodeItems(body: ItemsBody, row: Row): DecisionRecord['candidates'] {
  const { shared } = body;
  return body.c.map(([id, p, v, o, rule, k, x = {}]) => {
    const candidate = candidateOfItem({ id, ch: x.ch ?? shared.ch, pu: x.pu ?? shared.pu, p, v, ...(k < 0 ? {} : { caps: body.caps[k] }) }, row, body.placement);
    const channel = x.tc === undefined ? candidate.channel : (x.tc ?? undefined);
    const sentOn = x.oc === undefined ? channel : (x.oc ?? undefined);
    const kind = OUTCOMES[o] as CandidateOutcome['outcome'];
    const outcome = (kind === 'sent'
      ? { outcome: kind, ...(sentOn === undefined ? {} : { channel: sentOn }) }
      : { outcome: kind, rule, ...(kind === 'deferred' ? { until: x.until } : {}) }) as CandidateOutcome;
    const trace: CandidateTrace = {
      candidateId: candidate.id, outcome: kind, ...(channel === undefined ? {} : { channel }), ...(x.channels === undefined ? {} : { channels: x.channels }),
      ...(rule === 0 ? {} : { rule }), ...(x.d === undefined ? {} : { detail: body.details[x.d] }), ranking: rankingOf(candidate, x.pr ?? shared.pr, x.ps ?? shared.ps),
    };
    return { candidate, outcome: { ...outcome, candidateId: candidate.id, decisionId: row.id }, trace };
  });
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
