import type { IpvsApi, Operation } from '@tsipvs/ipvs-core';
import type { CommandOf } from '../argv/command';
import type { CommandContext } from '../environment';
import { kernelCall } from './kernel-call';

/**
 * -A -E -D -a -e -d: one change of the table. Edits send the complete settings (what is not given
 * is reset: scheduler wlc, weight 1, -g, no thresholds).
 */
export async function runChange({ operation }: CommandOf<'change'>, context: CommandContext): Promise<number> {
  const api = await context.api();
  await kernelCall(() => send(api, operation));
  return 0;
}

function send(api: IpvsApi, operation: Operation): Promise<void> {
  switch (operation.op) {
    case 'addService':
      return api.addService(operation.service, operation.options);
    case 'editService':
      return api.editService(operation.service, operation.options);
    case 'deleteService':
      return api.deleteService(operation.service);
    case 'addDestination':
      return api.addDestination(operation.service, operation.destination, operation.options);
    case 'editDestination':
      return api.editDestination(operation.service, operation.destination, operation.options);
    case 'deleteDestination':
      return api.deleteDestination(operation.service, operation.destination);
  }
}

/** -C: every service goes. */
export async function runFlush(_command: CommandOf<'flush'>, context: CommandContext): Promise<number> {
  const api = await context.api();
  await kernelCall(() => api.flush());
  return 0;
}
