import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ROLLBACK_CALL_LIMITS, type RollbackCallLimits } from '../../lib/shared/rollback-contract';
import type { Clients } from './rollback';

/** What a test may set on every client (a local endpoint, fixed credentials); Lambda sets nothing. */
export interface ClientOverrides {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * The function's AWS clients. Each has its own HTTP handler that abandons a connection after
 * `connectionTimeoutMs` and a whole attempt after `requestTimeoutMs` (throwOnRequestTimeout: without
 * it the handler only logs a warning and waits on), so no call can hang until the function's
 * timeout (https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html
 * shows the requestHandler). The SDK's own retries are off (maxAttempts 1): lambda/rollback/retry.ts
 * is the one retry policy, with the deadlines of ROLLBACK_CALL_LIMITS.
 */
export function rollbackClients(limits: RollbackCallLimits = ROLLBACK_CALL_LIMITS, overrides: ClientOverrides = {}): Clients {
  const config = () => ({
    ...overrides,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ connectionTimeout: limits.connectionTimeoutMs, requestTimeout: limits.requestTimeoutMs, throwOnRequestTimeout: true }),
  });
  return {
    elb: new ElasticLoadBalancingV2Client(config()),
    appconfig: new AppConfigClient(config()),
    ssm: new SSMClient(config()),
    sns: new SNSClient(config()),
    events: new EventBridgeClient(config()),
    cloudwatch: new CloudWatchClient(config()),
  };
}
