/** Reads the kernel's whole table as a ruleset: one service list, then one real-server dump per service. */
import type { IpvsApi } from '../api';
import { ruleDestinationOf, ruleServiceOf, type RuleDestination, type Ruleset } from './ruleset';

export async function readRuleset(api: IpvsApi): Promise<Ruleset> {
  const services = await api.getServices();
  // each real server becomes its rule where it arrives (in place, see forEachDestination): no reply
  // messages or kernel objects are kept
  return {
    services: await Promise.all(services.map(async (s) => {
      const destinations: RuleDestination[] = [];
      await api.forEachDestination(s.key, (d) => destinations.push(ruleDestinationOf(d)));
      return ruleServiceOf(s, destinations);
    })),
  };
}
