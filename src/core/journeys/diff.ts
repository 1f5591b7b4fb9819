import { JourneyDefinition } from './definition.js';

/** Top-level fields and steps (`steps.<id>`) in which `after` differs from `before`, both read with the schema (defaults filled). */
export function differences(before: unknown, after: unknown): string[] {
  const a = normal(before);
  const b = normal(after);
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => k !== 'steps' && !sameJson(a[k], b[k]));
  const sa = record(a.steps);
  const sb = record(b.steps);
  const steps = [
    ...Object.keys(sb).flatMap((id) => (!(id in sa) ? [`steps.${id} (new)`] : sameJson(sa[id], sb[id]) ? [] : [`steps.${id}`])),
    ...Object.keys(sa).filter((id) => !(id in sb)).map((id) => `steps.${id} (removed)`),
  ];
  return [...fields, ...steps];
}

const record = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

function normal(d: unknown): Record<string, unknown> {
  const parsed = JourneyDefinition.safeParse(d);
  return record(parsed.success ? parsed.data : d);
}

/** Deep equality of JSON values whatever the order of object keys (`undefined` members count as absent). */
function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0))) : x,
  ) ?? 'undefined';
}
