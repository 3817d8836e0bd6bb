/** Reads the kernel's whole table as a ruleset: one service dump, then one real-server dump per service. */
import type { IpvsApi } from '../api';
import { ruleFromKernel, type Ruleset } from './ruleset';

export async function readRuleset(api: IpvsApi): Promise<Ruleset> {
  const services = await api.getServices();
  // each service becomes a rule as soon as its dump is in: the kernel objects (and the reply
  // buffers their counters are read from) are not all held at once
  return { services: await Promise.all(services.map(async (s) => ruleFromKernel(s, await api.getDestinations(s.key)))) };
}
