/**
 * `npx mcp-rollout`: the operator CLI (README "Operator CLI", docs/RUNBOOK.md). Loads and validates
 * the same config the CDK app uses, wires the real AWS clients, and hands over to runCli.
 */
import * as os from 'node:os';
import { ConfigError, parseConfig } from '../lib/config/schema';
import { DEFAULT_CONFIG } from '../lib/config/environments';
import { awsClients } from '../lib/cli/aws-clients';
import { readAwsProfiles } from '../lib/cli/aws-profiles';
import { CdkCliToolkit } from '../lib/cli/cdk-toolkit';
import { runCli } from '../lib/cli/main';
import { exitAfterOutput, processTerminal, systemClock } from '../lib/cli/system';

// The pinned SDK clients run on Node 20; their warning is about SDK releases after January 2027,
// a maintainer's concern (README "Operator CLI"), not something on-call should read on every command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<number> {
  let config;
  try {
    config = parseConfig(DEFAULT_CONFIG);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    processTerminal.stderr(`error: ${error.message}\nnext: fix lib/config/environments.ts\n`);
    return 1;
  }
  // Ctrl-C stops the command within a second, except a change that must finish (lib/cli/interrupts.ts).
  const interrupt = new AbortController();
  process.on('SIGINT', () => interrupt.abort());
  return runCli(process.argv.slice(2), {
    clients: awsClients,
    terminal: processTerminal,
    clock: systemClock,
    toolkit: new CdkCliToolkit((line) => processTerminal.stderr(`\n${line}\n`)),
    environments: config.environments,
    user: process.env.MCP_ROLLOUT_USER ?? os.userInfo().username,
    signal: interrupt.signal,
    env: process.env,
    awsProfiles: () => readAwsProfiles(process.env),
  });
}

main().then(exitAfterOutput, (error: unknown) => {
  processTerminal.stderr(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  exitAfterOutput(1);
});
