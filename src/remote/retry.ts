// Bounded retries with exponential back-off and jitter, for connecting and for read-only operations.

export interface RetryPolicy {
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, firstDelayMs: 300, maxDelayMs: 5_000 };

export async function withRetry<T>(
  what: (attempt: number) => Promise<T>,
  retryable: (err: unknown) => boolean,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<T> {
  let delay = policy.firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await what(attempt);
    } catch (err) {
      if (attempt >= policy.attempts || !retryable(err)) throw err;
      await new Promise((r) => setTimeout(r, delay * (0.75 + Math.random() * 0.5)));
      delay = Math.min(delay * 2, policy.maxDelayMs);
    }
  }
}
