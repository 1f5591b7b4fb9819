import { z } from 'zod';
import { compare, durationMs } from '../conditions/compare.js';
import { valueAt, type FactEvent } from '../conditions/evaluate.js';
import { Duration, PropertyFilter } from '../conditions/schema.js';

export const Aggregate = z.enum(['count', 'sum', 'min', 'max', 'average', 'first', 'last', 'mostFrequent', 'distinctCount']);
export type Aggregate = z.infer<typeof Aggregate>;

/** A computed trait: an aggregate of one event's property over all time or a rolling window. */
export const ComputedTrait = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be an identifier (letters, digits, _)'),
    event: z.string().min(1).max(256),
    where: z.array(PropertyFilter).max(20).optional(),
    aggregate: Aggregate,
    property: z.string().min(1).max(256).optional(),
    window: Duration.optional(),
  })
  .refine((t) => t.aggregate === 'count' || t.property !== undefined, { message: 'property is required for this aggregate', path: ['property'] });
export type ComputedTrait = z.infer<typeof ComputedTrait>;

/** One contribution: when it happened, the message that brought it (for ties) and its value. */
export type Entry = readonly [ts: number, messageId: string, value: unknown];

/**
 * The incremental state of a computed trait for one profile. Windowed traits keep the entries
 * still inside the window (they expire exactly at `ts + window + 1`); all-time traits keep a
 * constant-size accumulator.
 */
export type TraitState =
  | { readonly kind: 'window'; readonly entries: readonly Entry[] }
  | { readonly kind: 'all'; readonly acc: Accumulator };

/** What an all-time trait accumulates: `count`, and only what its aggregate reads (see `KEPT`). */
export interface Accumulator {
  readonly count: number;
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
  readonly first?: Entry;
  readonly last?: Entry;
  /** value → count, for mostFrequent and distinctCount. */
  readonly freq?: Readonly<Record<string, number>>;
}

type Kept = Exclude<keyof Accumulator, 'count'>;

/** The parts of the accumulator each aggregate reads: the others are neither kept nor stored. */
const KEPT: Readonly<Record<Aggregate, ReadonlySet<Kept>>> = {
  count: new Set(),
  sum: new Set(['sum']),
  average: new Set(['sum']),
  min: new Set(['min']),
  max: new Set(['max']),
  first: new Set(['first']),
  last: new Set(['last']),
  mostFrequent: new Set(['freq']),
  distinctCount: new Set(['freq']),
};

const EMPTY_ACC: Accumulator = { count: 0 };

/** An accumulator with `count` and, of `parts`, those the aggregate reads and that are defined. */
function accumulator(agg: Aggregate, count: number, parts: Omit<Accumulator, 'count'>): Accumulator {
  const out: { -readonly [K in keyof Accumulator]: Accumulator[K] } = { count };
  for (const k of KEPT[agg]) if (parts[k] !== undefined) (out as Record<Kept, unknown>)[k] = parts[k];
  return out;
}
export const emptyState = (t: ComputedTrait): TraitState => (t.window ? { kind: 'window', entries: [] } : { kind: 'all', acc: EMPTY_ACC });

/** The entry an event contributes to the trait, if it matches. */
export function entryOf(t: ComputedTrait, e: FactEvent & { readonly messageId: string }, now: number): Entry | undefined {
  if (e.event !== t.event) return undefined;
  for (const w of t.where ?? []) if (!compare(valueAt(e.properties, w.property), w, now).value) return undefined;
  const value = t.property === undefined ? null : valueAt(e.properties, t.property);
  if (t.aggregate !== 'count' && (value === undefined || value === null)) return undefined;
  if (['sum', 'min', 'max', 'average'].includes(t.aggregate) && typeof value !== 'number') return undefined;
  return [e.ts, e.messageId, value];
}

const before = (a: Entry, b: Entry): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/** Adds one entry (events may arrive out of order). */
export function add(t: ComputedTrait, s: TraitState, entry: Entry): TraitState {
  if (s.kind === 'window') {
    const entries = [...s.entries, entry].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    return { kind: 'window', entries };
  }
  const a = s.acc;
  const n = typeof entry[2] === 'number' ? entry[2] : undefined;
  const kept = KEPT[t.aggregate];
  const key = kept.has('freq') ? JSON.stringify(entry[2]) : '';
  return {
    kind: 'all',
    acc: accumulator(t.aggregate, a.count + 1, {
      sum: kept.has('sum') ? (a.sum ?? 0) + (n ?? 0) : undefined,
      min: n === undefined ? a.min : Math.min(a.min ?? n, n),
      max: n === undefined ? a.max : Math.max(a.max ?? n, n),
      first: a.first === undefined || before(entry, a.first) ? entry : a.first,
      last: a.last === undefined || before(a.last, entry) ? entry : a.last,
      freq: kept.has('freq') ? { ...a.freq, [key]: (a.freq?.[key] ?? 0) + 1 } : undefined,
    }),
  };
}

/** Drops the entries that left the window by `now` (inclusive window: `now - window ≤ ts`). */
export function expire(t: ComputedTrait, s: TraitState, now: number): TraitState {
  if (s.kind !== 'window' || !t.window) return s;
  const from = now - durationMs(t.window);
  const kept = s.entries.filter((e) => e[0] >= from);
  return kept.length === s.entries.length ? s : { kind: 'window', entries: kept };
}

/** The trait's value now, and when it changes next by time alone (the oldest entry leaving the window). */
export function valueOf(t: ComputedTrait, s: TraitState, now: number): { value: unknown; changesAt?: number } {
  if (s.kind === 'all') return { value: fromAcc(t.aggregate, s.acc) };
  const from = now - durationMs(t.window ?? { amount: 0, unit: 'minutes' });
  const live = s.entries.filter((e) => e[0] >= from && e[0] <= now);
  const acc = live.reduce((a, e) => (add(t, { kind: 'all', acc: a }, e) as { acc: Accumulator }).acc, EMPTY_ACC);
  const oldest = live[0];
  const future = s.entries.find((e) => e[0] > now);
  const leaves = oldest ? oldest[0] + durationMs(t.window ?? { amount: 0, unit: 'minutes' }) + 1 : undefined;
  const changesAt = [leaves, future?.[0]].filter((x): x is number => x !== undefined).sort((a, b) => a - b)[0];
  return changesAt === undefined ? { value: fromAcc(t.aggregate, acc) } : { value: fromAcc(t.aggregate, acc), changesAt };
}

function fromAcc(agg: Aggregate, a: Accumulator): unknown {
  switch (agg) {
    case 'count':
      return a.count;
    case 'sum':
      return a.sum ?? 0;
    case 'min':
      return a.min ?? null;
    case 'max':
      return a.max ?? null;
    case 'average':
      return a.count === 0 ? null : (a.sum ?? 0) / a.count;
    case 'first':
      return a.first?.[2] ?? null;
    case 'last':
      return a.last?.[2] ?? null;
    case 'distinctCount':
      return Object.keys(a.freq ?? {}).length;
    case 'mostFrequent': {
      // Highest count; ties broken by the smallest serialised value, so the answer is deterministic.
      let best: [string, number] | undefined;
      for (const [k, n] of Object.entries(a.freq ?? {})) if (!best || n > best[1] || (n === best[1] && k < best[0])) best = [k, n];
      return best ? (JSON.parse(best[0]) as unknown) : null;
    }
  }
}

/** Reference: the value recomputed from the whole timeline (used to check the incremental path). */
export function recompute(t: ComputedTrait, events: readonly (FactEvent & { readonly messageId: string })[], now: number): unknown {
  let s = emptyState(t);
  for (const e of events) {
    if (e.ts > now) continue;
    const entry = entryOf(t, e, now);
    if (entry) s = add(t, s, entry);
  }
  return valueOf(t, s, now).value;
}

/** Combines the states of two profiles that merged. */
export function mergeStates(t: ComputedTrait, a: TraitState, b: TraitState): TraitState {
  if (a.kind === 'window' && b.kind === 'window') {
    const seen = new Set(a.entries.map((e) => e[1]));
    return b.entries.reduce<TraitState>((s, e) => (seen.has(e[1]) ? s : add(t, s, e)), a);
  }
  if (a.kind !== 'all' || b.kind !== 'all') return a.kind === 'window' ? a : b;
  const x = a.acc;
  const y = b.acc;
  const freq: Record<string, number> = { ...x.freq };
  for (const [k, n] of Object.entries(y.freq ?? {})) freq[k] = (freq[k] ?? 0) + n;
  const pick = (p: Entry | undefined, q: Entry | undefined, earlier: boolean): Entry | undefined =>
    p === undefined ? q : q === undefined ? p : before(p, q) === earlier ? p : q;
  const num = (p: number | undefined, q: number | undefined, f: (a: number, b: number) => number): number | undefined =>
    p === undefined ? q : q === undefined ? p : f(p, q);
  return {
    kind: 'all',
    acc: accumulator(t.aggregate, x.count + y.count, {
      sum: num(x.sum, y.sum, (p, q) => p + q), min: num(x.min, y.min, Math.min), max: num(x.max, y.max, Math.max),
      first: pick(x.first, y.first, true), last: pick(x.last, y.last, false), freq,
    }),
  };
}
