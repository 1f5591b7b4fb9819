import { matchesPattern } from './pattern.js';
import type { Comparison, Duration } from './schema.js';

/** A condition's value now, and the earliest instant at which time alone may change it. */
export interface Evaluation {
  readonly value: boolean;
  readonly changesAt?: number;
}

/** Milliseconds per unit: the one table of time units (conditions, computed-trait windows, look-backs). */
const MS: Record<Duration['unit'], number> = { seconds: 1_000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 };
/** A duration in milliseconds. */
export const durationMs = (d: Duration): number => d.amount * MS[d.unit];

const FALSE: Evaluation = { value: false };
const TRUE: Evaluation = { value: true };
const of = (value: boolean): Evaluation => (value ? TRUE : FALSE);

/** A number, or a numeric string, as a number. */
function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** An ISO 8601 string (or epoch milliseconds) as an instant. */
export function asInstant(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && ISO.test(v)) {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

function asBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

/** Type-aware equality: numbers numerically, booleans as booleans, dates as instants, strings as strings. */
export function same(actual: unknown, expected: unknown, caseInsensitive = false): boolean {
  if (actual === null || actual === undefined) return false;
  if (typeof expected === 'number') return asNumber(actual) === expected;
  if (typeof expected === 'boolean') return asBoolean(actual) === expected;
  if (typeof actual === 'number') return asNumber(expected) === actual;
  if (typeof actual === 'boolean') return asBoolean(expected) === actual;
  if (typeof actual !== 'string' || typeof expected !== 'string') return false;
  if (caseInsensitive) return actual.toLowerCase() === expected.toLowerCase();
  if (actual === expected) return true;
  const a = ISO.test(actual) ? asInstant(actual) : undefined;
  return a !== undefined && ISO.test(expected) && a === asInstant(expected);
}

/** Orders two values of one kind: numbers (numeric strings too), else instants; otherwise not comparable. */
function order(actual: unknown, expected: unknown): number | undefined {
  if (typeof expected === 'number') {
    const a = asNumber(actual);
    return a === undefined ? undefined : a - expected;
  }
  const a = asInstant(actual);
  const e = asInstant(expected);
  return a === undefined || e === undefined ? undefined : a - e;
}

const text = (v: unknown, ci: boolean | undefined): string | undefined => {
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  return s !== undefined && ci ? s.toLowerCase() : s;
};

type Handler = (actual: unknown, c: Comparison, now: number) => Evaluation;

const present = (v: unknown): boolean => v !== null && v !== undefined;

/** One handler per operator. Every operator but `missing`, `notEquals` and `notIn` is false on a missing value. */
const HANDLERS: Record<Comparison['op'], Handler> = {
  equals: (a, c) => of(same(a, c.value, c.caseInsensitive)),
  notEquals: (a, c) => of(!same(a, c.value, c.caseInsensitive)),
  in: (a, c) => of((c.value as unknown[]).some((v) => same(a, v, c.caseInsensitive))),
  notIn: (a, c) => of(!(c.value as unknown[]).some((v) => same(a, v, c.caseInsensitive))),
  exists: (a) => of(present(a)),
  missing: (a) => of(!present(a)),
  gt: (a, c) => of((order(a, c.value) ?? NaN) > 0),
  gte: (a, c) => of((order(a, c.value) ?? NaN) >= 0),
  lt: (a, c) => of((order(a, c.value) ?? NaN) < 0),
  lte: (a, c) => of((order(a, c.value) ?? NaN) <= 0),
  between: (a, c) => {
    const [lo, hi] = c.value as [unknown, unknown];
    return of((order(a, lo) ?? NaN) >= 0 && (order(a, hi) ?? NaN) <= 0);
  },
  contains: (a, c) => {
    if (Array.isArray(a)) return of(a.some((x) => same(x, c.value, c.caseInsensitive)));
    const s = text(a, c.caseInsensitive);
    const needle = text(c.value, c.caseInsensitive);
    return of(typeof a === 'string' && s !== undefined && needle !== undefined && s.includes(needle));
  },
  startsWith: (a, c) => of(typeof a === 'string' && (text(a, c.caseInsensitive) as string).startsWith(text(c.value, c.caseInsensitive) as string)),
  endsWith: (a, c) => of(typeof a === 'string' && (text(a, c.caseInsensitive) as string).endsWith(text(c.value, c.caseInsensitive) as string)),
  matches: (a, c) => of(typeof a === 'string' && a.length <= 10_000 && matchesPattern(c.value as string, a)),
  before: (a, c, now) => relative(a, c.value, now, (t, at) => t < at),
  after: (a, c, now) => relative(a, c.value, now, (t, at) => t > at),
  withinLast: (a, c, now) => window(asInstant(a), now - durationMs(c.value as Duration), now, now),
  withinNext: (a, c, now) => window(asInstant(a), now, now + durationMs(c.value as Duration), now),
};

export function compare(actual: unknown, c: Comparison, now: number): Evaluation {
  return HANDLERS[c.op](actual, c, now);
}

type InstantSpec = string | { readonly ago: Duration } | { readonly fromNow: Duration };

/** `before` / `after` an absolute instant, or one relative to now (which moves with time). */
function relative(a: unknown, spec: unknown, now: number, test: (t: number, at: number) => boolean): Evaluation {
  const t = asInstant(a);
  if (t === undefined) return FALSE;
  const s = spec as InstantSpec;
  if (typeof s === 'string') return of(test(t, Date.parse(s)));
  const offset = 'ago' in s ? -durationMs(s.ago) : durationMs(s.fromNow);
  const at = now + offset;
  const value = test(t, at);
  // The threshold `now + offset` moves forward with time and passes t when now = t - offset.
  const crossing = t - offset;
  const changesAt = [crossing, crossing + 1].find((c) => c > now && test(t, c + offset) !== value);
  return changesAt === undefined ? of(value) : { value, changesAt };
}

/** `lo ≤ t ≤ hi` where the window [lo, hi] slides with now; says when t enters or leaves it. */
function window(t: number | undefined, lo: number, hi: number, now: number): Evaluation {
  if (t === undefined) return FALSE;
  if (t < lo) return FALSE;
  if (t > hi) return { value: false, changesAt: now + (t - hi) };
  return { value: true, changesAt: now + (t - lo) + 1 };
}
