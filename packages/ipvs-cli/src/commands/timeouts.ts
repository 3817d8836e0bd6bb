import type { ParsedCommand } from '../argv/command';
import type { CommandContext } from '../environment';
import { kernelCall } from './kernel-call';

/** --set tcp tcpfin udp (0 keeps a value). */
export async function runSetTimeouts(command: ParsedCommand, context: CommandContext): Promise<number> {
  const api = await context.api();
  await kernelCall(() => api.setTimeouts(command.timeouts!));
  return 0;
}
