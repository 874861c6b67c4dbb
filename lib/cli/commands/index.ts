/**
 * Every command of the CLI, in the order `--help` lists them. A new command is a module in this
 * folder that exports its CliCommand, one line here, and its test (test/cli-commands.test.ts
 * fails when a module's command is missing from this list).
 */
import type { CliCommand } from '../command';
import { abortCommand } from './abort';
import { approveCommand } from './approve';
import { checkEmfCommand } from './check-emf';
import { deployCommand } from './deploy';
import { drillCommand } from './drill';
import { flagsCommand } from './flags';
import { gateCommand } from './gate';
import { historyCommand } from './history';
import { promoteCommand } from './promote';
import { releaseCommand } from './release';
import { resumeCommand } from './resume';
import { rollbackCommand } from './rollback';
import { statusCommand } from './status';
import { undoCommand } from './undo';

export const COMMANDS: readonly CliCommand[] = [
  releaseCommand,
  approveCommand,
  abortCommand,
  deployCommand,
  gateCommand,
  promoteCommand,
  undoCommand,
  rollbackCommand,
  resumeCommand,
  statusCommand,
  historyCommand,
  flagsCommand,
  drillCommand,
  checkEmfCommand,
];
