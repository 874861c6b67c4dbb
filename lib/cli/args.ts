/**
 * The command line: `mcp-rollout <command> --environment <name> [options]`. Options take either
 * form, `--traffic 10` or `--traffic=10`. Anything unknown, malformed or given twice is a
 * UsageError that names the option and what is allowed (with the closest name when it looks like
 * a typo); nothing is called before the whole line is valid.
 */
import { parseArgs } from 'node:util';
import { AWS_REGION_PATTERN } from '../config/schema';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../shared/environment-names';
import type { CliCommand, EnvironmentCommand, LocalCommand, OptionSpec, OptionValues } from './command';
import { UsageError } from './errors';
import { closest } from './suggest';

/** Options every command on an environment takes, in the order help and errors list them. */
const ENVIRONMENT_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  environment: { type: 'string', value: '<name>', help: `the environment: ${ENVIRONMENT_NAMES.join(' or ')} (required)` },
  region: { type: 'string', value: '<region>', help: "the AWS region (default: the config's region, else AWS_REGION or the profile's)" },
  profile: { type: 'string', value: '<name>', help: 'the named profile of ~/.aws/config to use (default: AWS_PROFILE, else the default chain)' },
};

/** Options every command takes. */
const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: { type: 'boolean', help: 'print one JSON document on stdout (narration and progress go to stderr)' },
  help: { type: 'boolean', short: 'h', help: 'show this help (also -h)' },
};

/** The options a command accepts, common ones first; help lists the command's own first. */
export function optionsOf(command: CliCommand | undefined, ownFirst = false): Readonly<Record<string, OptionSpec>> {
  const from = command?.scope === 'environment' ? command.environmentFrom : undefined;
  const spec = ENVIRONMENT_OPTIONS.environment!;
  const environment: Readonly<Record<string, OptionSpec>> = from ? { environment: { ...spec, help: spec.help.replace('(required)', `(required, or ${from.alternative})`) } } : {};
  const common = command?.scope === 'local' ? COMMON_OPTIONS : { ...ENVIRONMENT_OPTIONS, ...environment, ...COMMON_OPTIONS };
  if (command === undefined) return common;
  return ownFirst ? { ...command.options, ...common } : { ...common, ...command.options };
}

interface ParsedWords {
  readonly json: boolean;
  readonly options: OptionValues;
  readonly positionals: readonly string[];
}

export type ParsedCommandLine =
  | { readonly kind: 'help'; readonly command?: CliCommand }
  | { readonly kind: 'version'; readonly json: boolean }
  | ({
      readonly kind: 'environment';
      readonly command: EnvironmentCommand;
      readonly environment: EnvironmentName;
      /** `--region`, when given. */
      readonly region?: string;
      /** `--profile`, when given. */
      readonly profile?: string;
    } & ParsedWords)
  | ({ readonly kind: 'local'; readonly command: LocalCommand; readonly environment?: undefined } & ParsedWords);

export function parseCommandLine(argv: readonly string[], commands: readonly CliCommand[]): ParsedCommandLine {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') return { kind: 'help' };
  if (first === '--version' || first === 'version') return versionLine(rest);
  // Users of the CDK CLI and kubectl know -v as verbosity, not as the version: say which it is not.
  if (first === '-v') throw new UsageError('-v is not an option: the version is --version (in the CDK CLI -v means --verbose, in kubectl the log level)');
  if (first === 'help') {
    if (rest.length === 0) return { kind: 'help' };
    if (rest.length > 1) throw new UsageError(`help takes one command, got ${rest.map((w) => JSON.stringify(w)).join(' ')}`);
    return { kind: 'help', command: findCommand(rest[0]!, commands) };
  }
  const command = findCommand(first, commands);
  const options = optionsOf(command);
  let parsed: ReturnType<typeof parseWords>;
  try {
    parsed = parseWords(joinFreeText(rest, options), options, command.positionals !== undefined);
  } catch (error) {
    throw usageFrom(error, first, options);
  }
  if (parsed.values.help === true) return { kind: 'help', command };
  refuseRepeated(parsed.tokens, options);
  const words = { json: parsed.values.json === true, options: parsed.values, positionals: parsed.positionals };
  if (command.scope === 'local') return { kind: 'local', command, ...words };

  const { region, profile } = parsed.values;
  // Only without --environment does the command's own input name it (gate --replay FILE).
  const fromInput = parsed.values.environment === undefined ? command.environmentFrom?.read(parsed.values) : undefined;
  const environment = parsed.values.environment ?? fromInput?.environment;
  if (environment === undefined) {
    const alternative = command.environmentFrom ? ` (or ${command.environmentFrom.alternative})` : '';
    throw new UsageError(`--environment is required${alternative}; allowed: ${ENVIRONMENT_NAMES.join(', ')}`);
  }
  if (typeof environment !== 'string' || !(ENVIRONMENT_NAMES as readonly string[]).includes(environment)) {
    const guess = closest(String(environment), ENVIRONMENT_NAMES);
    const allowed = `${ENVIRONMENT_NAMES.join(', ')}${guess ? ` (did you mean ${guess}?)` : ''}`;
    throw new UsageError(
      fromInput ? `${fromInput.source} names the environment ${JSON.stringify(environment)}; allowed: ${allowed}` : `--environment must be one of ${allowed}, got ${JSON.stringify(environment)}`,
    );
  }
  if (typeof region === 'string' && !AWS_REGION_PATTERN.test(region)) {
    throw new UsageError(`--region must be an AWS region such as eu-west-1, got ${JSON.stringify(region)}`);
  }
  if (profile === '') throw new UsageError('--profile needs a profile name: --profile <name>');
  return {
    kind: 'environment',
    command,
    environment: environment as EnvironmentName,
    ...(typeof region === 'string' ? { region } : {}),
    ...(typeof profile === 'string' ? { profile } : {}),
    ...words,
  };
}

/** `--version [--json]` (or `version [--json]`, as `cdk version` and `kubectl version`). */
function versionLine(rest: readonly string[]): ParsedCommandLine {
  const other = rest.filter((w) => w !== '--json');
  if (other.length > 0) throw new UsageError(`--version takes no option but --json, got ${other.map((w) => JSON.stringify(w)).join(' ')}`);
  return { kind: 'version', json: rest.includes('--json') };
}

function findCommand(word: string, commands: readonly CliCommand[]): CliCommand {
  const command = commands.find((c) => c.name === word);
  if (command) return command;
  const names = commands.map((c) => c.name);
  const guess = closest(word, names);
  throw new UsageError(`unknown command "${word}"${guess ? ` (did you mean "${guess}"?)` : ''}; the commands are ${names.join(', ')}`);
}

function parseWords(args: readonly string[], options: Readonly<Record<string, OptionSpec>>, allowPositionals: boolean) {
  return parseArgs({
    args: [...args],
    options: Object.fromEntries(Object.entries(options).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}) }])),
    allowPositionals,
    strict: true,
    tokens: true,
  }) as { values: Record<string, string | boolean | undefined>; positionals: string[]; tokens: Token[] };
}

interface Token {
  readonly kind: string;
  readonly name?: string;
  readonly value?: string;
}

/**
 * A free-text option (`words`) takes every word up to the next `--option`, so that a runbook's
 * `--reason p95 regression on canary` pastes unquoted. Its words are joined into one value.
 */
function joinFreeText(args: readonly string[], options: Readonly<Record<string, OptionSpec>>): string[] {
  const freeText = new Set(Object.entries(options).filter(([, o]) => o.words).map(([name]) => `--${name}`));
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    out.push(arg);
    if (!freeText.has(arg)) continue;
    const words: string[] = [];
    while (i + 1 < args.length && !args[i + 1]!.startsWith('--') && args[i + 1] !== '-h') words.push(args[++i]!);
    if (words.length > 0) out[out.length - 1] = `${arg}=${words.join(' ')}`;
  }
  return out;
}

/** A single-value option given twice is ambiguous: refuse it rather than let one silently win. */
function refuseRepeated(tokens: readonly Token[], options: Readonly<Record<string, OptionSpec>>): void {
  const seen = new Map<string, string[]>();
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name === undefined || options[t.name]?.type !== 'string') continue;
    seen.set(t.name, [...(seen.get(t.name) ?? []), t.value ?? '']);
  }
  for (const [name, values] of seen) {
    if (values.length < 2) continue;
    const given = values.map((v) => JSON.stringify(v));
    throw new UsageError(
      `--${name} is given ${values.length === 2 ? 'twice' : `${values.length} times`} (${given.slice(0, -1).join(', ')}, then ${given[given.length - 1]}); give it once`,
    );
  }
}

/** Node's parseArgs messages, reworded to name the command and the allowed options. */
function usageFrom(error: unknown, command: string, options: Readonly<Record<string, OptionSpec>>): UsageError {
  const allowed = Object.keys(options).map((o) => `--${o}`).join(', ');
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-{1,2}[^' =]+)/.exec(message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const guess = closest(option.replace(/^-+/, ''), Object.keys(options));
      return new UsageError(`unknown option ${option} for "${command}"${guess ? ` (did you mean --${guess}?)` : ''}; allowed: ${allowed}`);
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const name = option.replace(/^-+/, '');
      const spec = options[name] ?? Object.entries(options).find(([, o]) => o.short === name)?.[1];
      return spec?.type === 'boolean'
        ? new UsageError(`${option} takes no value`)
        : new UsageError(`${option} needs a value: ${option} ${spec?.value ?? '<value>'}`);
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const word = /'([^']*)'/.exec(message)?.[1] ?? '';
      return new UsageError(`unexpected argument "${word}" for "${command}"; options start with --, allowed: ${allowed}`);
    }
    default:
      return new UsageError(`${command}: ${message}`);
  }
}
