/** Reads the kernel's whole table as a ruleset: one service list, then one real-server dump per service. */
import type { IpvsApi } from '../api';
import type { Service } from '../model';
import { ruleDestinationOf, ruleServiceOf, type RuleDestination, type RuleService, type Ruleset } from './ruleset';

export async function readRuleset(api: IpvsApi): Promise<Ruleset> {
  const services = await api.getServices();
  return { services: await Promise.all(services.map((s) => readServiceRule(api, s))) };
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
