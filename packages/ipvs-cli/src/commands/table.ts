import type { CommandKind, CommandOf, ParsedCommand, SubcommandWord } from '../argv/command';
import type { CommandContext } from '../environment';
import { helpText, versionText } from '../help';
import { runChange, runFlush } from './change';
import { runStartDaemon, runStopDaemon } from './daemon';
import { runList } from './list';
import { runRestore, runSave } from './save-restore';
import { runSetTimeouts } from './timeouts';
import { runZero } from './zero';

/** A command: its parsed arguments and the context in, the exit status out. */
export type Run<K extends CommandKind> = (command: CommandOf<K>, context: CommandContext) => Promise<number>;

/** A subcommand's module: loaded only when its word is given (`tsipvs -Ln` loads neither commander nor sysctl). */
function lazy<K extends SubcommandWord>(load: () => Promise<{ readonly run: Run<K> }>): Run<K> {
  return async (command, context) => (await load()).run(command, context);
}

/** Every command, ipvsadm's and our subcommands alike. */
const COMMANDS: { readonly [K in CommandKind]: Run<K> } = {
  help: async (_command, { env, output }) => {
    output.out(helpText(env.program));
    return 0;
  },
  'version-line': async (_command, { env, output }) => {
    output.out(versionText(env.program));
    return 0;
  },
  change: runChange,
  flush: runFlush,
  list: runList,
  save: runSave,
  restore: (command, context) => runRestore(command, context, runCommand),
  zero: runZero,
  set: runSetTimeouts,
  'start-daemon': runStartDaemon,
  'stop-daemon': runStopDaemon,
  apply: lazy(() => import('./apply')),
  recover: lazy(() => import('./recover')),
  sysctl: lazy<'sysctl'>(() => import('./sysctl')),
  realserver: lazy<'realserver'>(() => import('./sysctl')),
  director: lazy<'director'>(() => import('./sysctl')),
  completion: lazy(() => import('./completion')),
  version: lazy(() => import('./version')),
  keepalived: lazy(() => import('./keepalived')),
  exporter: lazy(() => import('./exporter')),
  drain: lazy(() => import('./drain')),
};

/** Runs a command line; failures the CLI reports itself are thrown as CliError. */
export function runCommand(command: ParsedCommand, context: CommandContext): Promise<number> {
  // the row of `command.command` takes exactly this case of the union
  const run = COMMANDS[command.command] as (command: ParsedCommand, context: CommandContext) => Promise<number>;
  return run(command, context);
}
