import { z } from 'zod';
import { checkPattern } from './pattern.js';

/** Relative time (milliseconds per unit: `durationMs` in compare.ts, the one table of units). */
export const TimeUnit = z.enum(['seconds', 'minutes', 'hours', 'days']);
export type TimeUnit = z.infer<typeof TimeUnit>;
export const Duration = z.strictObject({ amount: z.number().int().min(0).max(100_000), unit: TimeUnit });
export type Duration = z.infer<typeof Duration>;

const isoDate = z.string().max(64).refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO 8601 date' });
const scalar = z.union([z.string().max(1024), z.number().finite(), z.boolean()]);
const ordered = z.union([z.number().finite(), isoDate]);
/** A point in time: absolute (ISO 8601) or relative to now. */
const Instant = z.union([isoDate, z.strictObject({ ago: Duration }), z.strictObject({ fromNow: Duration })]);
const pattern = z
  .string()
  .max(256, 'pattern is longer than 256 characters')
  .superRefine((p, ctx) => {
    const problem = checkPattern(p);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const ci = { caseInsensitive: z.boolean().optional() };

/** The operators of a comparison, each with the operand it takes. */
const OPERATORS = {
  equals: { value: scalar, ...ci },
  notEquals: { value: scalar, ...ci },
  in: { value: z.array(scalar).min(1).max(1000), ...ci },
  notIn: { value: z.array(scalar).min(1).max(1000), ...ci },
  exists: {},
  missing: {},
  gt: { value: ordered },
  gte: { value: ordered },
  lt: { value: ordered },
  lte: { value: ordered },
  between: { value: z.tuple([ordered, ordered]) },
  contains: { value: scalar, ...ci },
  startsWith: { value: z.string().max(1024), ...ci },
  endsWith: { value: z.string().max(1024), ...ci },
  matches: { value: pattern },
  before: { value: Instant },
  after: { value: Instant },
  withinLast: { value: Duration },
  withinNext: { value: Duration },
} as const;
export type Operator = keyof typeof OPERATORS;

/** One strict object per operator, each extending `base`: a discriminated union on `op`. */
function comparisons<S extends z.ZodRawShape>(base: S) {
  const variants = Object.entries(OPERATORS).map(([op, shape]) => z.strictObject({ ...base, op: z.literal(op as Operator), ...shape }));
  return z.discriminatedUnion('op', variants as unknown as [z.ZodObject, ...z.ZodObject[]]);
}

const name = z.string().min(1).max(256);
export const TraitSource = z.enum(['profile', 'group', 'computed', 'score', 'consent']);
export type TraitSource = z.infer<typeof TraitSource>;
export const Weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
export type Weekday = z.infer<typeof Weekday>;
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)');

const propertyFilter = comparisons({ property: name });
const EventMatch = { event: name, where: z.array(propertyFilter).max(20).optional() };

export type Comparison = { readonly op: Operator; readonly value?: unknown; readonly caseInsensitive?: boolean };
export type PropertyFilter = Comparison & { readonly property: string };
export const PropertyFilter = propertyFilter as unknown as z.ZodType<PropertyFilter>;
export interface EventMatch {
  readonly event: string;
  readonly where?: readonly PropertyFilter[];
}
export type Window = { readonly last: Duration } | { readonly between: readonly [string, string] };

/** The one condition language: segments, journey entry/exit/branches, eligibility. Data, never code. */
export type Condition =
  | { readonly kind: 'and' | 'or'; readonly of: readonly Condition[] }
  | { readonly kind: 'not'; readonly of: Condition }
  | ({ readonly kind: 'trait'; readonly source?: TraitSource; readonly name: string } & Comparison)
  | ({ readonly kind: 'event'; readonly count?: { readonly op: 'atLeast' | 'atMost' | 'exactly'; readonly value: number }; readonly within?: Window } & EventMatch)
  | { readonly kind: 'sequence'; readonly first: EventMatch; readonly thenNot: EventMatch; readonly within: Duration; readonly sameProperties?: readonly string[] }
  | { readonly kind: 'inSegment'; readonly segment: string }
  | { readonly kind: 'localTime'; readonly from?: string; readonly to?: string; readonly days?: readonly Weekday[] }
  | ({ readonly kind: 'context'; readonly dimension: string; readonly keyTrait: string; readonly field: string } & Comparison);

export const Condition: z.ZodType<Condition> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.enum(['and', 'or']), of: z.array(Condition).min(1).max(50) }),
    z.strictObject({ kind: z.literal('not'), of: Condition }),
    comparisons({ kind: z.literal('trait'), source: TraitSource.optional(), name }),
    z.strictObject({
      kind: z.literal('event'),
      ...EventMatch,
      count: z.strictObject({ op: z.enum(['atLeast', 'atMost', 'exactly']), value: z.number().int().min(0).max(1000) }).optional(),
      within: z.union([z.strictObject({ last: Duration }), z.strictObject({ between: z.tuple([isoDate, isoDate]) })]).optional(),
    }),
    z.strictObject({ kind: z.literal('sequence'), first: z.strictObject(EventMatch), thenNot: z.strictObject(EventMatch), within: Duration, sameProperties: z.array(name).max(5).optional() }),
    z.strictObject({ kind: z.literal('inSegment'), segment: name }),
    z.strictObject({ kind: z.literal('localTime'), from: clock.optional(), to: clock.optional(), days: z.array(Weekday).min(1).optional() }),
    comparisons({ kind: z.literal('context'), dimension: name, keyTrait: name, field: name }),
  ]),
) as unknown as z.ZodType<Condition>;

/** A stored condition carries the version of the language it is written in. */
export const CONDITION_VERSION = 1;
export const VersionedCondition = z.strictObject({ version: z.literal(CONDITION_VERSION), condition: Condition });
