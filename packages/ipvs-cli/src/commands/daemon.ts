import type { CommandOf } from '../argv/command';
import type { CommandContext } from '../environment';
import { kernelCall } from './kernel-call';

/** --start-daemon master|backup [daemon options]. */
export async function runStartDaemon({ daemon }: CommandOf<'start-daemon'>, context: CommandContext): Promise<number> {
  const api = await context.api();
  await kernelCall(() => api.startDaemon(daemon));
  return 0;
}

/** --stop-daemon master|backup. */
export async function runStopDaemon({ state }: CommandOf<'stop-daemon'>, context: CommandContext): Promise<number> {
  const api = await context.api();
  await kernelCall(() => api.stopDaemon(state));
  return 0;
}
