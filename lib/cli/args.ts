/**
 * The command line: `mcp-rollout <command> --environment <name> [options]`. Options take either
 * form, `--traffic 10` or `--traffic=10`. Anything unknown or malformed is a UsageError that names
 * the option and what is allowed; nothing is called before the whole line is valid.
 */
import { parseArgs } from 'node:util';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../shared/environment-names';
import type { CliCommand, EnvironmentCommand, LocalCommand, OptionSpec, OptionValues } from './command';
import { UsageError } from './errors';

const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: { type: 'boolean', help: 'print one JSON document on stdout (narration and progress go to stderr)' },
  help: { type: 'boolean', help: 'show this help' },
};

const ENVIRONMENT_OPTION: Readonly<Record<string, OptionSpec>> = {
  environment: { type: 'string', value: '<name>', help: `the environment: ${ENVIRONMENT_NAMES.join(' or ')} (required)` },
};

/** The options a command accepts: its own and the common ones. */
function optionsOf(command: CliCommand, ownFirst: boolean): Readonly<Record<string, OptionSpec>> {
  const common = command.scope === 'environment' ? { ...ENVIRONMENT_OPTION, ...COMMON_OPTIONS } : COMMON_OPTIONS;
  return ownFirst ? { ...command.options, ...common } : { ...common, ...command.options };
}

interface ParsedWords {
  readonly json: boolean;
  readonly options: OptionValues;
  readonly positionals: readonly string[];
}

export type ParsedCommandLine =
  | { readonly kind: 'help'; readonly command?: CliCommand }
  | ({ readonly kind: 'environment'; readonly command: EnvironmentCommand; readonly environment: EnvironmentName } & ParsedWords)
  | ({ readonly kind: 'local'; readonly command: LocalCommand; readonly environment?: undefined } & ParsedWords);

export function parseCommandLine(argv: readonly string[], commands: readonly CliCommand[]): ParsedCommandLine {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') return { kind: 'help' };
  const command = commands.find((c) => c.name === first);
  if (command === undefined) {
    throw new UsageError(`unknown command "${first}"; the commands are ${commands.map((c) => c.name).join(', ')}`);
  }
  const options = optionsOf(command, false);
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...rest],
      options: Object.fromEntries(Object.entries(options).map(([name, o]) => [name, { type: o.type }])),
      allowPositionals: command.positionals !== undefined,
      strict: true,
    }) as typeof parsed;
  } catch (error) {
    throw usageFrom(error, first, options);
  }
  if (parsed.values.help === true) return { kind: 'help', command };
  const words = { json: parsed.values.json === true, options: parsed.values, positionals: parsed.positionals };
  if (command.scope === 'local') return { kind: 'local', command, ...words };

  const environment = parsed.values.environment;
  if (environment === undefined) {
    throw new UsageError(`--environment is required; allowed: ${ENVIRONMENT_NAMES.join(', ')}`);
  }
  if (typeof environment !== 'string' || !(ENVIRONMENT_NAMES as readonly string[]).includes(environment)) {
    throw new UsageError(`--environment must be one of ${ENVIRONMENT_NAMES.join(', ')}, got ${JSON.stringify(environment)}`);
  }
  return { kind: 'environment', command, environment: environment as EnvironmentName, ...words };
}

/** Node's parseArgs messages, reworded to name the command and the allowed options. */
function usageFrom(error: unknown, command: string, options: Readonly<Record<string, OptionSpec>>): UsageError {
  const allowed = Object.keys(options).map((o) => `--${o}`).join(', ');
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown option ${option} for "${command}"; allowed: ${allowed}`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const name = option.replace(/^-+/, '');
      return options[name]?.type === 'boolean'
        ? new UsageError(`${option} takes no value`)
        : new UsageError(`${option} needs a value: ${option} ${options[name]?.value ?? '<value>'}`);
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const word = /'([^']*)'/.exec(message)?.[1] ?? '';
      return new UsageError(`unexpected argument "${word}" for "${command}"; options start with --, allowed: ${allowed}`);
    }
    default:
      return new UsageError(`${command}: ${message}`);
  }
}

/** The help text: all commands, or one command with its options. */
export function helpText(commands: readonly CliCommand[], command?: CliCommand): string[] {
  if (command === undefined) {
    const width = Math.max(...commands.map((c) => c.name.length)) + 1;
    const local = commands.filter((c) => c.scope === 'local').map((c) => c.name);
    return [
      'mcp-rollout: deploy phases, gate, promote, rollback, resume, status, flags and drills for the MCP service',
      '',
      'usage: npx mcp-rollout <command> --environment <name> [options]',
      '',
      ...commands.map((c) => `  ${c.name.padEnd(width)} ${c.summary}`),
      '',
      `every command: --environment <name> (required${local.length > 0 ? `, except ${local.join(', ')}` : ''}), --json, --help`,
      'exit codes: 0 done/pass, 1 failed, 2 gate inconclusive, 3 refused (nothing changed), 64 bad command line, 130 interrupted',
      'run `npx mcp-rollout <command> --help` for its options; docs/RUNBOOK.md walks through a release',
    ];
  }
  return [
    `usage: npx mcp-rollout ${command.usage}`,
    '',
    command.summary,
    '',
    ...Object.entries(optionsOf(command, true)).map(([name, o]) => `  ${`--${name}${o.value ? ` ${o.value}` : ''}`.padEnd(26)} ${o.help}`),
  ];
}
