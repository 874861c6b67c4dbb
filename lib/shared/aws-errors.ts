/**
 * How the rollback Lambda and the operator CLI recognise AWS SDK v3 errors. Pure TypeScript: it
 * reads the error's `name` and the SDK's `$retryable` marker, never a client class.
 */

/** Error names AWS services use for throttling (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html). */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'PriorRequestNotComplete',
]);

/** Error names of timeouts (the SDK's HTTP handlers name theirs TimeoutError). */
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

/** Node.js socket errors of a connection that failed or dropped, or a name that did not resolve. */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** Error names of a refused permission, across the services this project calls. */
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'UnrecognizedClientException']);

/** Error names of missing or expired credentials. */
const NO_CREDENTIALS = new Set(['CredentialsProviderError', 'ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'TokenRefreshRequired']);

export function isThrottling(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const meta = error as Error & { $retryable?: { throttling?: boolean } };
  return THROTTLING.has(error.name) || meta.$retryable?.throttling === true;
}

/**
 * Errors that may pass by trying again: the SDK's transient class (a timeout, a connection reset or
 * refused, a name that did not resolve, anything the service marks `$retryable`) and server faults
 * (HTTP 5xx). The SDKs' standard retry mode retries the same
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html); the lists mirror
 * @smithy/core's service-error-classification. A 4xx is our request's fault and is never retried;
 * nor is a cancelled call (AbortError).
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error) || error.name === 'AbortError') return false;
  const e = error as Error & { code?: string; $fault?: string; $retryable?: object; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode ?? 0;
  return (
    e.$retryable !== undefined ||
    TRANSIENT_NAMES.has(e.name) ||
    TRANSIENT_CODES.has(e.code ?? '') ||
    (status >= 500 && status <= 599) ||
    (status === 0 && e.$fault === 'server')
  );
}

/** Throttling or transient: worth another attempt after a backoff. */
export function isRetryable(error: unknown): boolean {
  return isThrottling(error) || isTransient(error);
}

export function isAccessDenied(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // CloudFormation and SNS answer some refusals with a generic error and "not authorized" in the message.
  return ACCESS_DENIED.has(error.name) || /\bnot authorized to perform\b/i.test(error.message);
}

export function isMissingCredentials(error: unknown): boolean {
  return error instanceof Error && NO_CREDENTIALS.has(error.name);
}

/** `Name: message`, for logs and reports. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
