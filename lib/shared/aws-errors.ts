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

/** Error names of a refused permission, across the services this project calls. */
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'UnrecognizedClientException']);

/** Error names of missing or expired credentials. */
const NO_CREDENTIALS = new Set(['CredentialsProviderError', 'ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'TokenRefreshRequired']);

export function isThrottling(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const meta = error as Error & { $retryable?: { throttling?: boolean } };
  return THROTTLING.has(error.name) || meta.$retryable?.throttling === true;
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
