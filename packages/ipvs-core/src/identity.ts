/** Text identities of services and real servers: how two tables (or two dumps) are matched. */
import type { DestinationKey, ServiceKey } from './model';

/** A stable text identity of a service ("tcp 10.0.0.1 80", "fwm 2 7"). */
export function serviceId(key: ServiceKey): string {
  return 'fwmark' in key ? `fwm ${key.family} ${key.fwmark >>> 0}` : `${key.protocol} ${key.address} ${key.port}`;
}

/** A stable text identity of a real server within its service. */
export function destinationId(key: DestinationKey): string {
  return `${key.address} ${key.port}`;
}
