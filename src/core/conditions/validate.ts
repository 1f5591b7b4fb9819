import { zodErrors } from '../events/validate.js';
import { err, ok, type FieldError, type Result } from '../result.js';
import { Condition } from './schema.js';

export const MAX_DEPTH = 12;
export const MAX_NODES = 500;

/** Validates a condition: the zod schema, then depth and size bounds. Errors name the path. */
export function parseCondition(input: unknown, at = 'condition'): Result<Condition, FieldError[]> {
  const tooDeep = depthProblem(input, at, 1);
  if (tooDeep) return err([tooDeep]);
  const parsed = Condition.safeParse(input);
  if (!parsed.success) return err(zodErrors(parsed.error, at));
  const nodes = countNodes(parsed.data);
  if (nodes > MAX_NODES) return err([{ path: at, message: `condition has ${nodes} nodes; at most ${MAX_NODES}` }]);
  return ok(parsed.data);
}

/** Checked before the schema, so a hostile deep tree never reaches the recursive parser. */
function depthProblem(v: unknown, path: string, depth: number): FieldError | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  if (depth > MAX_DEPTH) return { path, message: `condition is nested deeper than ${MAX_DEPTH} levels` };
  const of = (v as { of?: unknown }).of;
  if (Array.isArray(of)) {
    for (let i = 0; i < of.length; i++) {
      const p = depthProblem(of[i], `${path}.of[${i}]`, depth + 1);
      if (p) return p;
    }
  } else if (of !== undefined) return depthProblem(of, `${path}.of`, depth + 1);
  return undefined;
}

function countNodes(c: Condition): number {
  if (c.kind === 'and' || c.kind === 'or') return 1 + c.of.reduce((n, x) => n + countNodes(x), 0);
  if (c.kind === 'not') return 1 + countNodes(c.of);
  return 1;
}

