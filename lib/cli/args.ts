/**
 * The command line: `mcp-rollout <command> --environment <name> [options]`. Options take either
 * form, `--traffic 10` or `--traffic=10`. Anything unknown or malformed is a UsageError that names
 * the option and what is allowed; nothing is called before the whole line is valid.
 */
import { parseArgs } from 'node:util';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../shared/environment-names';
import { UsageError } from './errors';

interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** How the value reads in help, for string options. */
  readonly value?: string;
  readonly help: string;
}

interface CommandSpec {
  readonly usage: string;
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Words after the command (only `flags` takes them). */
  readonly positionals?: string;
}

const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  environment: { type: 'string', value: '<name>', help: `the environment: ${ENVIRONMENT_NAMES.join(' or ')} (required)` },
  json: { type: 'boolean', help: 'print one JSON document on stdout (narration and progress go to stderr)' },
  help: { type: 'boolean', help: 'show this help' },
};

const COMMANDS = {
  deploy: {
    usage: 'deploy --environment <name> --traffic <0-100> [--canary-image <tag>]',
    summary: 'deploy the Service stack with the CDK toolkit, changing only the canary traffic and image',
    options: {
      traffic: { type: 'string', value: '<0-100>', help: 'percent of requests the canary gets' },
      'canary-image': { type: 'string', value: '<tag>', help: 'image tag the canary runs (default: keep the deployed one)' },
    },
  },
  gate: {
    usage: 'gate --environment <name> [--window 30m] [--min-success 95] [--min-requests N]',
    summary: 'wait out the bake window and decide: exit 0 pass, 1 fail, 2 inconclusive',
    options: {
      window: { type: 'string', value: '<duration>', help: 'bake window, e.g. 30m or 1h (default: 30m at 10 %, 60m at 50 %)' },
      'min-success': { type: 'string', value: '<percent>', help: "the canary's LLM success rate must be at least this (default: the KPI target, 95)" },
      'min-requests': { type: 'string', value: '<count>', help: 'canary tool calls the window must see (default: minimumSamplesPerMinute x window minutes)' },
    },
  },
  promote: {
    usage: 'promote --environment <name>',
    summary: "make the canary's image stable's and return the canary's traffic to 0, in one safe deploy",
    options: {},
  },
  rollback: {
    usage: 'rollback --environment <name> [--confirm] [--reason <text>]',
    summary: 'invoke the rollback function (the alarms\' code path); without --confirm, show what would change',
    options: {
      confirm: { type: 'boolean', help: 'really roll back' },
      reason: { type: 'string', value: '<text>', help: 'why, for the latch, the event and the notification' },
    },
  },
  resume: {
    usage: 'resume --environment <name> [--confirm]',
    summary: 'after a rollback: pin the canary traffic to 0, then clear the latch',
    options: { confirm: { type: 'boolean', help: 'really resume' } },
  },
  status: {
    usage: 'status --environment <name>',
    summary: 'live weights, latch, flags, alarms, target health and the last rollback; exit 1 when something needs attention',
    options: {},
  },
  flags: {
    usage: 'flags list --environment <name> | flags set NAME=true|false... --environment <name> [--immediate]',
    summary: 'show the flags, or change them with the gradual strategy (--immediate: at once)',
    options: { immediate: { type: 'boolean', help: 'deploy with the immediate strategy, stopping a deployment in progress' } },
    positionals: 'list | set NAME=true|false...',
  },
  drill: {
    usage: 'drill --environment staging [--alarm <trigger alarm>] [--allow-production]',
    summary: 'game day: force a trigger alarm into ALARM and time the automated rollback against the 5-minute promise',
    options: {
      alarm: { type: 'string', value: '<name>', help: 'the trigger alarm to force (default: the canary LLM success rate trigger)' },
      'allow-production': { type: 'boolean', help: 'allow a drill on production' },
    },
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;
const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

export type ParsedCommandLine =
  | { readonly kind: 'help'; readonly command?: CommandName }
  | {
      readonly kind: 'run';
      readonly command: CommandName;
      readonly environment: EnvironmentName;
      readonly json: boolean;
      readonly options: Readonly<Record<string, string | boolean | undefined>>;
      readonly positionals: readonly string[];
    };

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') return { kind: 'help' };
  if (!isCommand(first)) {
    throw new UsageError(`unknown command "${first}"; the commands are ${COMMAND_NAMES.join(', ')}`);
  }
  const spec: CommandSpec = COMMANDS[first];
  const options = { ...COMMON_OPTIONS, ...spec.options };
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...rest],
      options: Object.fromEntries(Object.entries(options).map(([name, o]) => [name, { type: o.type }])),
      allowPositionals: spec.positionals !== undefined,
      strict: true,
    }) as typeof parsed;
  } catch (error) {
    throw usageFrom(error, first, options);
  }
  if (parsed.values.help === true) return { kind: 'help', command: first };

  const environment = parsed.values.environment;
  if (environment === undefined) {
    throw new UsageError(`--environment is required; allowed: ${ENVIRONMENT_NAMES.join(', ')}`);
  }
  if (typeof environment !== 'string' || !(ENVIRONMENT_NAMES as readonly string[]).includes(environment)) {
    throw new UsageError(`--environment must be one of ${ENVIRONMENT_NAMES.join(', ')}, got ${JSON.stringify(environment)}`);
  }
  return {
    kind: 'run',
    command: first,
    environment: environment as EnvironmentName,
    json: parsed.values.json === true,
    options: parsed.values,
    positionals: parsed.positionals,
  };
}

function isCommand(word: string): word is CommandName {
  return Object.prototype.hasOwnProperty.call(COMMANDS, word);
}

/** Node's parseArgs messages, reworded to name the command and the allowed options. */
function usageFrom(error: unknown, command: CommandName, options: Readonly<Record<string, OptionSpec>>): UsageError {
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
export function helpText(command?: CommandName): string[] {
  if (command === undefined) {
    return [
      'mcp-rollout: deploy phases, gate, promote, rollback, resume, status, flags and drills for the MCP service',
      '',
      'usage: npx mcp-rollout <command> --environment <name> [options]',
      '',
      ...COMMAND_NAMES.map((name) => `  ${name.padEnd(9)} ${COMMANDS[name].summary}`),
      '',
      'every command: --environment <name> (required), --json, --help',
      'exit codes: 0 done/pass, 1 failed, 2 gate inconclusive, 3 refused (nothing changed), 64 bad command line, 130 interrupted',
      'run `npx mcp-rollout <command> --help` for its options; docs/RUNBOOK.md walks through a release',
    ];
  }
  const spec: CommandSpec = COMMANDS[command];
  const options = { ...spec.options, ...COMMON_OPTIONS };
  return [
    `usage: npx mcp-rollout ${spec.usage}`,
    '',
    spec.summary,
    '',
    ...Object.entries(options).map(([name, o]) => `  ${`--${name}${o.value ? ` ${o.value}` : ''}`.padEnd(26)} ${o.help}`),
  ];
}
