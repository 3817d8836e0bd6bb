/** `tsipvs sysctl|realserver|director`: implemented in @tsipvs/sysctl, next to the library it drives. */
import { registerDirectorCommand, registerRealserverCommand, registerSysctlCommand, type CommandDeps } from '@tsipvs/sysctl';
import type { Command } from 'commander';
import type { CommandOf } from '../argv/command';
import type { CommandContext } from '../environment';
import { runCommander } from './subcommand';

const REGISTER: Record<'sysctl' | 'realserver' | 'director', (program: Command, deps: CommandDeps) => void> = {
  sysctl: registerSysctlCommand,
  realserver: registerRealserverCommand,
  director: registerDirectorCommand,
};

export function run(command: CommandOf<'sysctl' | 'realserver' | 'director'>, context: CommandContext): Promise<number> {
  const deps: CommandDeps = { ...context.env.sysctl, clock: context.env.clock };
  return runCommander(command, context, (program) => REGISTER[command.command](program, deps));
}
