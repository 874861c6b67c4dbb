import { isThrottling } from '../../lib/shared/aws-errors';

export interface RetryOptions {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Called before each retry, for the log. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `call`, retrying throttling errors with exponential backoff and full jitter. Other errors
 * are not retried: they will not pass by waiting. The SDK's own retries are off in this function
 * (maxAttempts 1), so this is the one place the retry policy lives and the tests see it.
 */
export async function withThrottlingRetry<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isThrottling(error) || attempt >= options.attempts) throw error;
      const delayMs = Math.round(Math.random() * options.baseDelayMs * 2 ** (attempt - 1));
      options.onRetry?.(error, attempt, delayMs);
      await options.sleep(delayMs);
    }
  }
}
