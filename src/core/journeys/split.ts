import type { StepOf } from './definition.js';

/** FNV-1a with a murmur3 finaliser: a well-mixed, stable 32-bit hash of a string. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The arm of a split for a key (journey, step, profile): sticky, since it depends on nothing else;
 * undefined for the holdout. Arms take their share of the weights in order, the holdout the rest.
 */
export function armOf(step: StepOf<'split'>, key: string): StepOf<'split'>['arms'][number] | undefined {
  const total = step.arms.reduce((n, a) => n + a.weight, 0) + (step.holdout ?? 0);
  let point = hash32(key) % total;
  for (const arm of step.arms) {
    if (point < arm.weight) return arm;
    point -= arm.weight;
  }
  return undefined;
}
