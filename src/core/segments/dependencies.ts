import { durationMs } from '../conditions/compare.js';
import type { Condition } from '../conditions/schema.js';
import { err, ok, type Result } from '../result.js';

/** What a condition reads: the events it looks back on (and how far), the segments and computed traits it names. */
export interface Dependencies {
  /** Event name → how far back (ms) it looks; Infinity for all time. */
  readonly events: ReadonlyMap<string, number>;
  readonly segments: ReadonlySet<string>;
  /** Computed traits (a dotted name by its whole name and its first part, see `valueAt`). */
  readonly computed: ReadonlySet<string>;
  /** Context dimension → the traits that key it. */
  readonly contexts: ReadonlyMap<string, ReadonlySet<string>>;
}

export function dependenciesOf(c: Condition): Dependencies {
  const events = new Map<string, number>();
  const segments = new Set<string>();
  const computed = new Set<string>();
  const contexts = new Map<string, Set<string>>();
  const need = (name: string, ms: number): void => void events.set(name, Math.max(events.get(name) ?? 0, ms));
  const walk = (x: Condition): void => {
    switch (x.kind) {
      case 'and':
      case 'or':
        return x.of.forEach(walk);
      case 'not':
        return walk(x.of);
      case 'event':
        return need(x.event, x.within && 'last' in x.within ? durationMs(x.within.last) : Infinity);
      case 'sequence':
        // The latest `first` may be old; its follow-ups lie within the window after it.
        need(x.first.event, Infinity);
        return need(x.thenNot.event, Infinity);
      case 'inSegment':
        return void segments.add(x.segment);
      case 'trait':
        if (x.source === 'computed') computed.add(x.name).add(x.name.split('.')[0] as string);
        return;
      case 'context':
        return void contexts.set(x.dimension, (contexts.get(x.dimension) ?? new Set()).add(x.keyTrait));
      default:
        return;
    }
  };
  walk(c);
  return { events, segments, computed, contexts };
}

/** Segments in an order where each comes after the segments it names; a cycle is an error naming it. */
export function orderSegments<S extends { readonly id: string; readonly condition: Condition }>(defs: readonly S[]): Result<S[], string> {
  const byId = new Map(defs.map((d) => [d.id, d]));
  const out: S[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (d: S, path: string[]): string | undefined => {
    const s = state.get(d.id);
    if (s === 'done') return undefined;
    if (s === 'visiting') return `segments form a cycle: ${[...path, d.id].join(' → ')}`;
    state.set(d.id, 'visiting');
    for (const dep of dependenciesOf(d.condition).segments) {
      const target = byId.get(dep);
      if (!target) return `segment ${d.id} names unknown segment ${dep}`;
      const problem = visit(target, [...path, d.id]);
      if (problem) return problem;
    }
    state.set(d.id, 'done');
    out.push(d);
    return undefined;
  };
  for (const d of defs) {
    const problem = visit(d, []);
    if (problem) return err(problem);
  }
  return ok(out);
}
