/** When a trait was written: event time (epoch ms), then messageId to break ties. */
export type Stamp = readonly [number, string];

/**
 * How a trait keeps its value when written again or when two profiles merge:
 * - `latest`: the value with the latest event timestamp wins (ties by messageId) — the default;
 * - `first`: the value with the earliest event timestamp wins (e.g. `firstSeenSource`);
 * - `keep`: never overwritten once set (in processing order, so it depends on arrival order).
 */
export type TraitStrategy = 'latest' | 'first' | 'keep';

export type TraitStrategies = Readonly<Record<string, TraitStrategy>>;

export interface TraitSet {
  readonly values: Readonly<Record<string, unknown>>;
  readonly stamps: Readonly<Record<string, Stamp>>;
}

export const compareStamps = (a: Stamp, b: Stamp): number =>
  a[0] !== b[0] ? a[0] - b[0] : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;

function wins(strategy: TraitStrategy, incoming: Stamp, current: Stamp | undefined): boolean {
  if (current === undefined) return true;
  if (strategy === 'keep') return false;
  const c = compareStamps(incoming, current);
  return strategy === 'latest' ? c > 0 : c < 0;
}

/** Applies written traits stamped with one event; returns the same object when nothing changed. */
export function writeTraits(
  set: TraitSet,
  written: Readonly<Record<string, unknown>>,
  stamp: Stamp,
  strategies: TraitStrategies,
): TraitSet {
  let values: Record<string, unknown> | undefined;
  let stamps: Record<string, Stamp> | undefined;
  for (const [name, value] of Object.entries(written)) {
    if (value === undefined) continue;
    if (!wins(strategies[name] ?? 'latest', stamp, set.stamps[name])) continue;
    values ??= { ...set.values };
    stamps ??= { ...set.stamps };
    values[name] = value;
    stamps[name] = stamp;
  }
  return values && stamps ? { values, stamps } : set;
}

/** Merges the traits of two profiles trait by trait with each trait's strategy (`keep` favours `a`). */
export function mergeTraits(a: TraitSet, b: TraitSet, strategies: TraitStrategies): TraitSet {
  const values: Record<string, unknown> = { ...a.values };
  const stamps: Record<string, Stamp> = { ...a.stamps };
  for (const [name, stamp] of Object.entries(b.stamps)) {
    if (wins(strategies[name] ?? 'latest', stamp, stamps[name])) {
      values[name] = b.values[name];
      stamps[name] = stamp;
    }
  }
  return { values, stamps };
}
