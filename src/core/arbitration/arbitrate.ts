import { durationMs } from '../conditions/compare.js';
import { evaluate } from '../conditions/evaluate.js';
import type { Condition } from '../conditions/schema.js';
import { isTimeZone } from '../conditions/time.js';
import type { Candidate, CandidateOutcome } from '../journeys/candidate.js';
import type { Channel, Purpose } from '../journeys/definition.js';
import { channelOrder, sendTimeDeferral, type ChannelChoice } from './channels.js';
import type { EngagementByChannel } from './engagement.js';
import type { Cap, ContactPolicy } from './policy.js';

/** A contact sent (or reserved by a decision): what caps, cool-downs and conflict groups count. */
export interface LedgerEntry {
  readonly at: number;
  readonly channel: Channel;
  readonly purpose: Purpose;
  readonly journeyId: string;
  readonly candidateId: string;
  /** The catalogue item, for contacts made by the decision API. */
  readonly item?: string;
}

/** What arbitration reads of the profile. */
export interface ArbitrationProfile {
  /** Consent is read from `traits.consent.<purpose>` or `traits.consent.<purpose>.<channel>` (booleans). */
  readonly traits: Readonly<Record<string, unknown>>;
  readonly scores?: Readonly<Record<string, unknown>>;
  readonly timezone?: string;
  /** Channels on which the profile's address is suppressed (`*`: every channel). */
  readonly suppressed: ReadonlySet<string>;
  /** The profile's history per channel (from receipts): orders the channels a candidate allows, and picks its send time. */
  readonly engagement?: EngagementByChannel;
}

export interface Ranking {
  readonly priority: number;
  readonly propensity: number;
  readonly propensitySource: string;
  readonly value: number;
  readonly score: number;
}

/** One channel tried for a candidate: its history, and the rule that refused it (none: the one chosen). */
export interface ChannelTrace extends ChannelChoice {
  readonly refusal?: string;
}

/** Why one candidate was sent, deferred or rejected: the rule that decided, its numbers, and the ranking inputs. */
export interface CandidateTrace {
  readonly candidateId: string;
  readonly outcome: 'sent' | 'deferred' | 'rejected';
  /** The channel sent on or decided on (a refused candidate: the first channel tried). Absent from traces stored before channels were chosen. */
  readonly channel?: Channel;
  /** With alternatives: the channels tried, in order, up to the one chosen. */
  readonly channels?: readonly ChannelTrace[];
  readonly rule?: string;
  readonly detail?: Readonly<Record<string, unknown>>;
  readonly ranking: Ranking;
}

export interface Decision {
  readonly outcomes: readonly CandidateOutcome[];
  readonly traces: readonly CandidateTrace[];
  /** Ledger entries of the candidates sent, to write in the decision's transaction. */
  readonly reserved: readonly LedgerEntry[];
}

type Verdict = { readonly rule: string; readonly detail?: Readonly<Record<string, unknown>>; readonly until?: number };

/** What one decision reads and writes as it goes through the candidates. */
interface Round {
  readonly profile: ArbitrationProfile;
  readonly policy: ContactPolicy;
  /** The ledger and what this decision has reserved so far. */
  readonly book: LedgerEntry[];
  readonly reserved: LedgerEntry[];
  readonly now: number;
}

/**
 * The central decision for one profile: `(profile, candidates, policy, ledger, now) → decision`. Pure.
 * Candidates are ranked by priority × propensity × value (ties by id) and taken in that order. Each
 * tries its channels (best engagement first, see `channelOrder`); on each it goes through consent,
 * suppression, conflict groups, caps, item caps, cool-down and quiet hours (in that order, the first
 * that refuses is recorded), then the channel's slots; it goes on the first channel that passes (at
 * its best send time, when asked), else the first channel's refusal is recorded. Each one sent counts
 * at once towards the caps of the next, so caps hold exactly within a decision as across decisions.
 */
export function arbitrate(profile: ArbitrationProfile, candidates: readonly Candidate[], policy: ContactPolicy, ledger: readonly LedgerEntry[], now: number): Decision {
  const ranked = candidates.map((c) => ({ c, ranking: rankingOf(c, profile, policy) }));
  ranked.sort((a, b) => byRank(a.ranking, a.c, b.ranking, b.c));
  const round: Round = { profile, policy, book: [...ledger], reserved: [], now };
  const decided = new Map<string, { outcome: CandidateOutcome; trace: CandidateTrace }>();
  for (const { c, ranking } of ranked) decided.set(c.id, decide(c, ranking, round));
  const of = (c: Candidate) => decided.get(c.id) as { outcome: CandidateOutcome; trace: CandidateTrace };
  return { outcomes: candidates.map((c) => of(c).outcome), traces: candidates.map((c) => of(c).trace), reserved: round.reserved };
}

/** One candidate: its channel, then sent (reserved in the round), deferred or rejected. */
function decide(c: Candidate, ranking: Ranking, round: Round): { outcome: CandidateOutcome; trace: CandidateTrace } {
  const { tried, alternatives } = tryChannels(c, round);
  const first = tried[0] as Tried;
  const chosen = tried.find((t) => t.verdict === undefined);
  const channel = (chosen ?? first).channel;
  const v = chosen ? sendTime(c, channel, round) : first.verdict;
  const channels = alternatives ? tried.map(channelTrace) : undefined;
  const trace = (outcome: CandidateTrace['outcome'], rule?: string, detail?: CandidateTrace['detail']): CandidateTrace => {
    const t: { -readonly [K in keyof CandidateTrace]: CandidateTrace[K] } = { candidateId: c.id, channel, ranking, outcome };
    if (channels) t.channels = channels;
    if (rule !== undefined) t.rule = rule;
    if (detail !== undefined) t.detail = detail;
    return t;
  };
  if (v === undefined) {
    const entry: LedgerEntry = c.item
      ? { at: round.now, channel, purpose: c.purpose, journeyId: c.journeyId, candidateId: c.id, item: c.item.id }
      : { at: round.now, channel, purpose: c.purpose, journeyId: c.journeyId, candidateId: c.id };
    round.book.push(entry);
    round.reserved.push(entry);
    return { outcome: { candidateId: c.id, outcome: 'sent', channel }, trace: trace('sent') };
  }
  if (v.until !== undefined) {
    return { outcome: { candidateId: c.id, outcome: 'deferred', until: v.until, rule: v.rule }, trace: trace('deferred', v.rule, { ...v.detail, until: v.until }) };
  }
  return { outcome: { candidateId: c.id, outcome: 'rejected', rule: v.rule }, trace: trace('rejected', v.rule, v.detail) };
}

/** A channel tried, as the trace shows it: its history, and the rule that refused it. */
function channelTrace(t: Tried): ChannelTrace {
  const out: ChannelTrace = { channel: t.channel, delivered: t.delivered, engaged: t.engaged, rate: t.rate };
  return t.verdict ? { ...out, refusal: t.verdict.rule } : out;
}

/** A channel tried, with the rule that refused it. */
type Tried = ChannelChoice & { readonly verdict?: Verdict };

/**
 * The candidate's channels in the order tried, each with its refusal, up to the first that passes
 * (never empty); `alternatives`: whether the candidate allows more than one channel.
 */
function tryChannels(c: Candidate, round: Round): { tried: Tried[]; alternatives: boolean } {
  const tried: Tried[] = [];
  const order = channelOrder(c, round.profile.engagement);
  for (const choice of order) {
    const verdict = firstRefusal(choice.channel === c.channel ? c : { ...c, channel: choice.channel }, round);
    // A literal, not `{ ...choice, verdict }`: on this path a spread costs more than the rest of the check.
    tried.push(verdict ? { channel: choice.channel, delivered: choice.delivered, engaged: choice.engaged, rate: choice.rate, verdict } : choice);
    if (!verdict) break;
  }
  return { tried, alternatives: order.length > 1 };
}

/** Checked once a channel passes: a deferral to the profile's best hour on it, not a refusal. */
function sendTime(c: Candidate, channel: Channel, round: Round): Verdict | undefined {
  const tz = round.profile.timezone;
  const timezone = tz !== undefined && isTimeZone(tz) ? tz : 'UTC';
  const d = sendTimeDeferral(c, round.profile.engagement?.[channel], timezone, round.now);
  return d && { rule: 'sendTime', detail: { hour: d.hour, timezone }, until: d.until };
}

/** The ranking order: higher score first, ties by candidate id (deterministic). */
export function byRank(ra: Ranking, a: Pick<Candidate, 'id'>, rb: Ranking, b: Pick<Candidate, 'id'>): number {
  return rb.score - ra.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** priority × propensity × value; propensity is the policy's score for the profile when it names one (default 1). */
export function rankingOf(c: Candidate, profile: ArbitrationProfile, policy: ContactPolicy): Ranking {
  const s = policy.propensityScore === undefined ? undefined : profile.scores?.[policy.propensityScore];
  const scored = typeof s === 'number' && Number.isFinite(s) && s >= 0;
  const propensity = scored ? s : 1;
  return {
    priority: c.priority, propensity, propensitySource: scored ? `score:${policy.propensityScore as string}` : 'default', value: c.value,
    score: c.priority * propensity * c.value,
  };
}

const applies = (purposes: readonly Purpose[], c: Candidate): boolean => purposes.includes(c.purpose);

/** The first rule that refuses the candidate on its channel (the channel tried), if any. */
function firstRefusal(c: Candidate, round: Round): Verdict | undefined {
  const { profile: p, policy, book, reserved, now } = round;
  return consent(c, p, policy) ?? suppression(c, p) ?? conflict(c, policy, book, now) ?? caps(c, policy, book, now) ?? itemCaps(c, book, now) ?? cooldown(c, policy, book, now) ?? quietHours(c, p, policy, now) ?? slots(c, policy, reserved);
}

function consent(c: Candidate, p: ArbitrationProfile, policy: ContactPolicy): Verdict | undefined {
  const bag = p.traits.consent;
  const byPurpose = typeof bag === 'object' && bag !== null ? (bag as Record<string, unknown>)[c.purpose] : undefined;
  const given = typeof byPurpose === 'object' && byPurpose !== null ? (byPurpose as Record<string, unknown>)[c.channel] : byPurpose;
  const ok = policy.optIn.includes(c.purpose) ? given === true : given !== false;
  return ok ? undefined : { rule: `consent:${c.purpose}:${c.channel}`, detail: { consent: given ?? null, optInRequired: policy.optIn.includes(c.purpose) } };
}

function suppression(c: Candidate, p: ArbitrationProfile): Verdict | undefined {
  if (p.suppressed.has('*')) return { rule: 'suppression:*' };
  return p.suppressed.has(c.channel) ? { rule: `suppression:${c.channel}` } : undefined;
}

/** Marketing only: another journey of the candidate's conflict group messaged the profile within the group's window. */
function conflict(c: Candidate, policy: ContactPolicy, book: readonly LedgerEntry[], now: number): Verdict | undefined {
  if (c.purpose !== 'marketing') return undefined;
  for (const g of policy.conflictGroups) {
    if (!g.journeys.includes(c.journeyId)) continue;
    const since = now - durationMs(g.window);
    const other = book.find((e) => e.at > since && e.purpose === 'marketing' && e.journeyId !== c.journeyId && g.journeys.includes(e.journeyId));
    if (other) return { rule: `conflict:${g.id}`, detail: { journey: other.journeyId, at: new Date(other.at).toISOString() } };
  }
  return undefined;
}

function caps(c: Candidate, policy: ContactPolicy, book: readonly LedgerEntry[], now: number): Verdict | undefined {
  for (const cap of policy.caps) {
    if (!counts(cap, policy, c)) continue;
    const since = now - durationMs(cap.window);
    let count = 0;
    for (const e of book) if (e.at > since && counts(cap, policy, e)) count++;
    if (count >= cap.limit) return { rule: `cap:${cap.id}`, detail: { count, limit: cap.limit, window: cap.window } };
  }
  return undefined;
}

/** A catalogue item's own caps: contacts of the same item in each window. */
function itemCaps(c: Candidate, book: readonly LedgerEntry[], now: number): Verdict | undefined {
  if (!c.item) return undefined;
  const { id, caps: itemCaps } = c.item;
  for (const cap of itemCaps) {
    const since = now - durationMs(cap.window);
    let count = 0;
    for (const e of book) if (e.at > since && e.item === id) count++;
    if (count >= cap.limit) return { rule: `cap:item:${id}`, detail: { count, limit: cap.limit, window: cap.window } };
  }
  return undefined;
}

/** Whether a contact (candidate or ledger entry) is one a cap counts. */
function counts(cap: Cap, policy: ContactPolicy, e: { readonly channel: Channel; readonly purpose: Purpose; readonly journeyId: string }): boolean {
  if (!cap.purposes.includes(e.purpose)) return false;
  if (cap.channel !== undefined && e.channel !== cap.channel) return false;
  if (cap.journey !== undefined && e.journeyId !== cap.journey) return false;
  return cap.conflictGroup === undefined || (policy.conflictGroups.find((g) => g.id === cap.conflictGroup)?.journeys.includes(e.journeyId) ?? false);
}

function cooldown(c: Candidate, policy: ContactPolicy, book: readonly LedgerEntry[], now: number): Verdict | undefined {
  const cd = policy.cooldown;
  if (!cd || !applies(cd.purposes, c)) return undefined;
  const last = book.reduce((m, e) => (cd.purposes.includes(e.purpose) && e.at > m ? e.at : m), -Infinity);
  const until = last + durationMs(cd.after);
  return now < until ? { rule: 'cooldown', detail: { last: new Date(last).toISOString(), until: new Date(until).toISOString() } } : undefined;
}

type QuietHours = NonNullable<ContactPolicy['quietHours']>;
const quietConditions = new WeakMap<QuietHours, Condition>();

/** The `localTime` condition of a policy's quiet hours: one object per policy, so that `evaluate` remembers its answer per zone and instant. */
function quietCondition(q: QuietHours): Condition {
  let c = quietConditions.get(q);
  if (!c) quietConditions.set(q, (c = { kind: 'localTime', from: q.from, to: q.to }));
  return c;
}

/** In quiet hours (the profile's local time, the condition language's `localTime`), a candidate waits for their end, or is dropped. */
function quietHours(c: Candidate, p: ArbitrationProfile, policy: ContactPolicy, now: number): Verdict | undefined {
  const q = policy.quietHours;
  if (!q || !applies(q.purposes, c)) return undefined;
  const tz = p.timezone ?? 'UTC';
  const quiet = evaluate(quietCondition(q), { traits: {}, timezone: tz }, now);
  if (!quiet.value) return undefined;
  const detail = { from: q.from, to: q.to, timezone: tz };
  return q.action === 'drop' || quiet.changesAt === undefined ? { rule: 'quietHours', detail } : { rule: 'quietHours', detail, until: quiet.changesAt };
}

function slots(c: Candidate, policy: ContactPolicy, reserved: readonly LedgerEntry[]): Verdict | undefined {
  const limit = policy.slots[c.channel] ?? 1;
  let used = 0;
  for (const e of reserved) if (e.channel === c.channel) used++;
  return used >= limit ? { rule: `slots:${c.channel}`, detail: { used, limit } } : undefined;
}
