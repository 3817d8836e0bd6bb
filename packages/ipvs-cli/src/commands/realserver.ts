/** `tsipvs realserver`: implemented in @tsipvs/sysctl, next to the library it drives (and unit-tested there). */
import type { Command } from 'commander';
import { registerRealserverCommand } from '@tsipvs/sysctl';

export function register(program: Command): void {
  registerRealserverCommand(program);
}
