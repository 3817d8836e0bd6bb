import type { CommandOf } from '../argv/command';
import type { CommandContext } from '../environment';
import { kernelCall } from './kernel-call';

/** -Z [service]: zero the counters of one service, or of everything. */
export async function runZero({ service }: CommandOf<'zero'>, context: CommandContext): Promise<number> {
  const api = await context.api();
  await kernelCall(() => api.zero(service));
  return 0;
}
