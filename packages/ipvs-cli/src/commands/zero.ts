import type { ParsedCommand } from '../argv/command';
import type { CommandContext } from '../environment';
import { kernelCall } from './kernel-call';

/** -Z [service]: zero the counters of one service, or of everything. */
export async function runZero(command: ParsedCommand, context: CommandContext): Promise<number> {
  const api = await context.api();
  await kernelCall(() => api.zero(command.service));
  return 0;
}
