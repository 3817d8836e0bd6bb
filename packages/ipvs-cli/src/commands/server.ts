import type { ParsedCommand } from '../argv/command';
import type { CommandContext } from '../environment';
import { kernelCall } from './kernel-call';

/** -a, -e, -d: real servers. -e sends the complete settings (weight 1, -g, no thresholds unless given). */
export async function runServerCommand(command: ParsedCommand, context: CommandContext): Promise<number> {
  const api = await context.api();
  const service = command.service!;
  const destination = command.destination!;
  switch (command.command) {
    case 'add-server':
      await kernelCall(() => api.addDestination(service, destination, command.destinationOptions));
      break;
    case 'edit-server':
      await kernelCall(() => api.editDestination(service, destination, command.destinationOptions));
      break;
    default:
      await kernelCall(() => api.deleteDestination(service, destination));
  }
  return 0;
}
