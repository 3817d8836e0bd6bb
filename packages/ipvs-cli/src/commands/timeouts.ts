import type { CommandOf } from '../argv/command';
import type { CommandContext } from '../environment';
import { kernelCall } from './kernel-call';

/** --set tcp tcpfin udp (0 keeps a value). */
export async function runSetTimeouts({ timeouts }: CommandOf<'set'>, context: CommandContext): Promise<number> {
  const api = await context.api();
  await kernelCall(() => api.setTimeouts(timeouts));
  return 0;
}
