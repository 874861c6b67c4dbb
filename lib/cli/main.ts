/**
 * The CLI's one entry: parse the command line, run the command, print its result, return the exit
 * code. `bin/mcp-rollout.ts` calls it with the real world; the tests with mocks. It knows no
 * command by name: each one is a CliCommand listed in `commands/index.ts`.
 */
import { describeError } from '../shared/aws-errors';
import { helpText, parseCommandLine } from './args';
import type { CliCommand } from './command';
import { COMMANDS } from './commands';
import type { CliDeps, LocalContext } from './context';
import { CliError, EXIT_CODES, Interrupted } from './errors';
import { Reporter, type CommandResult } from './output';

export async function runCli(argv: readonly string[], deps: CliDeps, commands: readonly CliCommand[] = COMMANDS): Promise<number> {
  let line;
  try {
    line = parseCommandLine(argv, commands);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    new Reporter(deps.terminal, argv.includes('--json')).error(argv[0] ?? '', undefined, error.message, error.next, error.exitCode);
    return error.exitCode;
  }
  if (line.kind === 'help') {
    for (const text of helpText(commands, line.command)) deps.terminal.stdout(text);
    return EXIT_CODES.ok;
  }

  const report = new Reporter(deps.terminal, line.json);
  const local: LocalContext = { report, clock: deps.clock, user: deps.user, signal: deps.signal };
  const input = { options: line.options, positionals: line.positionals };
  try {
    let result: CommandResult;
    if (line.kind === 'local') {
      result = await line.command.run(local, input);
    } else {
      const config = deps.environments[line.environment];
      result = await line.command.run({ ...local, environment: line.environment, config, clients: deps.clients(config.region), toolkit: deps.toolkit }, input);
    }
    report.result(line.command.name, line.environment, result);
    return result.exitCode;
  } catch (error) {
    if (error instanceof Interrupted) {
      const still = error.whatStillRuns ?? 'Nothing was changed after the interrupt.';
      report.error(line.command.name, line.environment, 'interrupted (Ctrl-C)', still, EXIT_CODES.interrupted);
      return EXIT_CODES.interrupted;
    }
    const known =
      error instanceof CliError
        ? error
        : new CliError(`unexpected error: ${describeError(error)}`, 'This is a bug in mcp-rollout: run `npx mcp-rollout status` to see the live state, and report the error with the command you ran.');
    report.error(line.command.name, line.environment, known.message, known.next, known.exitCode);
    return known.exitCode;
  }
}
