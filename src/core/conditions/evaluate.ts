import { compare, durationMs, type Evaluation } from './compare.js';
import type { Condition, EventMatch, PropertyFilter } from './schema.js';
import { instantOf, localParts } from './time.js';

/** One event as conditions see it. */
export interface FactEvent {
  readonly event: string;
  readonly ts: number;
  readonly properties: Readonly<Record<string, unknown>>;
}

/** A context value published for a dimension and key (e.g. `weather` for `Lyon`). */
export interface ContextValue {
  readonly value: Readonly<Record<string, unknown>>;
  readonly validUntil?: number;
}

/** Everything a condition may read about one profile. */
export interface ConditionFacts {
  readonly traits: Readonly<Record<string, unknown>>;
  readonly groupTraits?: readonly Readonly<Record<string, unknown>>[];
  readonly computed?: Readonly<Record<string, unknown>>;
  readonly scores?: Readonly<Record<string, unknown>>;
  readonly consent?: Readonly<Record<string, unknown>>;
  /** The profile's events, oldest first. */
  readonly events?: readonly FactEvent[];
  /** The same events by name, each list oldest first: what event conditions read when given (audiences keep events so). */
  readonly eventsByName?: ReadonlyMap<string, readonly FactEvent[]>;
  readonly segments?: ReadonlySet<string>;
  /** IANA time zone of the profile (default UTC). */
  readonly timezone?: string;
  /** `dimension ␀ key` → value. */
  readonly context?: ReadonlyMap<string, ContextValue>;
}

export const contextKey = (dimension: string, key: string): string => `${dimension}\u0000${key}`;

/** Evaluates a condition for a profile at `now`: pure and total (no code runs, no I/O). */
export function evaluate(c: Condition, facts: ConditionFacts, now: number): Evaluation {
  return (EVALUATORS[c.kind] as (c: Condition, f: ConditionFacts, now: number) => Evaluation)(c, facts, now);
}

type Of<K extends Condition['kind']> = Extract<Condition, { kind: K }>;
type Evaluators = { [K in Condition['kind']]: (c: Of<K>, f: ConditionFacts, now: number) => Evaluation };

/** The sooner of two instants, either of which may be missing. */
const earliest = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined || a <= b ? a : b);
const result = (value: boolean, changesAt?: number): Evaluation => (changesAt === undefined ? { value } : { value, changesAt });

function combine(c: Of<'and' | 'or'>, f: ConditionFacts, now: number): Evaluation {
  const and = c.kind === 'and';
  let value = and;
  let changesAt: number | undefined;
  for (const x of c.of) {
    const p = evaluate(x, f, now);
    value = and ? value && p.value : value || p.value;
    changesAt = earliest(changesAt, p.changesAt);
  }
  return result(value, changesAt);
}

const EVALUATORS: Evaluators = {
  and: combine,
  or: combine,
  not: (c, f, now) => {
    const inner = evaluate(c.of, f, now);
    return result(!inner.value, inner.changesAt);
  },
  trait: (c, f, now) => {
    const source = c.source ?? 'profile';
    if (source === 'group') {
      const parts = (f.groupTraits ?? []).map((g) => compare(valueAt(g, c.name), c, now));
      if (parts.length === 0) return compare(undefined, c, now);
      return result(parts.some((p) => p.value), parts.reduce<number | undefined>((t, p) => earliest(t, p.changesAt), undefined));
    }
    const bag = source === 'profile' ? f.traits : source === 'computed' ? f.computed : source === 'score' ? f.scores : f.consent;
    return compare(valueAt(bag ?? {}, c.name), c, now);
  },
  event: (c, f, now) => countEvents(c, named(f, c.event), now),
  sequence: (c, f, now) => sequence(c, named(f, c.first.event), named(f, c.thenNot.event), now),
  inSegment: (c, f) => result(f.segments?.has(c.segment) ?? false),
  localTime: (c, f, now) => localTime(c, f.timezone ?? 'UTC', now),
  context: (c, f, now) => {
    const key = valueAt(f.traits, c.keyTrait);
    const entry = key === undefined || key === null ? undefined : f.context?.get(contextKey(c.dimension, String(key)));
    const valid = entry !== undefined && (entry.validUntil === undefined || now <= entry.validUntil);
    const r = compare(valid ? valueAt(entry.value, c.field) : undefined, c, now);
    return valid && entry.validUntil !== undefined ? result(r.value, earliest(r.changesAt, entry.validUntil + 1)) : r;
  },
};

const NO_EVENTS: readonly FactEvent[] = [];
/** The profile's events that may be named `name`, oldest first (a list of all of them when they are not grouped by name). */
const named = (f: ConditionFacts, name: string): readonly FactEvent[] => (f.eventsByName ? (f.eventsByName.get(name) ?? NO_EVENTS) : (f.events ?? NO_EVENTS));

/** A dotted path into a record (`address.city`). */
export function valueAt(bag: Readonly<Record<string, unknown>>, path: string): unknown {
  if (path in bag) return bag[path];
  let cur: unknown = bag;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function passes(e: Pick<FactEvent, 'properties'>, where: readonly PropertyFilter[] | undefined, now: number): boolean {
  if (where === undefined) return true;
  for (const w of where) if (!compare(valueAt(e.properties, w.property), w, now).value) return false;
  return true;
}

/** True when an event has the match's name and passes every property filter (event conditions, journey entries and waits). */
export const eventMatches = (m: EventMatch, e: Pick<FactEvent, 'event' | 'properties'>, now: number): boolean => e.event === m.event && passes(e, m.where, now);

function countEvents(c: Of<'event'>, events: readonly FactEvent[], now: number): Evaluation {
  const w = c.within;
  const rolling = w !== undefined && 'last' in w;
  const span = rolling ? durationMs(w.last) : 0;
  const [lo, hi] = !w ? [-Infinity, Infinity] : rolling ? [now - span, now] : [Date.parse(w.between[0]), Date.parse(w.between[1])];
  let n = 0;
  let oldest = Infinity;
  let enters: number | undefined;
  for (const e of events) {
    if (!eventMatches(c, e, now)) continue;
    if (e.ts >= lo && e.ts <= hi && e.ts <= now) {
      n++;
      if (e.ts < oldest) oldest = e.ts;
    }
    // A future-dated event counts from its own instant; a `last` window moves with now, so it is then inside.
    if (e.ts > now && (rolling || e.ts <= hi)) enters = earliest(enters, e.ts);
  }
  const { op, value } = c.count ?? { op: 'atLeast', value: 1 };
  const ok = op === 'atLeast' ? n >= value : op === 'atMost' ? n <= value : n === value;
  const leaves = rolling && n > 0 ? oldest + span + 1 : undefined;
  return result(ok, earliest(leaves, enters));
}

/** "Did `first` and then did not do `thenNot` within D" for the latest `first`; `firsts` and `thens`: the events that may match each. */
function sequence(c: Of<'sequence'>, firsts: readonly FactEvent[], thens: readonly FactEvent[], now: number): Evaluation {
  let a: FactEvent | undefined;
  // A future-dated `first` becomes the latest one at its own instant.
  let next: number | undefined;
  for (const e of firsts) {
    if (!eventMatches(c.first, e, now)) continue;
    if (e.ts <= now) a = e;
    else next = earliest(next, e.ts);
  }
  if (!a) return result(false, next);
  const first = a;
  const end = first.ts + durationMs(c.within);
  const followed = thens.some(
    (b) =>
      b.ts > first.ts && b.ts <= end && b.ts <= now && eventMatches(c.thenNot, b, now) && (c.sameProperties ?? []).every((p) => valueAt(b.properties, p) === valueAt(first.properties, p)),
  );
  if (followed) return result(false, next);
  return now >= end ? result(true, next) : result(false, earliest(end, next));
}

/**
 * `localTime` depends only on the condition, the zone and `now`, and takes dozens of time-zone
 * conversions. Its answer holds from the instant it was computed until its `changesAt`, so the last
 * answer per condition and zone is remembered and given again for any instant in that span, once the
 * value at that instant is checked (one conversion): a batch's profiles, a day's decisions between two
 * quiet-hour boundaries (zones are validated IANA names: bounded).
 */
const localTimeMemo = new WeakMap<Of<'localTime'>, Map<string, { readonly since: number; readonly r: Evaluation }>>();

function localTime(c: Of<'localTime'>, tz: string, now: number): Evaluation {
  let byZone = localTimeMemo.get(c);
  if (byZone === undefined) localTimeMemo.set(c, (byZone = new Map()));
  const hit = byZone.get(tz);
  if (hit !== undefined && now === hit.since) return hit.r;
  const holds = hit !== undefined && now > hit.since && now < (hit.r.changesAt ?? now) && isLocalTime(c, tz, now) === hit.r.value;
  const r = holds ? hit.r : localTimeAt(c, tz, now);
  byZone.set(tz, { since: now, r });
  return r;
}

function localTimeAt(c: Of<'localTime'>, tz: string, now: number): Evaluation {
  const value = isLocalTime(c, tz, now);
  const p = localParts(now, tz);
  const marks = [c.from ?? '00:00', c.to ?? '00:00', '00:00'].map((hm) => hm.split(':').map(Number) as [number, number]);
  const candidates: number[] = [];
  for (let d = 0; d <= 8; d++) {
    const day = new Date(Date.UTC(p.year, p.month - 1, p.day + d));
    for (const [h, m] of marks) candidates.push(instantOf(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), h, m, tz));
  }
  const next = candidates.filter((t) => t > now).sort((a, b) => a - b).find((t) => isLocalTime(c, tz, t) !== value);
  return result(value, next);
}

function isLocalTime(c: Of<'localTime'>, tz: string, at: number): boolean {
  const p = localParts(at, tz);
  if (c.days && !c.days.includes(p.weekday)) return false;
  const minute = p.hour * 60 + p.minute;
  const from = c.from ? toMinutes(c.from) : 0;
  const to = c.to ? toMinutes(c.to) : 24 * 60;
  return from <= to ? minute >= from && minute < to : minute >= from || minute < to;
}

const toMinutes = (hm: string): number => {
  const [h, m] = hm.split(':').map(Number) as [number, number];
  return h * 60 + m;
};
