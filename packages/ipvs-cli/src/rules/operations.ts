import type { Operation } from '@tsipvs/ipvs-core';
import type { ParsedCommand } from '../argv/command';

/** The batchable change a command line stands for (-A -E -D -a -e -d), or undefined. */
export function operationOf(command: ParsedCommand): Operation | undefined {
  const service = command.service!;
  switch (command.command) {
    case 'add-service':
      return { op: 'addService', service, options: command.serviceOptions };
    case 'edit-service':
      return { op: 'editService', service, options: command.serviceOptions };
    case 'delete-service':
      return { op: 'deleteService', service };
    case 'add-server':
      return { op: 'addDestination', service, destination: command.destination!, options: command.destinationOptions };
    case 'edit-server':
      return { op: 'editDestination', service, destination: command.destination!, options: command.destinationOptions };
    case 'delete-server':
      return { op: 'deleteDestination', service, destination: command.destination! };
    default:
      return undefined;
  }
}
