/**
 * Exit codes and the errors commands raise. Every error carries what to do next: on-call reads it
 * at 3 a.m., a pipeline logs it.
 */
import { describeError, isAccessDenied, isMissingCredentials, isThrottling } from '../shared/aws-errors';

/** The documented exit codes (README "Operator CLI"). */
export const EXIT_CODES = {
  /** Done, or the gate passed. */
  ok: 0,
  /** Failed: an AWS error, a failed deploy or rollback, a gate that failed. */
  failed: 1,
  /** The gate saw too little traffic to decide. */
  inconclusive: 2,
  /** Refused, nothing changed: latched, unconfirmed, production drill, a deployment in progress. */
  refused: 3,
  /** Bad command line (EX_USAGE). */
  usage: 64,
  /** Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

export class CliError extends Error {
  constructor(
    message: string,
    /** What the operator should do now. */
    readonly next: string,
    readonly exitCode: ExitCode = EXIT_CODES.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The command line is wrong; nothing was called. */
export class UsageError extends CliError {
  constructor(message: string, next = 'Run `npx mcp-rollout --help` for the commands and their options.') {
    super(message, next, EXIT_CODES.usage);
    this.name = 'UsageError';
  }
}

/** A safety rule stopped the command before it changed anything. */
export class Refusal extends CliError {
  constructor(message: string, next: string) {
    super(message, next, EXIT_CODES.refused);
    this.name = 'Refusal';
  }
}

/** Ctrl-C reached a point where stopping is safe. */
export class Interrupted extends Error {
  constructor(readonly whatStillRuns?: string) {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

/** An AWS SDK error as what failed and what to do next. */
export function explainAwsError(error: unknown, doing: string): CliError {
  if (isAccessDenied(error)) {
    return new CliError(
      `access denied while ${doing}: ${describeError(error)}`,
      'Check which identity you use (`aws sts get-caller-identity`) and that it has the operator permissions listed in docs/RUNBOOK.md ("Permissions").',
    );
  }
  if (isThrottling(error)) {
    return new CliError(
      `AWS kept throttling ${doing} after 5 attempts: ${describeError(error)}`,
      'Wait a minute and run the same command again; it reads the live state first, so nothing is applied twice.',
    );
  }
  if (isMissingCredentials(error)) {
    return new CliError(
      `no valid AWS credentials while ${doing}: ${describeError(error)}`,
      'Sign in (`aws sso login`, or set AWS_PROFILE / AWS_ACCESS_KEY_ID) and run the command again.',
    );
  }
  if (error instanceof Error && /^Region (is missing|not accepted)/.test(error.message)) {
    return new CliError(
      `no AWS region while ${doing}: ${error.message}`,
      'Set AWS_REGION (or a profile with a region via AWS_PROFILE), or set `region` for this environment in lib/config/environments.ts.',
    );
  }
  return new CliError(`${doing} failed: ${describeError(error)}`, 'Run `npx mcp-rollout status` to see the live state, then run the command again.');
}
