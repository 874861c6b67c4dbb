/**
 * The example server's settings from its environment: what the stack sets in each container
 * (`CONTAINER_ENVIRONMENT`: MCP_ENVIRONMENT, MCP_SLOT, MCP_METRICS_NAMESPACE, MCP_FEATURE_FLAGS_URL,
 * PORT, HOST) and its own knobs. Every bad value is reported at once, with the variable and what
 * is allowed, before anything listens.
 */
import { serverKitEnvironment, ServerKitEnvironmentError, type ServerKitEnvironment } from '../../lib/server-kit/environment';
import { parseAllowedOrigins } from '../../lib/server-kit/origin';
import { CONTAINER_ENVIRONMENT, FLAGS_START_DEADLINE_MS } from '../../lib/shared/metrics-contract';

export interface ExampleServerConfig {
  /** Where to listen; loopback outside the stack (the MCP specification's advice for a local server). */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Origins whose browser pages may call /mcp (MCP_ALLOWED_ORIGINS). */
  readonly allowedOrigins: readonly string[];
  /** How often the flags are read again (MCP_FEATURE_FLAGS_MAX_AGE_MS). */
  readonly flagsMaxAgeMs: number;
  /** How long the first flag read is retried before the server gives up (MCP_FEATURE_FLAGS_START_DEADLINE_MS). */
  readonly flagsStartDeadlineMs: number;
  readonly kit: ServerKitEnvironment;
}

export const LOCAL_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;
const MAX_MS = 3_600_000;
/** A host name (RFC 1123 labels) or an IPv4 or IPv6 address; what `listen` then resolves. */
const HOST_PATTERN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/;

export function exampleServerConfig(env: NodeJS.ProcessEnv = process.env): ExampleServerConfig {
  const problems: string[] = [];
  let kit: ServerKitEnvironment | undefined;
  try {
    kit = serverKitEnvironment(env);
  } catch (error) {
    if (!(error instanceof ServerKitEnvironmentError)) throw error;
    problems.push(...error.problems);
  }
  const integer = (variable: string, fallback: number, min: number, max: number): number => {
    const raw = env[variable];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d{1,10}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${variable} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return Number(raw);
  };
  const host = env[CONTAINER_ENVIRONMENT.host] || LOCAL_HOST;
  if (!HOST_PATTERN.test(host)) {
    problems.push(`${CONTAINER_ENVIRONMENT.host} must be a host name or an IP address to listen on, e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every interface), got ${JSON.stringify(host)}`);
  }
  const port = integer(CONTAINER_ENVIRONMENT.port, DEFAULT_PORT, 0, 65535);
  let allowedOrigins: string[] = [];
  try {
    allowedOrigins = parseAllowedOrigins(env.MCP_ALLOWED_ORIGINS);
  } catch (error) {
    problems.push((error as Error).message);
  }
  const flagsMaxAgeMs = integer('MCP_FEATURE_FLAGS_MAX_AGE_MS', 5000, 1, MAX_MS);
  const flagsStartDeadlineMs = integer('MCP_FEATURE_FLAGS_START_DEADLINE_MS', FLAGS_START_DEADLINE_MS, 1, MAX_MS);
  if (problems.length > 0 || kit === undefined) throw new ServerKitEnvironmentError(problems);
  return { host, port, allowedOrigins, flagsMaxAgeMs, flagsStartDeadlineMs, kit };
}

/** Why the server could not listen on host:port, naming the variable to change; undefined for an error that is not about them. */
export function listenProblem(error: unknown, host: string, port: number): string | undefined {
  const code = (error as { code?: string }).code;
  const at = `cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port}`;
  const { host: HOST, port: PORT } = CONTAINER_ENVIRONMENT;
  switch (code) {
    case 'EADDRINUSE':
      return `${at}: the port is in use (EADDRINUSE); set ${PORT} to a free port (0 picks one)`;
    case 'EACCES':
      return `${at}: a port below 1024 needs privileges the server should not have (EACCES); set ${PORT} to 1024 or above`;
    case 'EADDRNOTAVAIL':
      return `${at}: ${HOST} is not an address of this machine (EADDRNOTAVAIL); set ${HOST} to one of its addresses, 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `${at}: ${HOST} does not resolve (${code}); set ${HOST} to an address of this machine, 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`;
    default:
      return undefined;
  }
}
