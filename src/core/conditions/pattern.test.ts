import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPattern, matchesPattern } from './pattern.js';

describe('matches patterns (Thompson NFA) agree with JavaScript regular expressions on the subset', () => {
  const patterns = ['^ab*c$', 'a(b|c)+d', '^[a-c]+$', 'x?y', '^(ab|a)*$', '[^ab]', '\\d+-\\d+', '^\\w+@\\w+\\.com$', '.', '^$', '(a|b)?c', '[-a]b', 'a[b-]'];
  it.each(patterns)('%s', (p) => {
    expect(checkPattern(p)).toBeUndefined();
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd', 'x', 'y', '1', '-', '@', '.', 'm', 'o'), maxLength: 12 }), (s) => {
        expect(matchesPattern(p, s)).toBe(new RegExp(p).test(s));
      }),
      { numRuns: 300 },
    );
  });
});

it('anchors inside the pattern are refused rather than misread', () => {
  expect(checkPattern('a|^b')).toMatch(/anchor/);
});
