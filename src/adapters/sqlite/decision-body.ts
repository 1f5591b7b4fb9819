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
 *
 * Version 3, a journey decision: each candidate as an object, without what the body says once. Its id,
 * made of the journey, the profile and the entry (`cand_J_P_…`), keeps only what follows the profile
 * (`n`), the profile being the body's `p` (the row's may change: a merge moves decisions to the survivor);
 * its `proposedAt` only when not the decision's instant. The trace's channel is left out when it is the
 * candidate's, and trace details (a cap's count, limit and window, repeated by every candidate it
 * refused) are written once (`details`). 20 candidates refused by one cap: 5.1 KB, against 8.0 KB.
 *
 * Version 1 (still read): every candidate as an object; a decision API item as an object `i`.
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

/** A version 3 candidate: its id whole (`id`) or what follows `cand_JOURNEY_PROFILE_` (`n`); `proposedAt` when not the decision's instant. */
type CompactCandidate = { -readonly [K in keyof Omit<JourneyCandidate, 'id' | 'proposedAt'>]: JourneyCandidate[K] } & { id?: string; n?: string; proposedAt?: number };
/** A version 3 trace: `tc`, its channel when not the candidate's (null: none); `d`, its detail (index in `details`). */
interface CompactTrace {
  pr: number;
  ps: string;
  tc?: Channel | null;
  d?: number;
  channels?: CandidateTrace['channels'];
}
interface JourneyBody {
  v: 3;
  p: string;
  placement?: string;
  details: NonNullable<CandidateTrace['detail']>[];
  c: { c: CompactCandidate; o: StoredOutcome; t: CompactTrace }[];
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
  const details = new Distinct<NonNullable<CandidateTrace['detail']>>();
  const c = d.candidates.map(({ candidate, outcome, trace }) => ({ c: compactCandidate(candidate, d), o: storedOutcome(outcome), t: compactTrace(trace, candidate, details) }));
  const body: JourneyBody = { v: 3, p: d.profileId, ...(d.placement === undefined ? {} : { placement: d.placement }), details: details.values, c };
  return JSON.stringify(body);
}

export function decodeDecision(row: Row): DecisionRecord {
  const body = JSON.parse(row.body) as Body | ItemsBody | JourneyBody;
  return {
    id: row.id, workspaceId: row.workspace_id, profileId: row.profile_id, at: row.at, source: row.source, policyVersion: row.policy_version,
    ...(body.placement === undefined ? {} : { placement: body.placement }),
    candidates: body.v === 2 ? decodeItems(body, row) : body.v === 3 ? decodeJourney(body, row) : body.c.map((s) => {
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

const journeyPrefix = (journeyId: string, profileId: string): string => `cand_${journeyId}_${profileId}_`;

/** Field by field (no spread and delete: this runs for every candidate of every decision). */
function compactCandidate(c: Candidate, d: DecisionRecord): CompactCandidate {
  const out: CompactCandidate = {
    journeyId: c.journeyId, version: c.version, stepId: c.stepId, channel: c.channel, template: c.template, purpose: c.purpose, priority: c.priority, value: c.value,
  };
  if (c.proposedAt !== d.at) out.proposedAt = c.proposedAt;
  const prefix = journeyPrefix(c.journeyId, d.profileId);
  if (c.id.startsWith(prefix)) out.n = c.id.slice(prefix.length);
  else out.id = c.id;
  if (c.alternatives !== undefined) out.alternatives = c.alternatives;
  if (c.sendWithin !== undefined) out.sendWithin = c.sendWithin;
  if (c.item !== undefined) out.item = c.item;
  if (c.contributor !== undefined) out.contributor = c.contributor;
  return out;
}

function compactTrace(t: CandidateTrace, c: Candidate, details: Distinct<NonNullable<CandidateTrace['detail']>>): CompactTrace {
  const out: CompactTrace = { pr: t.ranking.propensity, ps: t.ranking.propensitySource };
  if (t.channel !== c.channel) out.tc = t.channel ?? null;
  if (t.detail !== undefined) out.d = details.index(t.detail, JSON.stringify(t.detail));
  if (t.channels !== undefined) out.channels = t.channels;
  return out;
}

function decodeJourney(body: JourneyBody, row: Row): DecisionRecord['candidates'] {
  return body.c.map(({ c: { n, id: whole, proposedAt = row.at, ...stored }, o, t }) => {
    const id = n === undefined ? (whole as string) : journeyPrefix(stored.journeyId, body.p) + n;
    const candidate: Candidate = { ...stored, id, proposedAt, workspaceId: row.workspace_id, profileId: row.profile_id };
    const channel = t.tc === undefined ? candidate.channel : (t.tc ?? undefined);
    const trace: CandidateTrace = {
      candidateId: id, outcome: o.outcome, ...(channel === undefined ? {} : { channel }), ...(t.channels === undefined ? {} : { channels: t.channels }),
      ...(o.rule === undefined ? {} : { rule: o.rule }), ...(t.d === undefined ? {} : { detail: body.details[t.d] }), ranking: rankingOf(candidate, t.pr, t.ps),
    };
    return { candidate, outcome: { ...o, candidateId: id, decisionId: row.id } as CandidateOutcome, trace };
  });
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

