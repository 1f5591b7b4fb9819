import { describe, expect, it } from 'vitest';
import { monotonicId, newId } from './ids.js';

describe('ids', () => {
  it('newId: prefix, 10 time characters, 16 random ones; sortable by time', () => {
    expect(newId('prof', 1)).toMatch(/^prof_0000000001[0-9A-HJKMNP-TV-Z]{16}$/);
    expect(newId('x', 2) > newId('x', 1)).toBe(true);
  });

  it('monotonicId: strictly increasing, within one millisecond too (100,000 ids) and when the clock goes back', () => {
    const now = Date.parse('2026-03-02T12:00:00.000Z');
    let last = monotonicId('dec', now);
    for (let i = 0; i < 100_000; i++) {
      const next = monotonicId('dec', now);
      expect(next > last).toBe(true);
      last = next;
    }
    expect(monotonicId('dec', now - 1000) > last).toBe(true);
    expect(monotonicId('dec', now + 1).slice(0, 14)).toBe(newId('dec', now + 1).slice(0, 14));
  });
});
