/**
 * The CLI's one entry: parse the command line, run the command, print its result, return the exit
 * code. `bin/mcp-rollout.ts` calls it with the real world; the tests with mocks.
 */
import { describeError } from '../shared/aws-errors';
import { helpText, parseCommandLine, type CommandName } from './args';
import { deploy } from './commands/deploy';
import { drill } from './commands/drill';
import { flags } from './commands/flags';
import { gate } from './commands/gate';
import { promote } from './commands/promote';
import { resume } from './commands/resume';
import { rollback } from './commands/rollback';
import { status } from './commands/status';
import type { CliDeps, CommandContext } from './context';
import { CliError, EXIT_CODES, Interrupted } from './errors';
import { Reporter, type CommandResult } from './output';

type Options = Readonly<Record<string, string | boolean | undefined>>;

const RUNNERS: Record<CommandName, (ctx: CommandContext, options: Options, positionals: readonly string[]) => Promise<CommandResult>> = {
  deploy: (ctx, options) => deploy(ctx, options),
  gate: (ctx, options) => gate(ctx, options),
  promote: (ctx) => promote(ctx),
  rollback: (ctx, options) => rollback(ctx, options),
  resume: (ctx, options) => resume(ctx, options),
  status: (ctx) => status(ctx),
  flags: (ctx, options, positionals) => flags(ctx, options, positionals),
  drill: (ctx, options) => drill(ctx, options),
};

export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  let line;
  try {
    line = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    new Reporter(deps.terminal, argv.includes('--json')).error(argv[0] ?? '', undefined, error.message, error.next, error.exitCode);
    return error.exitCode;
  }
  if (line.kind === 'help') {
    for (const text of helpText(line.command)) deps.terminal.stdout(text);
    return EXIT_CODES.ok;
  }

  const report = new Reporter(deps.terminal, line.json);
  const config = deps.environments[line.environment];
  const ctx: CommandContext = {
    environment: line.environment,
    config,
    clients: deps.clients(config.region),
    report,
    clock: deps.clock,
    toolkit: deps.toolkit,
    user: deps.user,
    signal: deps.signal,
  };
  try {
    const result = await RUNNERS[line.command](ctx, line.options, line.positionals);
    report.result(line.command, line.environment, result);
    return result.exitCode;
  } catch (error) {
    if (error instanceof Interrupted) {
      const still = error.whatStillRuns ?? 'Nothing was changed after the interrupt.';
      report.error(line.command, line.environment, 'interrupted (Ctrl-C)', still, EXIT_CODES.interrupted);
      return EXIT_CODES.interrupted;
    }
    const known =
      error instanceof CliError
        ? error
        : new CliError(`unexpected error: ${describeError(error)}`, 'This is a bug in mcp-rollout: run `npx mcp-rollout status` to see the live state, and report the error with the command you ran.');
    report.error(line.command, line.environment, known.message, known.next, known.exitCode);
    return known.exitCode;
  }
}
