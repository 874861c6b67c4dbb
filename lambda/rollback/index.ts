import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { RollbackResult } from '../../lib/shared/rollback-contract';
import { readConfig } from './config';
import { parseRollbackEvent, RejectedInput } from './events';
import { performRollback, type Dependencies } from './rollback';

// Configured once per cold start (Powertools convention); a bad environment fails every invocation loudly.
const logger = new Logger({ serviceName: 'mcp-rollout-rollback' });
const metrics = new Metrics({ namespace: 'mcp-rollout', serviceName: 'rollback' });
const config = readConfig(process.env);
metrics.addDimension('Environment', config.environment);
const acceptance = { triggerAlarms: config.triggerAlarms, serviceStackName: config.serviceStackName, flagEnvironmentId: config.appConfig.environmentId };
logger.appendKeys({ environment: config.environment });

// The SDK's own retries are off: withThrottlingRetry is the one retry policy (see retry.ts).
const clientConfig = { maxAttempts: 1 };
const deps: Dependencies = {
  clients: {
    elb: new ElasticLoadBalancingV2Client(clientConfig),
    appconfig: new AppConfigClient(clientConfig),
    ssm: new SSMClient(clientConfig),
    sns: new SNSClient(clientConfig),
    events: new EventBridgeClient(clientConfig),
  },
  config,
  log: {
    info: (message, extra) => logger.info(message, { ...extra }),
    warn: (message, extra) => logger.warn(message, { ...extra }),
    error: (message, extra) => logger.error(message, { ...extra }),
  },
  metrics: { addMetric: (name, unit, value) => metrics.addMetric(name, unit === 'Count' ? MetricUnit.Count : MetricUnit.Milliseconds, value) },
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Rolls the environment back on a trigger alarm or a manual request, and enforces a rollback in
 * force when a Service stack operation or a flag deployment ends. A refused input is logged and
 * answered, not thrown: retrying it could not help. An incomplete rollback is thrown, so the
 * asynchronous retries run and the on-failure destination and the errors alarm reach on-call.
 */
export async function handler(event: unknown, context?: Context): Promise<RollbackResult> {
  if (context) logger.addContext(context);
  try {
    let request;
    try {
      request = parseRollbackEvent(event, acceptance);
    } catch (error) {
      if (!(error instanceof RejectedInput)) throw error;
      logger.error('input refused, nothing changed', { reason: error.message, event });
      metrics.addMetric('RollbackRejected', MetricUnit.Count, 1);
      return { outcome: 'rejected', environment: config.environment, steps: [], durationMs: 0, error: error.message };
    }
    logger.info('rollback requested', { request });
    return await performRollback(request, deps);
  } finally {
    metrics.publishStoredMetrics();
  }
}
