/**
 * The real AWS clients of `bin/mcp-rollout.ts`, built so that no call can hang the CLI:
 * - every request has a connection and a request timeout (NodeHttpHandler `connectionTimeout`,
 *   `requestTimeout` with `throwOnRequestTimeout`: without it a breach is only a warning,
 *   https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/Package/-smithy-node-http-handler);
 * - a call that times out is tried twice, not five times: a stalled network path does not heal
 *   in a second, and on-call should hear about it in seconds, not minutes. Throttling and other
 *   transient errors keep the SDK's standard retries (5 attempts,
 *   https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html);
 * - every call carries the command's abort signal (`send(command, { abortSignal })`,
 *   https://aws.amazon.com/blogs/developer/abortcontroller-in-modular-aws-sdk-for-javascript/),
 *   so Ctrl-C ends it at once, sockets and retry waits included;
 * - a call that changes something (anything but Describe*, Get*, List*) is never cut off: Ctrl-C
 *   waits for its answer, and no change starts after Ctrl-C (see interrupts.ts).
 */
import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HandlerExecutionContext, MiddlewareStack } from '@smithy/types';
import type { ClientOptions, Clients } from './context';
import { Interrupted, NoAnswer } from './errors';

export interface Timeouts {
  /** Until the TCP connection is up. */
  readonly connectionMs: number;
  /** One attempt, from sending the request to the whole answer. */
  readonly requestMs: number;
}

/** AWS APIs answer in well under a second; ten seconds means the path is stalled. */
export const AWS_TIMEOUTS: Timeouts = { connectionMs: 5_000, requestMs: 10_000 };

/**
 * `rollback` invokes the rollback function with RequestResponse: the answer comes when the
 * function ends, which its timeout (ROLLBACK_FUNCTION_TIMEOUT, 30 s) bounds. A test keeps this
 * above it.
 */
export const ROLLBACK_INVOKE_TIMEOUT_MS = 60_000;

/** Attempts for throttling and transient errors (the SDK's standard mode default is 3). */
const MAX_ATTEMPTS = 5;
/** Attempts for a call that timed out. */
const TIMED_OUT_ATTEMPTS = 2;

export function awsClients(region: string | undefined, options: ClientOptions & { readonly timeouts?: Timeouts } = {}): Clients {
  const timeouts = options.timeouts ?? AWS_TIMEOUTS;
  const config = (requestMs: number, maxAttempts = MAX_ATTEMPTS) => ({
    maxAttempts,
    ...(region ? { region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    requestHandler: new NodeHttpHandler({ connectionTimeout: timeouts.connectionMs, requestTimeout: requestMs, throwOnRequestTimeout: true }),
  });
  const guard = <C extends GuardedClient>(service: string, client: C, requestMs = timeouts.requestMs): C => guarded(service, client, requestMs, region, options);
  return {
    cloudformation: guard('CloudFormation', new CloudFormationClient(config(timeouts.requestMs))),
    ssm: guard('SSM', new SSMClient(config(timeouts.requestMs))),
    elb: guard('Elastic Load Balancing', new ElasticLoadBalancingV2Client(config(timeouts.requestMs))),
    ecs: guard('ECS', new ECSClient(config(timeouts.requestMs))),
    appconfig: guard('AppConfig', new AppConfigClient(config(timeouts.requestMs))),
    cloudwatch: guard('CloudWatch', new CloudWatchClient(config(timeouts.requestMs))),
    // A RequestResponse rollback runs up to the function's timeout; never retry it blindly.
    lambda: guard('Lambda', new LambdaClient(config(ROLLBACK_INVOKE_TIMEOUT_MS, 1)), ROLLBACK_INVOKE_TIMEOUT_MS),
    events: guard('EventBridge', new EventBridgeClient(config(timeouts.requestMs))),
    sfn: guard('Step Functions', new SFNClient(config(timeouts.requestMs))),
  };
}

/** What the guard needs of a client: its middleware stack and `send`. */
interface GuardedClient {
  // any: the stack's input and output types differ per client, and the guard only passes them through.
  readonly middlewareStack: MiddlewareStack<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly config: { region(): Promise<string> };
  send(command: never, options?: never): Promise<unknown>;
}

/** Reads do not change anything, so Ctrl-C may cut them off. */
const READ_OPERATION = /^(Describe|Get|List)/;

/** A second timeout of one call: not retryable (no cause, no known name), turned into NoAnswer by the outer guard. */
class TimedOutAgain extends Error {
  constructor(readonly timeout: unknown) {
    super('timed out again');
    this.name = 'McpRolloutTimedOutAgain';
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}

function guarded<C extends GuardedClient>(service: string, client: C, attemptLimitMs: number, region: string | undefined, options: ClientOptions): C {
  const timeoutsByCall = new WeakMap<object, number>();

  // Inside the SDK's retry loop (deserialize runs once per attempt): the second timeout ends the call.
  client.middlewareStack.add(
    (next, context: HandlerExecutionContext) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (!isTimeout(error)) throw error;
        const seen = (timeoutsByCall.get(context) ?? 0) + 1;
        timeoutsByCall.set(context, seen);
        if (seen >= TIMED_OUT_ATTEMPTS) throw new TimedOutAgain(error);
        throw error;
      }
    },
    { step: 'deserialize', name: 'mcpRolloutTimeoutAttempts', priority: 'high' },
  );

  // Around the whole call, retries included: Ctrl-C and no-answer become what the CLI explains.
  client.middlewareStack.add(
    (next, context: HandlerExecutionContext) => async (args) => {
      const operation = (context.commandName ?? 'call').replace(/Command$/, '');
      const started = Date.now();
      const call = async () => {
        try {
          return await next(args);
        } catch (error) {
          if (options.interrupts?.signal.aborted && error instanceof Error && error.name === 'AbortError') throw new Interrupted();
          if (error instanceof TimedOutAgain || isTimeout(error)) {
            // The region the call went to: given, or resolved by the SDK (AWS_REGION, the profile).
            const calledRegion = region ?? (await client.config.region().catch(() => undefined));
            throw new NoAnswer(
              {
                service,
                operation,
                ...(calledRegion ? { region: calledRegion } : {}),
                waitedMs: Date.now() - started,
                attempts: timeoutsByCall.get(context) ?? 1,
                attemptLimitMs,
                ...(process.env.AWS_ENDPOINT_URL ? { endpointOverride: process.env.AWS_ENDPOINT_URL } : {}),
              },
              error instanceof TimedOutAgain ? error.timeout : error,
            );
          }
          throw error;
        }
      };
      if (!options.interrupts || READ_OPERATION.test(operation)) return call();
      return options.interrupts.mustFinish(`${service} ${operation}`, call);
    },
    { step: 'initialize', name: 'mcpRolloutCallGuard', priority: 'high' },
  );

  if (options.interrupts) {
    const { signal } = options.interrupts;
    const send = client.send.bind(client) as (command: unknown, options?: { abortSignal?: AbortSignal }) => Promise<unknown>;
    // Every call gets the command's abort signal, also where the caller passed none.
    (client as { send: unknown }).send = (command: unknown, callOptions?: { abortSignal?: AbortSignal }) =>
      send(command, { ...callOptions, abortSignal: callOptions?.abortSignal ? AbortSignal.any([callOptions.abortSignal, signal]) : signal });
  }
  return client;
}
