/** Reads the kernel's whole table as a ruleset: one service dump, then one real-server dump per service. */
import type { IpvsApi } from '../api';
import { ruleFromKernel, type Ruleset } from './ruleset';

export async function readRuleset(api: IpvsApi): Promise<Ruleset> {
  const services = await api.getServices();
  const destinations = await Promise.all(services.map((s) => api.getDestinations(s.key)));
  return { services: services.map((s, i) => ruleFromKernel(s, destinations[i] ?? [])) };
}
