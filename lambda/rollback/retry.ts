import { isRetryable, isThrottling } from '../../lib/shared/aws-errors';

export interface RetryOptions {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  /** No single wait is longer. */
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  /** No attempt starts after this time (ms since the epoch): the caller's time budget. */
  readonly deadline?: number;
  /** Called before each retry, for the log. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `call`, retrying throttling and transient errors (timeouts, dropped or refused connections,
 * 5xx; lib/shared/aws-errors.ts) with exponential backoff and full jitter, until the attempts or
 * the deadline run out. Other errors are thrown at once: they will not pass by waiting. The SDK's
 * own retries are off in this function (maxAttempts 1, lambda/rollback/clients.ts), so this is the
 * one place the retry policy lives and the tests see it.
 */
export async function withRetry<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isRetryable(error) || attempt >= options.attempts) throw error;
      const delayMs = Math.round(Math.random() * Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1)));
      if (options.deadline !== undefined && options.now() + delayMs >= options.deadline) throw error;
      options.onRetry?.(error, attempt, delayMs);
      await options.sleep(delayMs);
    }
  }
}

/** What the log says before a retry. */
export function retryReason(error: unknown): string {
  return isThrottling(error) ? 'throttled, retrying' : 'transient error, retrying';
}
