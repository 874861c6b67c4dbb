/**
 * `npm run example-server`: the example MCP server on HOST (default 127.0.0.1) and PORT (default
 * 8080), Streamable HTTP on /mcp, /health, EMF lines on stdout, everything else on stderr.
 *
 * It reads what the stack sets in each container (settings.ts): MCP_ENVIRONMENT, MCP_SLOT,
 * MCP_METRICS_NAMESPACE, MCP_FEATURE_FLAGS_URL, PORT and HOST; outside the stack the unset ones
 * get local defaults, on ECS MCP_ENVIRONMENT and MCP_SLOT are required. MCP_ALLOWED_ORIGINS lists
 * the browser origins that may call /mcp; MCP_FEATURE_FLAGS_MAX_AGE_MS (default 5000) sets how
 * often the flags are read again; MCP_FEATURE_FLAGS_START_DEADLINE_MS (default
 * FLAGS_START_DEADLINE_MS) how long the first read is retried.
 *
 * Start-up in a task: the server listens at once (a port or host problem shows at once), answers
 * 503 on /health and /mcp while it retries the first flag read, and serves once it has read the
 * flags. When the deadline passes without a good read, it exits 1: serving the seed's defaults
 * would turn the flags a rollback turned off back on (DESIGN.md D2), and an agent that cannot read
 * its flags within the health check grace period is broken (no permission, no route to AppConfig);
 * ECS then starts a new task, a deployment whose tasks never get healthy is stopped by the
 * circuit breaker, and the tasks already serving keep their last good values.
 */
import { AppConfigAgentFlags, HealthCheck, originPolicy, ServerKit } from '../../lib/server-kit';
import { ALL_TOOLS } from './catalog';
import { exampleServerConfig, listenProblem } from './settings';
import { MCP_PATH, startExampleServer } from './http-server';

function fail(message: string): never {
  process.stderr.write(`example server: ${message}\n`);
  process.exit(1);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s`;

async function main(): Promise<void> {
  let config;
  try {
    config = exampleServerConfig();
  } catch (error) {
    fail((error as Error).message);
  }
  const { host, port, kit: env } = config;
  const flags = new AppConfigAgentFlags({ ...(env.featureFlagsUrl ? { url: env.featureFlagsUrl } : {}), maxAgeMs: config.flagsMaxAgeMs });
  const kit = new ServerKit({ environment: env.environment, slot: env.slot, tools: ALL_TOOLS.keys(), flags });
  const health = new HealthCheck(kit, flags);
  if (env.defaulted.length > 0) {
    process.stderr.write(`example server: not set, using local defaults: ${env.defaulted.join(', ')}\n`);
  }

  let server;
  try {
    server = await startExampleServer({ host, port, kit, health, origins: originPolicy(host, config.allowedOrigins) });
  } catch (error) {
    const problem = listenProblem(error, host, port);
    if (problem === undefined) throw error;
    fail(problem);
  }
  const running = server;
  let stopping = false;
  const stop = (signal: string) => {
    stopping = true;
    process.stderr.write(`example server: ${signal}, draining\n`);
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
    // Requests still open after 10 s do not hold the task (ECS sends SIGKILL after its stopTimeout).
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  if (!flags.ready()) {
    process.stderr.write(`example server: listening on ${running.origin}; reading the feature flags before serving MCP (up to ${seconds(config.flagsStartDeadlineMs)})\n`);
    const status = await flags.waitForFirstRead({ deadlineMs: config.flagsStartDeadlineMs });
    if (stopping) return;
    if (!flags.ready()) {
      fail(
        `no feature flags from the AppConfig Agent within ${seconds(config.flagsStartDeadlineMs)} (${status.lastError ?? 'no answer'}); exiting so that ECS starts a new task: serving the seed's defaults would turn rolled-back flags back on`,
      );
    }
  }
  process.stderr.write(
    `example server: MCP on ${running.origin}${MCP_PATH}, health on ${running.origin}${health.path} (environment ${env.environment}, slot ${env.slot}, flags from ${flags.status().source})\n`,
  );
}

main().catch((error: unknown) => fail(error instanceof Error ? (error.stack ?? error.message) : String(error)));
