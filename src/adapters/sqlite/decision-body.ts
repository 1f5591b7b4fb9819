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
 * Version 3, a journey decision: every candidate is a row of a few values in the same way (journey,
 * version, step, template, priority, value, outcome, rule), its id only what follows its profile
 * (`cand_JOURNEY_PROFILE_…`, the profile named once in the body). A decision of 10 candidates takes
 * about 1 KB, three a page (version 1 wrote about 3.8 KB, one a page).
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

/** What the rows of a version 2 or 3 body share (those of the first candidate). */
interface Shared {
  ch: Channel;
  pu: Purpose;
  pr: number;
  ps: string;
}
/**
 * A row's fields that differ from `Shared`, and those most rows lack. `tc` / `oc`: the trace's and the
 * outcome's channel, when not the candidate's (null: none); `d`: the trace's detail (index in `details`).
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
/**
 * A version 3 row's fields beside those of `Differs`: `id`, 1 when the row's id is the candidate's whole
 * (not what follows `cand_JOURNEY_PROFILE_`); `at`, its `proposedAt` when not the decision's instant;
 * and the candidate's optional fields.
 */
interface JourneyDiffers extends Differs {
  id?: 1;
  at?: number;
  alternatives?: Candidate['alternatives'];
  sendWithin?: number;
  item?: Candidate['item'];
  contributor?: string;
}
/** Id (or what follows `cand_JOURNEY_PROFILE_`), journey, version, step, template, priority, value, outcome, rule (0: none), then what differs. */
type JourneyRow = [id: string, journeyId: string, version: number, stepId: string, template: string, priority: number, value: number, outcome: number, rule: string | 0, differs?: JourneyDiffers];
interface JourneyBody {
  v: 3;
  /** The profile the decision was made for (the row's may change: a merge moves decisions to the survivor). */
  p: string;
  placement?: string;
  shared?: Shared;
  details: NonNullable<CandidateTrace['detail']>[];
  c: JourneyRow[];
}
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
  return JSON.stringify(journeyBody(d));
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
    return decidedRow(candidate, o, rule, x, shared, body.details, row);
  });
}

/** A stored row's outcome and trace, its candidate rebuilt (versions 2 and 3). */
function decidedRow(candidate: Candidate, o: number, rule: string | 0, x: Differs, shared: Shared, details: readonly NonNullable<CandidateTrace['detail']>[], row: Row): DecisionRecord['candidates'][number] {
  const channel = x.tc === undefined ? candidate.channel : (x.tc ?? undefined);
  const sentOn = x.oc === undefined ? channel : (x.oc ?? undefined);
  const kind = OUTCOMES[o] as CandidateOutcome['outcome'];
  const outcome = (kind === 'sent'
    ? { outcome: kind, ...(sentOn === undefined ? {} : { channel: sentOn }) }
    : { outcome: kind, rule, ...(kind === 'deferred' ? { until: x.until } : {}) }) as CandidateOutcome;
  const trace: CandidateTrace = {
    candidateId: candidate.id, outcome: kind, ...(channel === undefined ? {} : { channel }), ...(x.channels === undefined ? {} : { channels: x.channels }),
    ...(rule === 0 ? {} : { rule }), ...(x.d === undefined ? {} : { detail: details[x.d] }), ranking: rankingOf(candidate, x.pr ?? shared.pr, x.ps ?? shared.ps),
  };
  return { candidate, outcome: { ...outcome, candidateId: candidate.id, decisionId: row.id }, trace };
}

const journeyPrefix = (journeyId: string, profileId: string): string => `cand_${journeyId}_${profileId}_`;

function journeyBody(d: DecisionRecord): JourneyBody {
  const first = d.candidates[0];
  const shared: Shared | undefined = first && { ch: first.candidate.channel, pu: first.candidate.purpose, pr: first.trace.ranking.propensity, ps: first.trace.ranking.propensitySource };
  const details = new Distinct<NonNullable<CandidateTrace['detail']>>();
  const rows = d.candidates.map(({ candidate: c, outcome: o, trace: t }): JourneyRow => {
    const prefix = journeyPrefix(c.journeyId, d.profileId);
    const short = c.id.startsWith(prefix);
    const row: JourneyRow = [short ? c.id.slice(prefix.length) : c.id, c.journeyId, c.version, c.stepId, c.template, c.priority, c.value, OUTCOMES.indexOf(o.outcome), o.outcome === 'sent' ? 0 : o.rule];
    let x: JourneyDiffers | undefined = differs(shared as Shared, c, o, t, details);
    const set = <K extends keyof JourneyDiffers>(key: K, value: JourneyDiffers[K]): void => void ((x ??= {})[key] = value);
    if (!short) set('id', 1);
    if (c.proposedAt !== d.at) set('at', c.proposedAt);
    if (c.alternatives !== undefined) set('alternatives', c.alternatives);
    if (c.sendWithin !== undefined) set('sendWithin', c.sendWithin);
    if (c.item !== undefined) set('item', c.item);
    if (c.contributor !== undefined) set('contributor', c.contributor);
    if (x) row.push(x);
    return row;
  });
  return { v: 3, p: d.profileId, ...(d.placement === undefined ? {} : { placement: d.placement }), ...(shared ? { shared } : {}), details: details.values, c: rows };
}

function decodeJourney(body: JourneyBody, row: Row): DecisionRecord['candidates'] {
  const shared = body.shared as Shared;
  return body.c.map(([id, journeyId, version, stepId, template, priority, value, o, rule, x = {}]) => {
    const candidate: Candidate = {
      id: x.id === 1 ? id : journeyPrefix(journeyId, body.p) + id, workspaceId: row.workspace_id, profileId: row.profile_id, journeyId, version, stepId,
      channel: x.ch ?? shared.ch, template, purpose: x.pu ?? shared.pu, priority, value, proposedAt: x.at ?? row.at,
      ...(x.alternatives === undefined ? {} : { alternatives: x.alternatives }), ...(x.sendWithin === undefined ? {} : { sendWithin: x.sendWithin }),
      ...(x.item === undefined ? {} : { item: x.item }), ...(x.contributor === undefined ? {} : { contributor: x.contributor }),
    };
    return decidedRow(candidate, o, rule, x, shared, body.details, row);
  });
}

const candidateOfItem = (i: ItemCandidate, row: Row, placement: string): Candidate =>
  itemCandidate(
    { id: i.id, channel: i.ch, caps: i.caps ?? [], purpose: i.pu, priority: i.p, value: i.v },
    { decisionId: row.id, workspaceId: row.workspace_id, subjectId: row.profile_id, placement, now: row.at },
  );
