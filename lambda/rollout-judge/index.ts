import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { BakeCheckResult } from '../../lib/shared/rollout-contract';
import { checkBake, parseRequest } from './bake-check';
import { readConfig } from './config';

// Configured once per cold start (Powertools convention); a bad environment fails every invocation loudly.
const logger = new Logger({ serviceName: 'mcp-rollout-rollout-judge' });
const metrics = new Metrics({ namespace: 'mcp-rollout', serviceName: 'rollout-judge' });
const config = readConfig(process.env);
metrics.addDimension('Environment', config.environment);
logger.appendKeys({ environment: config.environment });

// The SDK's standard retries ride out throttling within the call; the state machine retries the
// invocation and, if it still fails, counts the minute as a hold.
const clients = { cloudformation: new CloudFormationClient({ maxAttempts: 3 }), cloudwatch: new CloudWatchClient({ maxAttempts: 3 }) };

/** Judges one minute of a bake. Errors are thrown: the state machine treats them as a hold, never a pass. */
export async function handler(event: unknown, context: Context): Promise<BakeCheckResult> {
  logger.addContext(context);
  try {
    const request = parseRequest(event, config);
    // Leave two seconds to answer before the function's own timeout.
    const signal = AbortSignal.timeout(Math.max(1000, context.getRemainingTimeInMillis() - 2000));
    const result = await checkBake(request, { ...clients, config, signal });
    logger.info('judged', { request, verdict: result.verdict, reasons: result.reasons });
    metrics.addMetric(`Verdict${result.verdict[0]?.toUpperCase()}${result.verdict.slice(1)}`, MetricUnit.Count, 1);
    return result;
  } catch (error) {
    logger.error('could not judge', { error: error as Error, event });
    metrics.addMetric('JudgeErrors', MetricUnit.Count, 1);
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
}
