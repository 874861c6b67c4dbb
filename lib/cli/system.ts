/** The real clock, terminal and AWS clients for `bin/mcp-rollout.ts`. */
import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Clients, Clock, Terminal } from './context';
import { Interrupted } from './errors';
import { colorsWanted } from './output';

/**
 * The SDK's standard retry mode retries throttling and transient errors with backoff; five
 * attempts ride out a burst, and the error after the fifth says to wait and run again.
 */
export function awsClients(region: string | undefined): Clients {
  const config = { maxAttempts: 5, ...(region ? { region } : {}) };
  return {
    cloudformation: new CloudFormationClient(config),
    ssm: new SSMClient(config),
    elb: new ElasticLoadBalancingV2Client(config),
    ecs: new ECSClient(config),
    appconfig: new AppConfigClient(config),
    cloudwatch: new CloudWatchClient(config),
    // A RequestResponse rollback runs up to the function's 30 s timeout; never retry it blindly.
    lambda: new LambdaClient({ ...config, maxAttempts: 1 }),
    events: new EventBridgeClient(config),
  };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new Interrupted());
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(new Interrupted());
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }),
};

export const processTerminal: Terminal = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (text) => process.stderr.write(text),
  interactive: process.stderr.isTTY === true,
  stdoutInteractive: process.stdout.isTTY === true,
  colors: colorsWanted(process.env, process.stdout),
};
