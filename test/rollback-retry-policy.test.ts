/**
 * The rollback function's one retry policy and its call timeouts (issue 11 review, item 4): throttling
 * and transient errors are retried (timeouts, dropped or refused connections, names that do not
 * resolve, 5xx: https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html), with
 * the error shapes the SDK v3 really produces; nothing else is. Each client's HTTP handler ends a
 * hung call (rollback-clients.test.ts), and the deadlines keep the traffic step within the function's timeout
 * (ROLLBACK_CALL_LIMITS, lib/shared/rollback-contract.ts).
 */
import { BadRequestException, ConflictException, InternalServerException } from '@aws-sdk/client-appconfig';
import { ElasticLoadBalancingV2ServiceException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { InternalErrorException } from '@aws-sdk/client-sns';
import { InternalServerError, ParameterNotFound } from '@aws-sdk/client-ssm';
import { performRollback } from '../lambda/rollback/rollback';
import { withRetry } from '../lambda/rollback/retry';
import { isRetryable } from '../lib/shared/aws-errors';
import { ROLLBACK_CALL_LIMITS, trafficStepWorstCaseMs } from '../lib/shared/rollback-contract';
import { AwsState } from './fakes/aws-state';
import { freshEnvironmentEachTest } from './fakes/environment';

/** As @smithy/node-http-handler rejects: a request timeout, a connection timeout, a socket error. */
const requestTimeout = () => Object.assign(new Error('@smithy/node-http-handler - [ERROR] a request has exceeded the configured 4000 ms requestTimeout.'), { name: 'TimeoutError', code: 'ETIMEDOUT' });
const connectTimeout = () => Object.assign(new Error('@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 1000 ms.'), { name: 'TimeoutError' });
const socketError = (code: string, name = 'Error') => Object.assign(new Error(`${code.toLowerCase()} elasticloadbalancing.eu-west-1.amazonaws.com`), { name, code });

describe('which errors are retried', () => {
  test.each([
    ['AppConfig InternalServerException (500)', () => new InternalServerException({ message: 'internal error', $metadata: { httpStatusCode: 500 } })],
    ['SSM InternalServerError (500)', () => new InternalServerError({ message: 'internal error', $metadata: { httpStatusCode: 500 } })],
    ['SNS InternalErrorException (500)', () => new InternalErrorException({ message: 'internal error', $metadata: { httpStatusCode: 500 } })],
    ['an unmodeled 503 (ELBv2 ServiceUnavailable)', () => new ElasticLoadBalancingV2ServiceException({ name: 'ServiceUnavailable', $fault: 'server', message: 'unavailable', $metadata: { httpStatusCode: 503 } })],
    ['an unmodeled 502 without a name the SDK knows', () => new ElasticLoadBalancingV2ServiceException({ name: 'Unknown', $fault: 'client', message: 'bad gateway', $metadata: { httpStatusCode: 502 } })],
    ['the request timeout', requestTimeout],
    ['the connection timeout', connectTimeout],
    ['a connection reset', () => socketError('ECONNRESET', 'TimeoutError')],
    ['a connection refused', () => socketError('ECONNREFUSED', 'TimeoutError')],
    ['a name that did not resolve', () => socketError('ENOTFOUND')],
    ['a temporary DNS failure', () => socketError('EAI_AGAIN')],
    ['throttling', () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } })],
    ['an error the service marks $retryable', () => Object.assign(new Error('try again'), { name: 'SomethingBusy', $retryable: {}, $metadata: { httpStatusCode: 400 } })],
  ])('%s: retried', (_name, error) => {
    expect(isRetryable(error())).toBe(true);
  });

  test.each([
    ['AppConfig ConflictException (409)', () => new ConflictException({ message: 'conflict', $metadata: { httpStatusCode: 409 } })],
    ['AppConfig BadRequestException (400)', () => new BadRequestException({ message: 'bad', $metadata: { httpStatusCode: 400 } })],
    ['SSM ParameterNotFound (400)', () => new ParameterNotFound({ message: '', $metadata: { httpStatusCode: 400 } })],
    ['AccessDenied (403)', () => Object.assign(new Error('not authorized'), { name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } })],
    ['a cancelled call', () => Object.assign(new Error('Request aborted'), { name: 'AbortError' })],
    ['a bug of ours', () => new TypeError('x is undefined')],
  ])('%s: not retried', (_name, error) => {
    expect(isRetryable(error())).toBe(false);
  });

  test('backoff with full jitter, capped; the attempts run out; no attempt starts after the deadline', async () => {
    let now = 0;
    const waits: number[] = [];
    const options = { attempts: 5, baseDelayMs: 200, maxDelayMs: 2000, now: () => now, sleep: async (ms: number) => void (waits.push(ms), (now += ms)) };
    jest.spyOn(Math, 'random').mockReturnValue(1);
    let calls = 0;
    const failing = async () => {
      calls += 1;
      now += 4000; // each attempt hangs until the request timeout
      throw requestTimeout();
    };
    await expect(withRetry(failing, options)).rejects.toThrow(/requestTimeout/);
    expect(calls).toBe(5);
    expect(waits).toEqual([200, 400, 800, 1600]);

    now = 0;
    calls = 0;
    waits.length = 0;
    await expect(withRetry(failing, { ...options, deadline: 10_000 })).rejects.toThrow(/requestTimeout/);
    // Attempts start at 0, 4.2 s and 8.6 s; a fourth would start at 13.4 s, after the deadline.
    expect(calls).toBe(3);
    jest.restoreAllMocks();
  });
});

describe('against the fake', () => {
  const world = freshEnvironmentEachTest(() => new AwsState());
  const alarm = { kind: 'alarm' as const, alarmName: 'mcp-rollout-production-canary-error-rate-trigger', reason: 'Threshold Crossed', via: 'lambda-action' as const, dryRun: false as const };
  const { weights } = world;
  const hangs = (command: string, times: number) => {
    let left = times;
    world.fake.before(
      command,
      () => {
        if (left-- <= 0) return;
        world.fake.advance(ROLLBACK_CALL_LIMITS.requestTimeoutMs);
        throw requestTimeout();
      },
      false,
    );
  };

  test('ModifyRule answering 503 and then timing out: retried, and the traffic moves', async () => {
    let n = 0;
    world.fake.before(
      'ModifyRuleCommand',
      () => {
        n += 1;
        if (n === 1) throw new ElasticLoadBalancingV2ServiceException({ name: 'ServiceUnavailable', $fault: 'server', message: 'unavailable', $metadata: { httpStatusCode: 503 } });
        if (n === 2) throw requestTimeout();
      },
      false,
    );
    const result = await performRollback(alarm, world.run.deps);
    expect(result.outcome).toBe('rolled_back');
    expect(n).toBe(3);
    expect(weights()).toEqual({ stable: 100, canary: 0 });
    expect(world.run.warnings).toEqual(['transient error, retrying', 'transient error, retrying']);
  });

  test('every read before the steps hangs: they give up at their deadline, and the traffic moves within the budget', async () => {
    hangs('DescribeRulesCommand', 1000);
    hangs('GetParameterCommand', 1000);
    hangs('ListDeploymentsCommand', 1000);
    const started = world.fake.now();
    let movedAt = 0;
    world.fake.before('ModifyRuleCommand', () => void (movedAt = world.fake.now()));
    await performRollback(alarm, world.run.deps).catch(() => undefined);
    expect(weights()).toEqual({ stable: 100, canary: 0 });
    expect(movedAt - started).toBeLessThanOrEqual(ROLLBACK_CALL_LIMITS.readsBeforeTrafficMs + 3 * ROLLBACK_CALL_LIMITS.requestTimeoutMs);
  });

  test('ModifyRule hanging every time: the traffic step gives up by its deadline, within the worst case the template test checks', async () => {
    hangs('ModifyRuleCommand', 1000);
    const started = world.fake.now();
    let trafficEnded = 0;
    world.fake.before('CreateHostedConfigurationVersionCommand', () => void (trafficEnded = world.fake.now()));
    await performRollback(alarm, world.run.deps).catch(() => undefined);
    expect(trafficEnded - started).toBeLessThanOrEqual(trafficStepWorstCaseMs());
    expect(world.fake.calls.filter(([, c]) => c === 'ModifyRuleCommand').length).toBeGreaterThan(1);
  });
});
