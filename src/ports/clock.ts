/** The one source of time. Tests, replay and simulation use a virtual clock. */
export interface Clock {
  now(): number;
  /** Calls `fn` once the clock reaches `at` (at once if it has); returns a cancel function. */
  at(at: number, fn: () => void): () => void;
}

/** setTimeout takes at most 2^31 - 1 ms; longer sleeps are taken in steps. */
const MAX_DELAY = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  at(at, fn) {
    let timer: NodeJS.Timeout;
    const arm = (): void => {
      const delay = at - Date.now();
      timer = setTimeout(delay > MAX_DELAY ? arm : fn, Math.max(0, Math.min(delay, MAX_DELAY)));
    };
    arm();
    return () => clearTimeout(timer);
  },
};
