/** Reading the kernel's table: one service list, then real-server dumps, a bounded number at a time. */
import type { IpvsApi } from '../api';
import { boundedInOrder } from '../bounded';
import type { Destination, Service } from '../model';
import { destinationOptionsPool, ruleDestinationOf, ruleServiceOf, type DestinationOptionsPool, type RuleService, type Ruleset } from './ruleset';

/**
 * Real-server dumps asked for at once: enough to keep every dump socket of the client busy, few
 * enough that a table of 10k services is not 10k queued requests and promises at the same time.
 */
const DUMPS_AT_ONCE = 16;

/** One service with its real servers (kernel order: newest first). */
export interface ListedService {
  readonly service: Service;
  readonly destinations: readonly Destination[];
}

/**
 * `read(service)` of each service (its real-server dump, say), yielded in the services' order while
 * up to 16 run ahead: a listing of any size keeps only the services not yet consumed. Rejects with
 * the first failure when its turn comes; no new read starts after it.
 */
export function readEachService<T>(services: readonly Service[], read: (service: Service) => Promise<T>): AsyncGenerator<T> {
  return boundedInOrder(services, read, DUMPS_AT_ONCE);
}

/** Each service with its real servers (see `readEachService`). */
export function listDestinations(api: IpvsApi, services: readonly Service[]): AsyncGenerator<ListedService> {
  return readEachService(services, async (service) => ({ service, destinations: await api.getDestinations(service.key) }));
}

/** The whole table as a ruleset (no counters). */
export async function readRuleset(api: IpvsApi): Promise<Ruleset> {
  const share = destinationOptionsPool();
  const services: RuleService[] = [];
  for await (const listed of listDestinations(api, await api.getServices())) services.push(ruleOf(listed, share));
  return { services };
}

/** One listed service as a rule; equal real-server settings share one object from `share`. */
export function ruleOf({ service, destinations }: ListedService, share: DestinationOptionsPool): RuleService {
  return ruleServiceOf(service, destinations.map((d) => ruleDestinationOf(d, share)));
}
