import type { Condition } from '../conditions/schema.js';
import { parseCondition } from '../conditions/validate.js';
import type { EventCatalogue } from '../events/event-schema.js';
import { zodErrors } from '../events/validate.js';
import { err, ok, type FieldError, type Result } from '../result.js';
import { dependenciesOf } from '../segments/dependencies.js';
import { durationMs } from '../conditions/compare.js';
import { JourneyDefinition, type Step } from './definition.js';
import { eventReferenceErrors } from './event-references.js';

/** What a journey may refer to in its workspace. */
export interface JourneyCatalogue {
  readonly segments: ReadonlySet<string>;
  readonly contributors: ReadonlySet<string>;
  /** The workspace's event schemas (event → declared properties); undefined when it has none, and then events are not checked. */
  readonly events?: EventCatalogue;
}

/** Validates a journey: the schema, then its conditions, graph and references. Errors name the path. */
export function parseJourney(input: unknown, catalogue: JourneyCatalogue): Result<JourneyDefinition, FieldError[]> {
  const deep = tooDeep(input);
  if (deep) return err([deep]);
  const parsed = JourneyDefinition.safeParse(input);
  if (!parsed.success) return err(zodErrors(parsed.error, ''));
  const j = parsed.data;
  const errors = [...conditionErrors(j), ...graphErrors(j), ...referenceErrors(j, catalogue)];
  return errors.length > 0 ? err(errors) : ok(j);
}

/** A journey nests about 6 levels around conditions of at most 12 (`MAX_DEPTH`): deeper input is refused before the recursive schema sees it. */
const MAX_NESTING = 48;

function tooDeep(input: unknown): FieldError | undefined {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: input, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop() as { v: unknown; path: string; depth: number };
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_NESTING) return { path, message: `is nested deeper than ${MAX_NESTING} levels` };
    for (const [k, x] of Object.entries(v)) stack.push({ v: x, path: Array.isArray(v) ? `${path}[${k}]` : path ? `${path}.${k}` : k, depth: depth + 1 });
  }
  return undefined;
}

/** Every condition of a journey with its path. */
export function conditionsOf(j: JourneyDefinition): { readonly path: string; readonly condition: Condition }[] {
  const out: { path: string; condition: Condition }[] = [];
  if (j.goal?.condition) out.push({ path: 'goal.condition', condition: j.goal.condition });
  if (j.exit?.condition) out.push({ path: 'exit.condition', condition: j.exit.condition });
  for (const [id, step] of Object.entries(j.steps)) {
    if (step.kind === 'branch') step.branches.forEach((b, i) => out.push({ path: `steps.${id}.branches[${i}].condition`, condition: b.condition }));
  }
  return out;
}

function conditionErrors(j: JourneyDefinition): FieldError[] {
  return conditionsOf(j).flatMap(({ path, condition }) => {
    const r = parseCondition(condition, path);
    return r.ok ? [] : r.error;
  });
}

/** The edges of a step with the field that holds each. */
export function edgeFields(step: Step): { readonly field: string; readonly target: string }[] {
  switch (step.kind) {
    case 'wait':
    case 'update':
      return [{ field: 'next', target: step.next }];
    case 'waitFor':
      return [{ field: 'next', target: step.next }, { field: 'onTimeout', target: step.onTimeout }];
    case 'branch':
      return [...step.branches.map((b, i) => ({ field: `branches[${i}].next`, target: b.next })), { field: 'default', target: step.default }];
    case 'split':
      return step.arms.map((a, i) => ({ field: `arms[${i}].next`, target: a.next }));
    case 'action':
      return [{ field: 'next', target: step.next }, ...(step.notSent === undefined ? [] : [{ field: 'notSent', target: step.notSent }])];
    case 'goal':
      return step.next === undefined ? [] : [{ field: 'next', target: step.next }];
    case 'exit':
      return [];
  }
}

function graphErrors(j: JourneyDefinition): FieldError[] {
  const steps = new Map(Object.entries(j.steps));
  if (!steps.has(j.start)) return [{ path: 'start', message: `names unknown step "${j.start}"` }];
  const errors: FieldError[] = [];
  for (const [id, step] of steps) {
    for (const { field, target } of edgeFields(step)) {
      if (!steps.has(target)) errors.push({ path: `steps.${id}.${field}`, message: `names unknown step "${target}"` });
    }
    errors.push(...stepErrors(id, step));
  }
  if (errors.length > 0) return errors;
  const reached = new Set<string>();
  const visit = (id: string): void => {
    if (reached.has(id)) return;
    reached.add(id);
    for (const { target } of edgeFields(steps.get(id) as Step)) visit(target);
  };
  visit(j.start);
  for (const id of steps.keys()) if (!reached.has(id)) errors.push({ path: `steps.${id}`, message: `is unreachable from start "${j.start}"` });
  const cycle = cycleWithoutWait(steps);
  if (cycle) errors.push({ path: `steps.${cycle[0]}`, message: `cycle without a wait that takes time: ${cycle.join(' → ')}` });
  return errors;
}

function stepErrors(id: string, step: Step): FieldError[] {
  if (step.kind === 'wait' && step.untilTrait?.before && step.untilTrait.after) {
    return [{ path: `steps.${id}.untilTrait`, message: 'has before or after, not both' }];
  }
  if (step.kind === 'split') {
    const names = step.arms.map((a) => a.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) return [{ path: `steps.${id}.arms`, message: `arm "${dup}" appears twice` }];
  }
  return [];
}

/**
 * Whether a step always makes the profile wait for time to pass: a wait for a positive duration or
 * until a local time (always later), a waitFor with a positive timeout. A wait until a date trait may
 * end at once (the date is past or missing), so it does not count.
 */
function takesTime(step: Step): boolean {
  if (step.kind === 'waitFor') return durationMs(step.timeout) > 0;
  return step.kind === 'wait' && (step.untilLocalTime !== undefined || (step.for !== undefined && durationMs(step.for) > 0));
}

/** A cycle without a step that takes time would loop forever, within one processing step or from one timer to the next. */
function cycleWithoutWait(steps: ReadonlyMap<string, Step>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const walk = (id: string, path: string[]): string[] | undefined => {
    const step = steps.get(id) as Step;
    if (takesTime(step) || state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    for (const { target } of edgeFields(step)) {
      const found = walk(target, [...path, id]);
      if (found) return found;
    }
    state.set(id, 'done');
    return undefined;
  };
  for (const id of steps.keys()) {
    const found = walk(id, []);
    if (found) return found;
  }
  return undefined;
}

function referenceErrors(j: JourneyDefinition, catalogue: JourneyCatalogue): FieldError[] {
  const errors: FieldError[] = [];
  if ('segment' in j.entry && !catalogue.segments.has(j.entry.segment)) {
    errors.push({ path: 'entry.segment', message: `names unknown segment "${j.entry.segment}"` });
  }
  for (const { path, condition } of conditionsOf(j)) {
    for (const s of dependenciesOf(condition).segments) {
      if (!catalogue.segments.has(s)) errors.push({ path, message: `names unknown segment "${s}"` });
    }
  }
  for (const [id, step] of Object.entries(j.steps)) {
    if (step.kind === 'action' && step.contributor !== undefined && !catalogue.contributors.has(step.contributor)) {
      errors.push({ path: `steps.${id}.contributor`, message: `names unknown contributor "${step.contributor}"` });
    }
  }
  if (catalogue.events) errors.push(...eventReferenceErrors(j, conditionsOf(j), catalogue.events));
  return errors;
}
