/**
 * The CLI's one entry: parse the command line, run the command, print its result, return the exit
 * code. `bin/mcp-rollout.ts` calls it with the real world; the tests with mocks. It knows no
 * command by name: each one is a CliCommand listed in `commands/index.ts`.
 */
import { describeError } from '../shared/aws-errors';
import { reportActivity } from './aws-activity';
import { optionsOf, parseCommandLine, type ParsedCommandLine } from './args';
import type { CliCommand } from './command';
import { COMMANDS } from './commands';
import type { CliDeps, CommandContext, LocalContext } from './context';
import { adviceText, CliError, EXIT_CODES, Interrupted, seeLiveStateThen, UsageError, type AdviceContext } from './errors';
import { DEFAULT_WIDTH, helpText } from './help';
import { Interrupts } from './interrupts';
import { Reporter, type CommandResult } from './output';
import { closest } from './suggest';
import { CLI_VERSION } from './version';

/** After Ctrl-C, how long a command may take to stop by itself (and say what still runs) before it is stopped. */
const STOP_GRACE_MS = 500;

export async function runCli(argv: readonly string[], deps: CliDeps, commands: readonly CliCommand[] = COMMANDS): Promise<number> {
  let line: ParsedCommandLine;
  try {
    line = parseCommandLine(argv, commands);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    const named = argv[0] ?? '';
    const at = { command: commands.some((c) => c.name === named) ? named : '' };
    new Reporter(deps.terminal, argv.includes('--json')).error(named, undefined, error.message, adviceText(error.next, at), error.exitCode);
    return error.exitCode;
  }
  if (line.kind === 'help') {
    for (const text of helpText(commands, line.command, optionsOf(line.command, true), deps.terminal.stdoutColumns ?? DEFAULT_WIDTH)) deps.terminal.stdout(text);
    return EXIT_CODES.ok;
  }
  if (line.kind === 'version') {
    new Reporter(deps.terminal, line.json).result('version', undefined, {
      exitCode: EXIT_CODES.ok,
      summary: [`mcp-rollout ${CLI_VERSION}`],
      data: { version: CLI_VERSION, node: process.version },
    });
    return EXIT_CODES.ok;
  }

  const report = new Reporter(deps.terminal, line.json);
  const interrupts = new Interrupts(deps.signal, (text) => report.note(text));
  const local: LocalContext = { report, clock: deps.clock, user: deps.user, signal: interrupts.signal, interrupts };
  const input = { options: line.options, positionals: line.positionals };
  const at: AdviceContext = { command: line.command.name, ...(line.environment ? { environment: line.environment } : {}) };
  try {
    const run = line.kind === 'local' ? line.command.run(local, input) : line.command.run(environmentContext(line, deps, local), input);
    const result = await stopsOnInterrupt(run, interrupts);
    report.result(line.command.name, line.environment, result);
    return result.exitCode;
  } catch (error) {
    if (error instanceof Interrupted) {
      const finished = interrupts.finishedAfterInterrupt;
      const still =
        error.whatStillRuns ??
        (finished.length > 0
          ? adviceText(seeLiveStateThen(`decide what to do next: ${finished.join(' and ')} had started before the Ctrl-C and finished; nothing else was changed`), at)
          : 'Nothing was changed after the interrupt.');
      report.error(line.command.name, line.environment, 'interrupted (Ctrl-C)', still, EXIT_CODES.interrupted);
      return EXIT_CODES.interrupted;
    }
    const known =
      error instanceof CliError
        ? error
        : new CliError(`unexpected error: ${describeError(error)}`, ({ command, environment }) =>
            command === 'status' || environment === undefined
              ? 'This is a bug in mcp-rollout: report the error with the command you ran.'
              : `This is a bug in mcp-rollout: run \`npx mcp-rollout status --environment ${environment}\` to see the live state, and report the error with the command you ran.`,
          );
    report.error(line.command.name, line.environment, known.message, adviceText(known.next, at), known.exitCode);
    return known.exitCode;
  }
}

/** What a command on one environment runs with: the region and profile checked, the clients made. */
function environmentContext(line: Extract<ParsedCommandLine, { kind: 'environment' }>, deps: CliDeps, local: LocalContext): CommandContext {
  const config = deps.environments[line.environment];
  if (line.region && config.region && line.region !== config.region) {
    throw new UsageError(
      `--region ${line.region} contradicts the config: ${line.environment} is in ${config.region} (lib/config/environments.ts)`,
      `Drop --region, or fix \`region\` of ${line.environment} in lib/config/environments.ts.`,
    );
  }
  // --profile, then the config's profile for this environment, then the SDK's choice (AWS_PROFILE).
  const chosen = line.profile !== undefined ? { name: line.profile, source: '--profile' } : config.profile !== undefined ? { name: config.profile, source: `profile of ${line.environment} in lib/config/environments.ts` } : undefined;
  checkProfile(chosen, deps);
  const region = config.region ?? line.region;
  return {
    ...local,
    environment: line.environment,
    config,
    clients: reportActivity(deps.clients(region, { ...(chosen ? { profile: chosen.name } : {}), interrupts: local.interrupts }), local.report),
    toolkit: deps.toolkit,
  };
}

/**
 * A profile that does not exist makes the SDK report a missing region or missing credentials,
 * which sends on-call the wrong way: say so before any call.
 */
function checkProfile(chosen: { readonly name: string; readonly source: string } | undefined, deps: CliDeps): void {
  const profile = chosen?.name ?? deps.env.AWS_PROFILE;
  if (profile === undefined || profile === '') return;
  const known = deps.awsProfiles();
  if (known.names.includes(profile)) return;
  const source = chosen?.source ?? 'AWS_PROFILE';
  const guess = closest(profile, known.names);
  const message = `AWS profile "${profile}" (from ${source}) does not exist in ${known.files.join(' or ')}; ${
    known.names.length > 0 ? `the profiles there: ${known.names.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}` : 'they hold no profiles'
  }`;
  const create = `create it: aws configure sso --profile ${profile}`;
  const pick =
    known.names.length === 0
      ? ''
      : source === '--profile'
        ? 'Pass one of them, or '
        : source === 'AWS_PROFILE'
          ? 'Set AWS_PROFILE to one of them (or pass --profile), or '
          : `Fix the ${source} (or pass --profile), or `;
  const next = pick === '' ? `${create.charAt(0).toUpperCase()}${create.slice(1)}` : `${pick}${create}`;
  throw source === '--profile' ? new UsageError(message, next) : new CliError(message, next);
}

/**
 * Resolves with the command's result, or rejects with Interrupted at most STOP_GRACE_MS after a
 * Ctrl-C that no change holds back: a command that stops by itself says best what still runs; one
 * that does not (a retry wait deep in the SDK) is not waited for.
 */
async function stopsOnInterrupt(run: Promise<CommandResult>, interrupts: Interrupts): Promise<CommandResult> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    onAbort = () => (timer = setTimeout(() => reject(new Interrupted()), STOP_GRACE_MS));
    if (interrupts.signal.aborted) onAbort();
    else interrupts.signal.addEventListener('abort', onAbort, { once: true });
  });
  // Once stopped, a later failure of the abandoned run has no one to tell.
  run.catch(() => undefined);
  try {
    return await Promise.race([run, stopped]);
  } finally {
    clearTimeout(timer);
    if (onAbort) interrupts.signal.removeEventListener('abort', onAbort);
  }
}
