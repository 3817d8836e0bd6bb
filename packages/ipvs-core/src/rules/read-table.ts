/** Reads the kernel's whole table as a ruleset: one service list, then one real-server dump per service. */
import type { IpvsApi } from '../api';
import type { Service } from '../model';
import { ruleDestinationOf, ruleServiceOf, type RuleDestination, type RuleService, type Ruleset } from './ruleset';

/**
 * Real-server dumps asked for at once: enough to keep every dump socket of the client busy, few
 * enough that a table of 10k services is not 10k queued requests and promises at the same time.
 */
const DUMPS_AT_ONCE = 16;

export async function readRuleset(api: IpvsApi): Promise<Ruleset> {
  const services = await api.getServices();
  return { services: await mapBounded(services, (s) => readServiceRule(api, s)) };
}

/**
 * One service and its real servers as a rule. Each real server becomes its rule where it arrives (in
 * place, see forEachDestination): no reply messages or kernel objects are kept.
 */
export async function readServiceRule(api: IpvsApi, service: Service): Promise<RuleService> {
  const destinations: RuleDestination[] = [];
  await api.forEachDestination(service.key, (d) => destinations.push(ruleDestinationOf(d)));
  return ruleServiceOf(service, destinations);
}

/** `read` of every item, in the items' order, with at most DUMPS_AT_ONCE running; rejects with the first failure. */
export async function mapBounded<T, R>(items: readonly T[], read: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const index = next++;
      try {
        results[index] = await read(items[index]!);
      } catch (error) {
        failed = true; // the other lanes start nothing new
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DUMPS_AT_ONCE, items.length) }, lane));
  return results;
}
