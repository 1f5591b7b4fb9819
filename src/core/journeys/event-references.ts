import type { Condition, PropertyFilter } from '../conditions/schema.js';
import { isHubEvent, type EventCatalogue } from '../events/event-schema.js';
import type { FieldError } from '../result.js';
import type { JourneyDefinition } from './definition.js';

/**
 * The one check of a journey against its workspace's event schemas: every event it names is declared
 * (or is one of the hub's own), and every property it reads is declared on that event.
 */

/** An event a journey names: `path` holds `event` and, optionally, `where`. */
interface EventUse {
  readonly path: string;
  readonly event: string;
  readonly where?: readonly PropertyFilter[];
}

/** A property that must be declared on each of `events` (`sameAsEntry`, a sequence's `sameProperties`). */
interface SharedProperty {
  readonly path: string;
  readonly property: string;
  readonly events: readonly string[];
}

interface Uses {
  readonly events: EventUse[];
  readonly shared: SharedProperty[];
}

type Conditions = readonly { readonly path: string; readonly condition: Condition }[];

/** Errors naming each unknown event and undeclared property, by path. */
export function eventReferenceErrors(j: JourneyDefinition, conditions: Conditions, catalogue: EventCatalogue): FieldError[] {
  const uses = usesOf(j, conditions);
  const errors: FieldError[] = [];
  const unknown = new Map<string, string>();
  for (const use of uses.events) {
    if (!catalogue.has(use.event) && !isHubEvent(use.event)) {
      const message = unknown.get(use.event) ?? unknownEvent(use.event, catalogue);
      unknown.set(use.event, message);
      errors.push({ path: `${use.path}.event`, message });
      continue;
    }
    use.where?.forEach((w, i) => errors.push(...propertyErrors(`${use.path}.where[${i}].property`, w.property, [use.event], catalogue)));
  }
  for (const s of uses.shared) errors.push(...propertyErrors(s.path, s.property, s.events, catalogue));
  return errors;
}

function usesOf(j: JourneyDefinition, conditions: Conditions): Uses {
  const uses: Uses = { events: [], shared: [] };
  if ('event' in j.entry) uses.events.push({ path: 'entry', ...j.entry });
  if (j.goal?.event) uses.events.push({ path: 'goal.event', ...j.goal.event });
  j.exit?.events?.forEach((e, i) => uses.events.push({ path: `exit.events[${i}]`, ...e }));
  const entryEvent = 'event' in j.entry ? j.entry.event : 'Segment Entered';
  for (const [id, step] of Object.entries(j.steps)) {
    if (step.kind !== 'waitFor') continue;
    uses.events.push({ path: `steps.${id}`, event: step.event, ...(step.where ? { where: step.where } : {}) });
    step.sameAsEntry?.forEach((property, i) => uses.shared.push({ path: `steps.${id}.sameAsEntry[${i}]`, property, events: [step.event, entryEvent] }));
  }
  for (const { path, condition } of conditions) conditionUses(condition, path, uses);
  return uses;
}

function conditionUses(c: Condition, path: string, uses: Uses): void {
  switch (c.kind) {
    case 'and':
    case 'or':
      return c.of.forEach((x, i) => conditionUses(x, `${path}.of[${i}]`, uses));
    case 'not':
      return conditionUses(c.of, `${path}.of`, uses);
    case 'event':
      return void uses.events.push({ path, event: c.event, ...(c.where ? { where: c.where } : {}) });
    case 'sequence':
      uses.events.push({ path: `${path}.first`, ...c.first }, { path: `${path}.thenNot`, ...c.thenNot });
      return c.sameProperties?.forEach((property, i) => uses.shared.push({ path: `${path}.sameProperties[${i}]`, property, events: [c.first.event, c.thenNot.event] }));
    default:
      return;
  }
}

/** A property read of events without a schema (the hub's own, or unknown ones reported already) is not checked. */
function propertyErrors(path: string, property: string, events: readonly string[], catalogue: EventCatalogue): FieldError[] {
  return [...new Set(events)].flatMap((event) => {
    const declared = catalogue.get(event)?.properties;
    if (!declared || declared.has(property) || declared.has(property.split('.')[0] ?? property)) return [];
    return [{ path, message: `"${property}" is not a property of event "${event}"` }];
  });
}

function unknownEvent(event: string, catalogue: EventCatalogue): string {
  const near = nearest(event, [...catalogue.keys()]);
  return `names unknown event "${event}" (not in the workspace's event schemas)${near === undefined ? '' : `; did you mean "${near}"?`}`;
}

/** Names longer than this get no suggestion (the edit distance is quadratic in the length). */
const SUGGEST_MAX_LENGTH = 64;

/** The declared name closest to a misspelt one: the same but for case and spaces, or at most 2 edits away. */
function nearest(name: string, names: readonly string[]): string | undefined {
  const fold = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, '');
  const same = names.find((n) => fold(n) === fold(name));
  if (same !== undefined || name.length > SUGGEST_MAX_LENGTH) return same;
  let best: { name: string; d: number } | undefined;
  for (const n of names) {
    if (Math.abs(n.length - name.length) > 2 || n.length > SUGGEST_MAX_LENGTH) continue;
    const d = editDistance(n.toLowerCase(), name.toLowerCase());
    if (d <= 2 && (best === undefined || d < best.d)) best = { name: n, d };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let k = 1; k <= b.length; k++) {
      row.push(Math.min((prev[k] as number) + 1, (row[k - 1] as number) + 1, (prev[k - 1] as number) + (a[i - 1] === b[k - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length] as number;
}
