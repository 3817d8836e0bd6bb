/**
 * `tsipvs completion bash|zsh|fish`: prints a completion script for that shell, written from the CLI's
 * own definitions (ipvsadm's option table and the subcommands' commander definitions).
 */
import { registerDirectorCommand, registerRealserverCommand, registerSysctlCommand } from '@tsipvs/sysctl';
import { Argument, Command } from 'commander';
import type { CommandOf, SubcommandWord } from '../argv/command';
import { bashScript } from '../completion/bash';
import { fishScript } from '../completion/fish';
import { completionTree, type CompletionCommand } from '../completion/model';
import { zshScript } from '../completion/zsh';
import type { CommandContext } from '../environment';
import { defineApplyCommand } from './apply';
import { defineExporterCommand } from './exporter';
import { defineKeepalivedCommand } from './keepalived';
import { defineDrainCommand } from './drain';
import { defineRecoverCommand } from './recover';
import { runCommander } from './subcommand';
import { defineVersionCommand } from './version';

const SCRIPTS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;
type Shell = keyof typeof SCRIPTS;

export function defineCompletionCommand(program: Command): Command {
  return program
    .command('completion')
    .description('print the shell completion script for bash, zsh or fish')
    .addArgument(new Argument('<shell>', 'the shell that loads the script').choices(Object.keys(SCRIPTS)));
}

/** Every subcommand's definition, without its action: what completion describes. */
const DEFINITIONS: { readonly [W in SubcommandWord]: (program: Command) => unknown } = {
  apply: defineApplyCommand,
  recover: defineRecoverCommand,
  sysctl: registerSysctlCommand,
  realserver: registerRealserverCommand,
  director: registerDirectorCommand,
  completion: defineCompletionCommand,
  version: defineVersionCommand,
  keepalived: defineKeepalivedCommand,
  exporter: defineExporterCommand,
  drain: defineDrainCommand,
};

/** What completion knows about `program`: its ipvsadm options and every subcommand. */
export function tsipvsCompletionTree(program: string): CompletionCommand {
  const definitions = new Command(program);
  for (const define of Object.values(DEFINITIONS)) define(definitions);
  return completionTree(program, definitions);
}

export function run(command: CommandOf<'completion'>, context: CommandContext): Promise<number> {
  return runCommander(command, context, (program) => {
    defineCompletionCommand(program).action((shell: Shell) => {
      context.output.out(SCRIPTS[shell](tsipvsCompletionTree(context.env.program)));
    });
  });
}
