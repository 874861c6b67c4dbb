import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { RollbackResult } from '../../lib/shared/rollback-contract';
import { rollbackClients } from './clients';
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

// Timeouts on every call, the SDK's own retries off: retry.ts is the one retry policy (clients.ts).
const deps: Dependencies = {
  clients: rollbackClients(),
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
