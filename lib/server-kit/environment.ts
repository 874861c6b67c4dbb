/**
 * The server's settings from the environment variables the stack gives each container
 * (`CONTAINER_ENVIRONMENT` in the metrics contract). A bad value stops the server at start with
 * the variable and what is allowed: emitting metrics under a name the alarms do not read would
 * look healthy and be blind.
 */
import { ENVIRONMENT_NAMES, SLOT_NAMES, type EnvironmentName, type SlotName } from '../shared/environment-names';
import { CONTAINER_ENVIRONMENT, METRICS_NAMESPACE } from '../shared/metrics-contract';

export interface ServerKitEnvironment {
  readonly environment: EnvironmentName;
  readonly slot: SlotName;
  /** Undefined when the server runs without the AppConfig Agent (never on ECS): the flags keep the seed's defaults. */
  readonly featureFlagsUrl?: string;
  /** Variables that were not set and got their local-run default (the stack sets all of them). */
  readonly defaulted: readonly string[];
}

/** Defaults for a run outside the stack (a laptop, CI): a stable staging task. Never used on ECS. */
export const LOCAL_DEFAULTS = { environment: 'staging', slot: 'stable' } as const satisfies { environment: EnvironmentName; slot: SlotName };

export class ServerKitEnvironmentError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid server environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ServerKitEnvironmentError';
  }
}

/**
 * Set by ECS in every container of a Fargate task (platform 1.4.0 and later)
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-metadata-endpoint-v4-fargate.html):
 * the server runs in a task, where a missing variable is a broken task definition, not a laptop.
 */
export const ECS_MARKER = 'ECS_CONTAINER_METADATA_URI_V4';

export function serverKitEnvironment(env: NodeJS.ProcessEnv = process.env): ServerKitEnvironment {
  const problems: string[] = [];
  const defaulted: string[] = [];
  const onEcs = (env[ECS_MARKER] ?? '') !== '';
  /** `required`: no local default on ECS, where the stack always sets it (metrics under another slot would look healthy and be blind). */
  const oneOf = <T extends string>(variable: string, allowed: readonly T[], fallback: T, required = false): T => {
    const value = env[variable];
    if (value === undefined || value === '') {
      if (required && onEcs) problems.push(`${variable} is required on ECS (${ECS_MARKER} is set): one of ${allowed.join(', ')}`);
      else defaulted.push(variable);
      return fallback;
    }
    if (!(allowed as readonly string[]).includes(value)) problems.push(`${variable} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
    return value as T;
  };
  const environment = oneOf(CONTAINER_ENVIRONMENT.environment, ENVIRONMENT_NAMES, LOCAL_DEFAULTS.environment, true);
  const slot = oneOf(CONTAINER_ENVIRONMENT.slot, SLOT_NAMES, LOCAL_DEFAULTS.slot, true);
  const namespace = env[CONTAINER_ENVIRONMENT.namespace];
  if (namespace === undefined || namespace === '') defaulted.push(CONTAINER_ENVIRONMENT.namespace);
  else if (namespace !== METRICS_NAMESPACE) {
    problems.push(`${CONTAINER_ENVIRONMENT.namespace} must be ${JSON.stringify(METRICS_NAMESPACE)} (the namespace the alarms read), got ${JSON.stringify(namespace)}`);
  }
  const url = env[CONTAINER_ENVIRONMENT.featureFlagsUrl];
  if (url === undefined || url === '') {
    // Without the agent the flags keep the seed's defaults, every flag on: on ECS that would serve
    // the rollback flags on while a rollback is in force (DESIGN.md D2). The stack always sets it.
    if (onEcs) problems.push(`${CONTAINER_ENVIRONMENT.featureFlagsUrl} is required on ECS (${ECS_MARKER} is set): the AppConfig Agent's http:// URL of the flags profile`);
    else defaulted.push(CONTAINER_ENVIRONMENT.featureFlagsUrl);
  } else if (!/^http:\/\/[^/]+\/\S*$/.test(url)) {
    problems.push(`${CONTAINER_ENVIRONMENT.featureFlagsUrl} must be the AppConfig Agent's http:// URL of the flags profile, got ${JSON.stringify(url)}`);
  }
  if (problems.length > 0) throw new ServerKitEnvironmentError(problems);
  return { environment, slot, ...(url ? { featureFlagsUrl: url } : {}), defaulted };
}
