import { durationMs } from '../conditions/compare.js';
import { evaluate } from '../conditions/evaluate.js';
import type { Candidate, CandidateOutcome } from '../journeys/candidate.js';
import type { Channel, Purpose } from '../journeys/definition.js';
import type { Cap, ContactPolicy } from './policy.js';

/** A contact sent (or reserved by a decision): what caps, cool-downs and conflict groups count. */
export interface LedgerEntry {
  readonly at: number;
  readonly channel: Channel;
  readonly purpose: Purpose;
  readonly journeyId: string;
  readonly candidateId: string;
}

/** What arbitration reads of the profile. */
export interface ArbitrationProfile {
  /** Consent is read from `traits.consent.<purpose>` or `traits.consent.<purpose>.<channel>` (booleans). */
  readonly traits: Readonly<Record<string, unknown>>;
  readonly scores?: Readonly<Record<string, unknown>>;
  readonly timezone?: string;
  /** Channels on which the profile's address is suppressed (`*`: every channel). */
  readonly suppressed: ReadonlySet<string>;
}

export interface Ranking {
  readonly priority: number;
  readonly propensity: number;
  readonly propensitySource: string;
  readonly value: number;
  readonly score: number;
}

/** Why one candidate was sent, deferred or rejected: the rule that decided, its numbers, and the ranking inputs. */
export interface CandidateTrace {
  readonly candidateId: string;
  readonly outcome: 'sent' | 'deferred' | 'rejected';
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

/**
 * The central decision for one profile: `(profile, candidates, policy, ledger, now) → decision`. Pure.
 * Candidates are ranked by priority × propensity × value (ties by id) and taken in that order; each
 * goes through consent, suppression, conflict groups, caps, cool-down and quiet hours (in that order,
 * the first that refuses is recorded), then the channel's slots. Each one sent counts at once towards
 * the caps of the next, so caps hold exactly within a decision as across decisions.
 */
export function arbitrate(profile: ArbitrationProfile, candidates: readonly Candidate[], policy: ContactPolicy, ledger: readonly LedgerEntry[], now: number): Decision {
  const ranked = candidates.map((c) => ({ c, ranking: rankingOf(c, profile, policy) }));
  ranked.sort((a, b) => b.ranking.score - a.ranking.score || (a.c.id < b.c.id ? -1 : a.c.id > b.c.id ? 1 : 0));
  const book = [...ledger];
  const reserved: LedgerEntry[] = [];
  const outcomes = new Map<string, CandidateOutcome>();
  const traces = new Map<string, CandidateTrace>();
  for (const { c, ranking } of ranked) {
    const v = firstRefusal(c, profile, policy, book, reserved, now);
    if (v === undefined) {
      const entry: LedgerEntry = { at: now, channel: c.channel, purpose: c.purpose, journeyId: c.journeyId, candidateId: c.id };
      book.push(entry);
      reserved.push(entry);
      outcomes.set(c.id, { candidateId: c.id, outcome: 'sent' });
      traces.set(c.id, { candidateId: c.id, outcome: 'sent', ranking });
    } else if (v.until !== undefined) {
      outcomes.set(c.id, { candidateId: c.id, outcome: 'deferred', until: v.until, rule: v.rule });
      traces.set(c.id, { candidateId: c.id, outcome: 'deferred', rule: v.rule, detail: { ...v.detail, until: v.until }, ranking });
    } else {
      outcomes.set(c.id, { candidateId: c.id, outcome: 'rejected', rule: v.rule });
      traces.set(c.id, { candidateId: c.id, outcome: 'rejected', rule: v.rule, ...(v.detail ? { detail: v.detail } : {}), ranking });
    }
  }
  return {
    outcomes: candidates.map((c) => outcomes.get(c.id) as CandidateOutcome),
    traces: candidates.map((c) => traces.get(c.id) as CandidateTrace),
    reserved,
  };
}

function rankingOf(c: Candidate, profile: ArbitrationProfile, policy: ContactPolicy): Ranking {
  const s = policy.propensityScore === undefined ? undefined : profile.scores?.[policy.propensityScore];
  const scored = typeof s === 'number' && Number.isFinite(s) && s >= 0;
  const propensity = scored ? s : 1;
  return {
    priority: c.priority, propensity, propensitySource: scored ? `score:${policy.propensityScore as string}` : 'default', value: c.value,
    score: c.priority * propensity * c.value,
  };
}

const applies = (purposes: readonly Purpose[], c: Candidate): boolean => purposes.includes(c.purpose);

function firstRefusal(c: Candidate, p: ArbitrationProfile, policy: ContactPolicy, book: readonly LedgerEntry[], reserved: readonly LedgerEntry[], now: number): Verdict | undefined {
  return consent(c, p, policy) ?? suppression(c, p) ?? conflict(c, policy, book, now) ?? caps(c, policy, book, now) ?? cooldown(c, policy, book, now) ?? quietHours(c, p, policy, now) ?? slots(c, policy, reserved);
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
    const count = book.filter((e) => e.at > since && counts(cap, policy, e)).length;
    if (count >= cap.limit) return { rule: `cap:${cap.id}`, detail: { count, limit: cap.limit, window: cap.window } };
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

/** In quiet hours (the profile's local time, the condition language's `localTime`), a candidate waits for their end, or is dropped. */
function quietHours(c: Candidate, p: ArbitrationProfile, policy: ContactPolicy, now: number): Verdict | undefined {
  const q = policy.quietHours;
  if (!q || !applies(q.purposes, c)) return undefined;
  const tz = p.timezone ?? 'UTC';
  const quiet = evaluate({ kind: 'localTime', from: q.from, to: q.to }, { traits: {}, timezone: tz }, now);
  if (!quiet.value) return undefined;
  const detail = { from: q.from, to: q.to, timezone: tz };
  return q.action === 'drop' || quiet.changesAt === undefined ? { rule: 'quietHours', detail } : { rule: 'quietHours', detail, until: quiet.changesAt };
}

function slots(c: Candidate, policy: ContactPolicy, reserved: readonly LedgerEntry[]): Verdict | undefined {
  const limit = policy.slots[c.channel] ?? 1;
  const used = reserved.filter((e) => e.channel === c.channel).length;
  return used >= limit ? { rule: `slots:${c.channel}`, detail: { used, limit } } : undefined;
}
