import { z } from 'zod';
import { Condition, Duration } from '../conditions/schema.js';
import { parseCondition } from '../conditions/validate.js';
import { isObject, zodErrors } from '../events/validate.js';
import { Channel, Purpose } from '../journeys/definition.js';
import { err, ok, type FieldError, type Result } from '../result.js';

/** The largest `content` payload (its JSON, UTF-8) an item may carry. */
export const CONTENT_MAX_BYTES = 16 * 1024;
/** Nesting levels a `content` payload may have. */
export const CONTENT_MAX_DEPTH = 32;

const Id = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1–64 letters, digits or _.:-');
const Instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time (e.g. 2026-03-01T00:00:00Z)' }).transform((s) => new Date(s).toISOString());

/** At most `limit` contacts of the item per profile in a rolling `window` (reserved and shown ones count). */
export const ItemCap = z.strictObject({ limit: z.number().int().min(0).max(10_000), window: Duration });

const payload = z.unknown().superRefine((v, ctx) => {
  const problem = payloadProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** The fields of a catalogue item but its eligibility condition (checked by `parseCondition`, which bounds it before the recursive schema). */
const Fields = z.strictObject({
  id: Id,
  name: z.string().min(1).max(256),
  placement: Id.describe('where the app shows it (e.g. home-hero): the decision API is asked per placement'),
  content: payload.describe(`the JSON the app renders (at most ${CONTENT_MAX_BYTES / 1024} KB)`),
  priority: z.number().int().min(0).max(100).default(50),
  value: z.number().finite().min(0).default(1),
  purpose: Purpose.default('marketing'),
  channel: Channel.default('inApp').describe('the channel consent and caps count it on (the decision API is in-app)'),
  caps: z.array(ItemCap).max(10).default([]).describe('per profile'),
  from: Instant.optional().describe('valid from (inclusive)'),
  until: Instant.optional().describe('valid until (exclusive)'),
});

/** A catalogue item as an admin writes it (documentation: the same fields, with the condition language). */
export const ContentItemInput = Fields.extend({
  condition: Condition.optional().describe('eligibility: the item is a candidate only while it holds'),
});

/** One item of the content catalogue: what the decision API chooses among for a placement. */
export type ContentItem = Omit<z.output<typeof Fields>, 'content'> & { readonly content: unknown; readonly condition?: Condition };

/**
 * Validates a catalogue item; every error names its field. `id`, when given (a replacement), is the
 * item's: the body may leave its `id` out, and may not name another.
 */
export function parseContentItem(input: unknown, id?: string): Result<ContentItem, FieldError[]> {
  if (!isObject(input)) return err([{ path: '', message: 'must be a JSON object' }]);
  const { condition: rawCondition, ...body } = id !== undefined && input.id === undefined ? { ...input, id } : input;
  const parsed = Fields.safeParse(body);
  const errors = parsed.success ? [] : zodErrors(parsed.error, '');
  if (id !== undefined && body.id !== id) errors.push({ path: 'id', message: `must be "${id}", the item being replaced` });
  const condition = rawCondition === undefined ? undefined : parseCondition(rawCondition, 'condition');
  if (condition && !condition.ok) errors.push(...condition.error);
  if (parsed.success && parsed.data.from !== undefined && parsed.data.until !== undefined && parsed.data.until <= parsed.data.from) {
    errors.push({ path: 'until', message: 'must be after from' });
  }
  if (!parsed.success || errors.length > 0) return err(errors);
  return ok(condition?.ok ? { ...parsed.data, condition: condition.value } : parsed.data);
}

/** Why a payload is not one an item may carry (absent, too deep, too large), if it is not. */
function payloadProblem(v: unknown): string | undefined {
  if (v === undefined) return 'is required (any JSON value)';
  const stack: { value: unknown; depth: number }[] = [{ value: v, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof value !== 'object' || value === null) continue;
    if (depth > CONTENT_MAX_DEPTH) return `is nested deeper than ${CONTENT_MAX_DEPTH} levels`;
    for (const child of Object.values(value)) stack.push({ value: child, depth: depth + 1 });
  }
  const bytes = new TextEncoder().encode(JSON.stringify(v)).length;
  return bytes > CONTENT_MAX_BYTES ? `is ${bytes} bytes of JSON; at most ${CONTENT_MAX_BYTES}` : undefined;
}
