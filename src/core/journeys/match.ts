import { compare } from '../conditions/compare.js';
import { valueAt } from '../conditions/evaluate.js';
import type { JourneyEventMatch } from './definition.js';

/** True when an event has the name and passes every property filter (the condition language's operators). */
export function matches(m: JourneyEventMatch, e: { readonly event: string; readonly properties: Readonly<Record<string, unknown>> }, now: number): boolean {
  return e.event === m.event && (m.where ?? []).every((w) => compare(valueAt(e.properties, w.property), w, now).value);
}
