import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StepOf } from './definition.js';
import { armOf, hash32 } from './split.js';

type Split = StepOf<'split'>;
const split = (weights: readonly number[], holdout?: number): Split => ({
  kind: 'split',
  arms: weights.map((weight, i) => ({ name: `arm${i}`, weight, next: `to${i}` })),
  ...(holdout === undefined ? {} : { holdout }),
});
const nameOf = (s: Split, key: string): string => armOf(s, key)?.name ?? 'holdout';

describe('hash32', () => {
  it('is FNV-1a with a murmur3 finaliser, pinned: changing it would reshuffle every live experiment', () => {
    // Reference values computed independently (Python) from the same definition.
    expect(hash32('')).toBe(2872998923);
    expect(hash32('a')).toBe(444641715);
    expect(hash32('j:start:p1')).toBe(601592894);
    expect(hash32('welcome:split:user-42')).toBe(1404650925);
  });

  it('is an unsigned 32-bit integer', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      const h = hash32(s);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    }));
  });

  it('spreads similar keys over the whole range (the low bits too)', () => {
    const buckets = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) buckets[hash32(`j:split:profile-${i}`) % 16]! += 1;
    for (const n of buckets) {
      expect(n).toBeGreaterThan(850);
      expect(n).toBeLessThan(1150);
    }
  });
});

describe('armOf', () => {
  it('is sticky: the same key always gets the same arm', () => {
    const s = split([1, 2, 3], 1);
    fc.assert(fc.property(fc.string({ minLength: 1 }), (key) => {
      expect(nameOf(s, key)).toBe(nameOf(s, key));
      expect(nameOf({ ...s, arms: s.arms.map((a) => ({ ...a })) }, key)).toBe(nameOf(s, key));
    }));
  });

  it('never answers the holdout without one, and one arm takes everyone', () => {
    fc.assert(fc.property(fc.string(), fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 10 }), (key, weights) => {
      expect(armOf(split(weights), key)).toBeDefined();
      expect(armOf(split([weights[0] as number]), key)?.name).toBe('arm0');
    }));
  });

  it('gives each arm and the holdout their share of the weights over 10,000 keys', () => {
    const s = split([1, 3, 5], 1);
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const name = nameOf(s, `j:split:p${i}`);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    // Expected 1,000 / 3,000 / 5,000 / 1,000: bounds of about 6 standard deviations.
    const within = (name: string, expected: number, slack: number) => {
      expect(counts.get(name)).toBeGreaterThan(expected - slack);
      expect(counts.get(name)).toBeLessThan(expected + slack);
    };
    within('arm0', 1000, 180);
    within('arm1', 3000, 280);
    within('arm2', 5000, 300);
    within('holdout', 1000, 180);
  });

  it('a profile keeps its arm in another split only by chance: the key names the journey and step', () => {
    const s = split([1, 1]);
    let same = 0;
    for (let i = 0; i < 2000; i++) if (nameOf(s, `j:first:p${i}`) === nameOf(s, `j:second:p${i}`)) same += 1;
    expect(same).toBeGreaterThan(850);
    expect(same).toBeLessThan(1150);
  });
});
