import { z } from 'zod';
import { parseCondition } from '../conditions/validate.js';
import type { Condition } from '../conditions/schema.js';
import { zodErrors } from '../events/validate.js';
import { err, ok, type FieldError, type Result } from '../result.js';
import { ComputedTrait } from '../traits/computed.js';
import { orderSegments } from './dependencies.js';

const Name = z.string().trim().min(1).max(200);

/** A segment as the admin API takes it: a named condition. */
export const SegmentInput = z.strictObject({
  name: Name,
  description: z.string().max(2000).optional(),
  condition: z.unknown(),
});
export type SegmentInput = z.infer<typeof SegmentInput>;

export interface SegmentBody {
  readonly description?: string;
  readonly conditionVersion: 1;
  readonly condition: Condition;
}

/** Validates a segment against the others of its workspace (unknown segments named, cycles). */
export function parseSegment(
  input: unknown,
  id: string,
  others: readonly { readonly id: string; readonly condition: Condition }[],
): Result<{ name: string; body: SegmentBody }, FieldError[]> {
  const shape = SegmentInput.safeParse(input);
  const missing = typeof input === 'object' && input !== null && (input as { condition?: unknown }).condition === undefined;
  if (!shape.success || missing) {
    const errors = shape.success ? [] : zodErrors(shape.error, '').filter((e) => e.path !== 'condition');
    return err([...errors, ...(missing ? [{ path: 'condition', message: 'is required' }] : [])]);
  }
  const condition = parseCondition(shape.data.condition, 'condition');
  if (!condition.ok) return err(condition.error);
  const ordered = orderSegments([...others.filter((o) => o.id !== id), { id, condition: condition.value }]);
  if (!ordered.ok) return err([{ path: 'condition', message: ordered.error }]);
  const body: SegmentBody = { conditionVersion: 1, condition: condition.value, ...(shape.data.description ? { description: shape.data.description } : {}) };
  return ok({ name: shape.data.name, body });
}

export function parseComputedTrait(input: unknown): Result<ComputedTrait, FieldError[]> {
  const parsed = ComputedTrait.safeParse(input);
  return parsed.success ? ok(parsed.data) : err(zodErrors(parsed.error, ''));
}
