import type { Clock } from '../../ports/clock.js';

/**
 * A clock that moves only when told to: a 30-day journey runs in milliseconds. Timers due by the
 * new time fire in time order, each seeing `now()` equal to its own instant.
 */
export class VirtualClock implements Clock {
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;

  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  at(at: number, fn: () => void): () => void {
    const id = this.nextId++;
    if (at <= this.current) {
      queueMicrotask(fn);
      return () => undefined;
    }
    this.timers.push({ at, fn, id });
    return () => {
      this.timers = this.timers.filter((t) => t.id !== id);
    };
  }

  /** Moves time forward to `to`, firing the timers due on the way. */
  advanceTo(to: number): void {
    for (;;) {
      const due = this.timers.filter((t) => t.at <= to).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t.id !== due.id);
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.current = Math.max(this.current, to);
  }

  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }
}
