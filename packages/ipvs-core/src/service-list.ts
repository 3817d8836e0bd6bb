/**
 * Reading the list of services so that it stays right while other network namespaces change theirs.
 *
 * On kernels that keep the services of every network namespace in one shared hash table (Debian 12's
 * 6.1 among them), a netlink dump that spans several datagrams resumes by counting entries of that
 * shared table. A service added or deleted in another namespace between two parts shifts the count,
 * so services of ours are repeated or skipped (ipvsadm's listing shows the same; /proc/net/ip_vs
 * resumes by a position that mixes both counts and is no better). Repeats are dropped by key. A skip
 * needs a dump of more than one part; such dumps are repeated and merged, and services the last dump
 * did not show are looked up one by one, so that no deleted service is reported.
 */
import type { Service, ServiceKey } from './model';
import { serviceId } from './rules/ruleset';

/** One service dump: the services in kernel order, and how many datagrams carried them. */
export interface ServiceDump {
  readonly services: readonly Service[];
  readonly parts: number;
}

export interface ServiceSources {
  /** One netlink dump of the services. */
  dump(): Promise<ServiceDump>;
  /** One service (GET_SERVICE, exact), or undefined if it does not exist. */
  lookup(key: ServiceKey): Promise<Service | undefined>;
}

/** Dumps a multi-part list at most this often. */
export const MAX_SERVICE_DUMPS = 6;

/**
 * The services: from one dump if it came in one part; else dumps are repeated until two in a row
 * agree, or two in a row find nothing the others had not (or MAX_SERVICE_DUMPS were made), merging
 * what they saw. Never a repeated or a deleted service; a service every dump skipped stays missing.
 */
export async function readServiceList(sources: ServiceSources): Promise<Service[]> {
  let dump = await sources.dump();
  let last = withoutRepeats(dump.services);
  const seen = new Map(last.map((s) => [serviceId(s.key), s]));
  let quiet = 0; // dumps in a row that found nothing new
  for (let dumps = 1; dump.parts > 1 && quiet < 2 && dumps < MAX_SERVICE_DUMPS; dumps++) {
    dump = await sources.dump();
    const again = withoutRepeats(dump.services);
    if (dump.parts <= 1 || sameKeys(last, again)) return again;
    let found = 0;
    for (const s of again) {
      const id = serviceId(s.key);
      if (!seen.has(id)) found++;
      seen.set(id, s); // the newest counters
    }
    last = again;
    quiet = found === 0 ? quiet + 1 : 0;
  }
  if (seen.size === last.length) return last;
  const inLast = new Set(last.map((s) => serviceId(s.key)));
  const merged = await Promise.all([...seen.values()].map(async (s) => (inLast.has(serviceId(s.key)) ? s : sources.lookup(s.key))));
  return merged.filter((s) => s !== undefined);
}

function withoutRepeats(services: readonly Service[]): Service[] {
  const seen = new Set<string>();
  return services.filter((s) => {
    const id = serviceId(s.key);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function sameKeys(a: readonly Service[], b: readonly Service[]): boolean {
  if (a.length !== b.length) return false;
  const ids = new Set(a.map((s) => serviceId(s.key)));
  return b.every((s) => ids.has(serviceId(s.key)));
}
