/**
 * `npm run example-server`: the example MCP server on HOST (default 127.0.0.1) and PORT (default
 * 8080), Streamable HTTP on /mcp, /health, EMF lines on stdout, everything else on stderr.
 *
 * It reads what the stack sets in each container: MCP_ENVIRONMENT, MCP_SLOT,
 * MCP_METRICS_NAMESPACE and MCP_FEATURE_FLAGS_URL (unset outside the stack: staging, stable, the
 * contract namespace, the seed's flag defaults). MCP_FEATURE_FLAGS_MAX_AGE_MS (default 5000) sets
 * how often the flags are read again from the AppConfig Agent.
 */
import { AppConfigAgentFlags, HealthCheck, ServerKit, serverKitEnvironment } from '../../lib/server-kit';
import { ALL_TOOLS } from './catalog';
import { MCP_PATH, startExampleServer } from './http-server';

function fail(message: string): never {
  process.stderr.write(`example server: ${message}\n`);
  process.exit(1);
}

function integer(variable: string, fallback: number, min: number, max: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) fail(`${variable} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

async function main(): Promise<void> {
  let env;
  try {
    env = serverKitEnvironment();
  } catch (error) {
    fail((error as Error).message);
  }
  const host = process.env.HOST || '127.0.0.1';
  const port = integer('PORT', 8080, 0, 65535);
  const flags = new AppConfigAgentFlags({
    ...(env.featureFlagsUrl ? { url: env.featureFlagsUrl } : {}),
    maxAgeMs: integer('MCP_FEATURE_FLAGS_MAX_AGE_MS', 5000, 1, 3_600_000),
  });
  const kit = new ServerKit({ environment: env.environment, slot: env.slot, tools: ALL_TOOLS.keys(), flags });
  const health = new HealthCheck(kit, flags);
  if (env.defaulted.length > 0) {
    process.stderr.write(`example server: not set, using local defaults: ${env.defaulted.join(', ')}\n`);
  }
  // The first read before serving, so the first calls already see the deployed flags (bounded by the client's timeout).
  await flags.refresh();

  const server = await startExampleServer({ host, port, kit, health });
  process.stderr.write(
    `example server: MCP on ${server.origin}${MCP_PATH}, health on ${server.origin}${health.path} (environment ${env.environment}, slot ${env.slot}, flags from ${flags.status().source})\n`,
  );
  const stop = (signal: string) => {
    process.stderr.write(`example server: ${signal}, draining\n`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
    // Requests still open after 10 s do not hold the task (ECS sends SIGKILL after its stopTimeout).
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => fail(error instanceof Error ? (error.stack ?? error.message) : String(error)));
