/**
 * What a command is: its help (usage, summary, options, positionals) and its run function, kept
 * together in its module under `commands/`, as argo-rollouts keeps each command in one package.
 * `commands/index.ts` lists them; the parser, the help and the runner read only these specs.
 */
import type { CommandContext, LocalContext } from './context';
import type { CommandResult } from './output';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** How the value reads in help, for string options (`<tag>`). */
  readonly value?: string;
  readonly help: string;
  /**
   * Free text: the value is every word up to the next `--option`, so a runbook line such as
   * `--reason p95 regression on canary` works unquoted.
   */
  readonly words?: boolean;
  /** A one-letter alias (`-h`). */
  readonly short?: string;
}

/** Parsed option values by long name: a string option's text, `true` for a boolean, or absent. */
export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

/** What a command gets from its command line. */
export interface CommandInput {
  readonly options: OptionValues;
  /** Words after the command that are not options (only commands that declare `positionals`). */
  readonly positionals: readonly string[];
}

interface CommandSpec {
  /** The word after `mcp-rollout`. */
  readonly name: string;
  /** The synopsis after `npx mcp-rollout `, e.g. `status --environment <name>`. */
  readonly usage: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The command's own options; the common ones (`--environment`, `--region`, `--profile`, `--json`, `--help`) are added. */
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** How the words after the command read in help; commands without it take none. */
  readonly positionals?: string;
}

/**
 * Where a command finds its environment in its own input when `--environment` is absent (the file
 * `gate --replay` judges names it). The parser accepts only a known environment name from it, and
 * never asks it when `--environment` is given: the command then checks that the two agree.
 */
export interface EnvironmentSource {
  /** How the input names it, for help and errors: `--replay FILE, whose window names it`. */
  readonly alternative: string;
  /** The environment the input names and where (`--replay bake.json`), or undefined when it names none. */
  read(options: OptionValues): { readonly environment: string; readonly source: string } | undefined;
}

/** A command that acts on one deployed environment: `--environment` is required and it gets AWS clients. */
export interface EnvironmentCommand extends CommandSpec {
  readonly scope: 'environment';
  /** When set, `--environment` may be left out and comes from the command's input. */
  readonly environmentFrom?: EnvironmentSource;
  run(ctx: CommandContext, input: CommandInput): Promise<CommandResult>;
}

/** A command that needs no environment and no AWS (a local check). */
export interface LocalCommand extends CommandSpec {
  readonly scope: 'local';
  run(ctx: LocalContext, input: CommandInput): Promise<CommandResult>;
}

export type CliCommand = EnvironmentCommand | LocalCommand;
