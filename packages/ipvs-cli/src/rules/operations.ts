import type {
  Destination, DestinationKey, DestinationOptions, IpvsApi, Operation, Service, ServiceKey, ServiceOptions,
} from '@tsipvs/ipvs-core';
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

interface ServiceState {
  options: ServiceOptions;
  readonly destinations: Map<string, { key: DestinationKey; options: DestinationOptions }>;
}

const serviceId = (k: ServiceKey): string => ('fwmark' in k ? `f:${k.family}:${k.fwmark}` : `s:${k.family}:${k.protocol}:${k.address}:${k.port}`);
const destinationId = (k: DestinationKey): string => `${k.family}:${k.address}:${k.port}`;

function serviceOptionsOf(s: Service): ServiceOptions {
  return { scheduler: s.scheduler, timeout: s.timeout, netmask: s.netmask, flags: s.flags, persistenceEngine: s.persistenceEngine };
}

function destinationOptionsOf(d: Destination): DestinationOptions {
  return {
    forwarding: d.forwarding,
    weight: d.weight,
    upperThreshold: d.upperThreshold,
    lowerThreshold: d.lowerThreshold,
    tunnelType: d.tunnelType,
    tunnelPort: d.tunnelPort,
    tunnelFlags: d.tunnelFlags,
  };
}

/**
 * The table as far as rollback needs it. Follows the operations that succeeded, in order, and
 * tells the inverse of each from the state just before it.
 */
export class TableModel {
  private readonly services = new Map<string, ServiceState>();

  /** Reads the current table; only needed when edits or deletes may have to be undone. */
  static async read(api: IpvsApi): Promise<TableModel> {
    const model = new TableModel();
    for (const service of await api.getServices()) {
      const destinations = new Map<string, { key: DestinationKey; options: DestinationOptions }>();
      for (const d of await api.getDestinations(service.key)) destinations.set(destinationId(d.key), { key: d.key, options: destinationOptionsOf(d) });
      model.services.set(serviceId(service.key), { options: serviceOptionsOf(service), destinations });
    }
    return model;
  }

  /** Records a successful operation; returns the operations that undo it. */
  apply(op: Operation): Operation[] {
    const state = this.services.get(serviceId(op.service));
    switch (op.op) {
      case 'addService':
        this.services.set(serviceId(op.service), { options: op.options, destinations: new Map() });
        return [{ op: 'deleteService', service: op.service }];
      case 'editService': {
        const previous = state?.options ?? op.options;
        if (state) state.options = op.options;
        return [{ op: 'editService', service: op.service, options: previous }];
      }
      case 'deleteService': {
        this.services.delete(serviceId(op.service));
        if (!state) return [];
        return [
          { op: 'addService', service: op.service, options: state.options },
          ...[...state.destinations.values()].reverse().map(
            (d): Operation => ({ op: 'addDestination', service: op.service, destination: d.key, options: d.options }),
          ),
        ];
      }
      case 'addDestination':
        state?.destinations.set(destinationId(op.destination), { key: op.destination, options: op.options });
        return [{ op: 'deleteDestination', service: op.service, destination: op.destination }];
      case 'editDestination': {
        const previous = state?.destinations.get(destinationId(op.destination))?.options ?? op.options;
        state?.destinations.set(destinationId(op.destination), { key: op.destination, options: op.options });
        return [{ op: 'editDestination', service: op.service, destination: op.destination, options: previous }];
      }
      case 'deleteDestination': {
        const previous = state?.destinations.get(destinationId(op.destination));
        state?.destinations.delete(destinationId(op.destination));
        return previous ? [{ op: 'addDestination', service: op.service, destination: op.destination, options: previous.options }] : [];
      }
    }
  }
}
