import type { ParsedCommand } from '../argv/command';
import type { CommandContext } from '../environment';
import { runDaemonCommand } from './daemon';
import { runList } from './list';
import { runRestore, runSave } from './save-restore';
import { runServerCommand } from './server';
import { runServiceCommand } from './service';
import { runSetTimeouts } from './timeouts';
import { runZero } from './zero';

/** Runs a validated command line; returns the exit status (kernel refusals throw CliError). */
export function runCommand(command: ParsedCommand, context: CommandContext): Promise<number> {
  switch (command.command) {
    case 'add-service':
    case 'edit-service':
    case 'delete-service':
    case 'flush':
      return runServiceCommand(command, context);
    case 'add-server':
    case 'edit-server':
    case 'delete-server':
      return runServerCommand(command, context);
    case 'list':
      return runList(command, context);
    case 'save':
      return runSave(command, context);
    case 'restore':
      return runRestore(context, runCommand);
    case 'zero':
      return runZero(command, context);
    case 'set':
      return runSetTimeouts(command, context);
    case 'start-daemon':
    case 'stop-daemon':
      return runDaemonCommand(command, context);
  }
}
