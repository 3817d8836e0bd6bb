import type { ParsedCommand } from '../argv/command';
import type { CommandContext } from '../environment';
import { kernelCall } from './kernel-call';

/** -A, -E, -D and -C: virtual services. -E sends the complete settings (unspecified ones reset). */
export async function runServiceCommand(command: ParsedCommand, context: CommandContext): Promise<number> {
  const api = await context.api();
  const service = command.service!;
  switch (command.command) {
    case 'add-service':
      await kernelCall(() => api.addService(service, command.serviceOptions));
      break;
    case 'edit-service':
      await kernelCall(() => api.editService(service, command.serviceOptions));
      break;
    case 'delete-service':
      await kernelCall(() => api.deleteService(service));
      break;
    default:
      await kernelCall(() => api.flush());
  }
  return 0;
}
