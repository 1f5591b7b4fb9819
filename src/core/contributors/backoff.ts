/** Retries of a delivery: exponential back-off with full jitter, then the dead-letter queue. */
export interface RetryPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1_000, maxMs: 3_600_000, maxAttempts: 8 };

/**
 * When to try again after `attempts` failed attempts (1 after the first), given a random number in
 * [0, 1): a uniform draw up to base × 2^(attempts − 1), capped; at least what the receiver asked
 * (Retry-After). Undefined: no more attempts, the message goes to the dead-letter queue.
 */
export function nextAttempt(attempts: number, now: number, random: number, policy: RetryPolicy = DEFAULT_RETRY, retryAfterMs = 0): number | undefined {
  if (attempts >= policy.maxAttempts) return undefined;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return now + Math.max(retryAfterMs, Math.floor(random * ceiling));
}
