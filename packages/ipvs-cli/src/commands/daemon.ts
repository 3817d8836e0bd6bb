import type { ParsedCommand } from '../argv/command';
import type { CommandContext } from '../environment';
import { kernelCall } from './kernel-call';

/** --start-daemon / --stop-daemon master|backup. */
export async function runDaemonCommand(command: ParsedCommand, context: CommandContext): Promise<number> {
  const api = await context.api();
  if (command.command === 'start-daemon') await kernelCall(() => api.startDaemon(command.daemon));
  else await kernelCall(() => api.stopDaemon(command.daemonState));
  return 0;
}
