/**
 * Exit codes and the errors commands raise. Every error carries what to do next: on-call reads it
 * at 3 a.m., a pipeline logs it.
 */
import { describeError, isAccessDenied, isMissingCredentials, isThrottling } from '../shared/aws-errors';

/** The documented exit codes (README "Operator CLI", `--help`). */
export const EXIT_CODES = {
  /** Done, or the gate passed, or `status` found nothing that needs attention. */
  ok: 0,
  /** Failed: an AWS error (for every command, `status` included), a failed deploy or rollback, a gate that failed. */
  failed: 1,
  /** The gate saw too little traffic to decide. */
  inconclusive: 2,
  /** Refused, nothing changed: latched, unconfirmed, production drill, a deployment in progress. */
  refused: 3,
  /** `status` read everything and found something that needs a person (distinct from 1, so a monitor tells them apart). */
  needsAttention: 4,
  /** Bad command line (EX_USAGE). */
  usage: 64,
  /** `check-emf`: an input file cannot be read, nothing was checked (EX_NOINPUT). */
  noInput: 66,
  /** Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** What each exit code means, as `--help` lists it. */
export const EXIT_CODE_MEANINGS: Readonly<Record<ExitCode, string>> = {
  [EXIT_CODES.ok]: 'done; the gate passed; status: nothing needs attention',
  [EXIT_CODES.failed]: 'failed: an AWS error (status too), a failed deploy, an unverified rollback, a failed gate',
  [EXIT_CODES.inconclusive]: 'the gate is inconclusive (too few canary calls, no canary traffic)',
  [EXIT_CODES.refused]: 'refused, nothing changed (latched, not confirmed, production drill, a deployment in progress)',
  [EXIT_CODES.needsAttention]: 'status: something needs attention (an alarm, weights, a slot without healthy targets)',
  [EXIT_CODES.usage]: 'bad command line, nothing called',
  [EXIT_CODES.noInput]: 'check-emf: an input cannot be read (no such file, a directory), nothing checked',
  [EXIT_CODES.interrupted]: 'interrupted by Ctrl-C; the message says what still runs',
};

/** Where the operator stands when advice is given: which command failed, on which environment. */
export interface AdviceContext {
  /** The command's name; empty when the command line names no known command. */
  readonly command: string;
  readonly environment?: string;
}

/** What to do next: a sentence, or one built from where the operator stands. */
export type Advice = string | ((at: AdviceContext) => string);

export function adviceText(advice: Advice, at: AdviceContext): string {
  return typeof advice === 'string' ? advice : advice(at);
}

/**
 * "Look at the live state, then ...": points at `status` with the environment, except when
 * `status` itself failed, where it would go in circles.
 */
export function seeLiveStateThen(then: string): Advice {
  return ({ command, environment }) =>
    command === 'status' || environment === undefined
      ? `${then.charAt(0).toUpperCase()}${then.slice(1)}.`
      : `Run \`npx mcp-rollout status --environment ${environment}\` to see the live state, then ${then}.`;
}

export class CliError extends Error {
  constructor(
    message: string,
    /** What the operator should do now. */
    readonly next: Advice,
    readonly exitCode: ExitCode = EXIT_CODES.failed,
    options?: { readonly cause?: unknown },
  ) {
    // The cause keeps the AWS error behind the friendly message, for --json and logs.
    super(message, options);
    this.name = 'CliError';
  }
}

/** Where a wrong command line is explained: the command's own help when the command is known. */
const SEE_HELP: Advice = ({ command }) =>
  command === '' ? 'Run `npx mcp-rollout --help` for the commands and their options.' : `Run \`npx mcp-rollout ${command} --help\` for its options.`;

/** The command line is wrong; nothing was called. */
export class UsageError extends CliError {
  constructor(message: string, next: Advice = SEE_HELP) {
    super(message, next, EXIT_CODES.usage);
    this.name = 'UsageError';
  }
}

/** A safety rule stopped the command before it changed anything. */
export class Refusal extends CliError {
  constructor(message: string, next: Advice) {
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

/**
 * An AWS call that got no answer: every attempt hit the connection or request timeout (a stalled
 * VPN, proxy or firewall). Made by the clients of `aws-clients.ts`, explained by explainAwsError.
 */
export class NoAnswer extends Error {
  constructor(
    readonly call: {
      /** `CloudFormation`. */
      readonly service: string;
      /** `DescribeStacks`. */
      readonly operation: string;
      readonly region?: string;
      readonly waitedMs: number;
      readonly attempts: number;
      /** The longest one attempt may take. */
      readonly attemptLimitMs: number;
      /** AWS_ENDPOINT_URL, when it sends the calls elsewhere than AWS. */
      readonly endpointOverride?: string;
    },
    cause: unknown,
  ) {
    super(`${call.service} did not answer ${call.operation} within ${call.waitedMs} ms`, { cause });
    this.name = 'NoAnswer';
  }
}

/** An AWS SDK error as what failed and what to do next; Ctrl-C stays Ctrl-C. */
export function explainAwsError(error: unknown, doing: string): CliError | Interrupted {
  if (error instanceof Interrupted || error instanceof CliError) return error;
  const cause = { cause: error };
  if (error instanceof NoAnswer) {
    const { service, operation, region, waitedMs, attempts, attemptLimitMs, endpointOverride } = error.call;
    return new CliError(
      `${service}${region ? ` (${region})` : ''} did not answer ${operation} within ${formatSeconds(waitedMs)} (${attempts} attempt${attempts === 1 ? '' : 's'} of up to ${formatLimit(attemptLimitMs)} each) while ${doing}`,
      `The network path to AWS looks stalled (VPN, proxy or firewall): check it, e.g. \`aws sts get-caller-identity${region ? ` --region ${region}` : ''}\`, then run the same command again.${endpointHint(endpointOverride)}`,
      EXIT_CODES.failed,
      cause,
    );
  }
  if (isAccessDenied(error)) {
    return new CliError(
      `access denied while ${doing}: ${describeError(error)}`,
      'Check which identity you use (`aws sts get-caller-identity`) and that it has the operator permissions listed in docs/RUNBOOK.md ("Permissions").',
      EXIT_CODES.failed,
      cause,
    );
  }
  if (isThrottling(error)) {
    return new CliError(
      `AWS kept throttling ${doing} after 5 attempts: ${describeError(error)}`,
      'Wait a minute and run the same command again; it reads the live state first, so nothing is applied twice.',
      EXIT_CODES.failed,
      cause,
    );
  }
  if (isMissingCredentials(error)) {
    return new CliError(
      `no valid AWS credentials while ${doing}: ${describeError(error)}`,
      'Sign in (`aws sso login`, with --profile or AWS_PROFILE for a named profile, or set AWS_ACCESS_KEY_ID) and run the command again.',
      EXIT_CODES.failed,
      cause,
    );
  }
  const network = networkErrorCode(error);
  if (network !== undefined) {
    // `status` would fail the same way: point at the network, not at another command.
    return new CliError(
      `could not reach AWS (${network}) while ${doing}: ${describeError(error)}`,
      `Check the network path to AWS (VPN, proxy, DNS or firewall), e.g. \`aws sts get-caller-identity\`, then run the same command again.${endpointHint(process.env.AWS_ENDPOINT_URL)}`,
      EXIT_CODES.failed,
      cause,
    );
  }
  if (error instanceof Error && /^Region (is missing|not accepted)/.test(error.message)) {
    return new CliError(
      `no AWS region while ${doing}: ${error.message}`,
      'Pass --region, set AWS_REGION (or a profile with a region), or set `region` for this environment in lib/config/environments.ts.',
      EXIT_CODES.failed,
      cause,
    );
  }
  return new CliError(
    `${doing} failed: ${describeError(error)}`,
    ({ command, environment }) =>
      command === 'status'
        ? 'Run the same command again in a minute; if it keeps failing, look for an AWS event in the region at https://health.aws.amazon.com/health/status.'
        : adviceText(seeLiveStateThen('run the same command again'), { command, ...(environment ? { environment } : {}) }),
    EXIT_CODES.failed,
    cause,
  );
}

/** An AWS_ENDPOINT_URL that sends the calls elsewhere is the first suspect when AWS does not answer. */
function endpointHint(endpoint: string | undefined): string {
  return endpoint ? ` AWS_ENDPOINT_URL is set to ${endpoint}: unset it unless you meant to use another endpoint.` : '';
}

/** Socket and DNS failures: no AWS answer at all, so nothing about the live state is known. */
const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE']);

function networkErrorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return code;
  }
  return undefined;
}

/** `20.4 s`. */
function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s`;
}

/** `400 ms`, `10 s`. */
function formatLimit(ms: number): string {
  return ms < 1000 ? `${ms} ms` : formatSeconds(ms);
}
