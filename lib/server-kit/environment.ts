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
  /** Undefined when the server runs without the AppConfig Agent: the flags keep the seed's defaults. */
  readonly featureFlagsUrl?: string;
  /** Variables that were not set and got their local-run default (the stack sets all of them). */
  readonly defaulted: readonly string[];
}

/** Defaults for a run outside the stack (a laptop, CI): a stable staging task. */
export const LOCAL_DEFAULTS = { environment: 'staging', slot: 'stable' } as const satisfies { environment: EnvironmentName; slot: SlotName };

export class ServerKitEnvironmentError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid server environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ServerKitEnvironmentError';
  }
}

export function serverKitEnvironment(env: NodeJS.ProcessEnv = process.env): ServerKitEnvironment {
  const problems: string[] = [];
  const defaulted: string[] = [];
  const oneOf = <T extends string>(variable: string, allowed: readonly T[], fallback: T): T => {
    const value = env[variable];
    if (value === undefined || value === '') {
      defaulted.push(variable);
      return fallback;
    }
    if (!(allowed as readonly string[]).includes(value)) problems.push(`${variable} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
    return value as T;
  };
  const environment = oneOf(CONTAINER_ENVIRONMENT.environment, ENVIRONMENT_NAMES, LOCAL_DEFAULTS.environment);
  const slot = oneOf(CONTAINER_ENVIRONMENT.slot, SLOT_NAMES, LOCAL_DEFAULTS.slot);
  const namespace = env[CONTAINER_ENVIRONMENT.namespace];
  if (namespace === undefined || namespace === '') defaulted.push(CONTAINER_ENVIRONMENT.namespace);
  else if (namespace !== METRICS_NAMESPACE) {
    problems.push(`${CONTAINER_ENVIRONMENT.namespace} must be ${JSON.stringify(METRICS_NAMESPACE)} (the namespace the alarms read), got ${JSON.stringify(namespace)}`);
  }
  const url = env[CONTAINER_ENVIRONMENT.featureFlagsUrl];
  if (url === undefined || url === '') defaulted.push(CONTAINER_ENVIRONMENT.featureFlagsUrl);
  else if (!/^http:\/\/[^/]+\/\S*$/.test(url)) {
    problems.push(`${CONTAINER_ENVIRONMENT.featureFlagsUrl} must be the AppConfig Agent's http:// URL of the flags profile, got ${JSON.stringify(url)}`);
  }
  if (problems.length > 0) throw new ServerKitEnvironmentError(problems);
  return { environment, slot, ...(url ? { featureFlagsUrl: url } : {}), defaulted };
}
