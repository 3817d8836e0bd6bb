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
import type { IpvsApi } from './api';
import { Errno } from './errno';
import { IpvsError } from './errors';
import type { Service, ServiceKey } from './model';
import { serviceId } from './identity';

/** One service dump: the services in kernel order, and how many datagrams carried them. */
export interface ServiceDump {
  readonly services: readonly Service[];
  readonly parts: number;
}

/** A dump read for the identities only. */
export interface ServiceKeyDump {
  readonly keys: readonly ServiceKey[];
  readonly parts: number;
}

export interface ServiceSources {
  /** One netlink dump of the services. */
  dump(): Promise<ServiceDump>;
  /** One more dump, of which only the identities are read. */
  dumpKeys(): Promise<ServiceKeyDump>;
  /** One service (GET_SERVICE, exact), or undefined if it does not exist. */
  lookup(key: ServiceKey): Promise<Service | undefined>;
}

/** Dumps a multi-part list at most this often. */
export const MAX_SERVICE_DUMPS = 6;

/**
 * The services: from one dump if it came in one part. Else the table is dumped again (identities
 * only) until two dumps in a row agree, or two in a row find nothing the others had not (or
 * MAX_SERVICE_DUMPS were made). The services of the last dump are taken from the first where it had
 * them; the others, and those only earlier dumps saw, are looked up. Never a repeated or a deleted
 * service; a service every dump skipped stays missing.
 */
export async function readServiceList(sources: ServiceSources): Promise<Service[]> {
  const first = await sources.dump();
  const known = new Map<string, Service>();
  for (const s of first.services) {
    const id = serviceId(s.key);
    if (!known.has(id)) known.set(id, s);
  }
  if (first.parts <= 1) return [...known.values()];
  const seen = new Map<string, ServiceKey>([...known].map(([id, s]) => [id, s.key]));
  let last = new Set(known.keys());
  let quiet = 0; // dumps in a row that found nothing new
  for (let dumps = 1; quiet < 2 && dumps < MAX_SERVICE_DUMPS; dumps++) {
    const dump = await sources.dumpKeys();
    const ids = new Set<string>();
    let found = 0;
    for (const key of dump.keys) {
      const id = serviceId(key);
      ids.add(id);
      if (!seen.has(id)) {
        found++;
        seen.set(id, key);
      }
    }
    const agree = sameIds(last, ids);
    last = ids;
    if (agree || dump.parts <= 1) break;
    quiet = found === 0 ? quiet + 1 : 0;
  }
  // taken from the first dump when the last one confirms them; looked up otherwise
  const services = await Promise.all([...seen].map(async ([id, key]) => {
    const dumped = last.has(id) ? known.get(id) : undefined;
    return dumped ?? sources.lookup(key);
  }));
  return services.filter((s) => s !== undefined);
}

/** One service by key (GET_SERVICE), or undefined if the kernel has none (ESRCH). */
export async function findService(api: Pick<IpvsApi, 'getService'>, key: ServiceKey): Promise<Service | undefined> {
  try {
    return await api.getService(key);
  } catch (error) {
    if (error instanceof IpvsError && error.errno === Errno.ESRCH) return undefined;
    throw error;
  }
}

function sameIds(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const id of b) if (!a.has(id)) return false;
  return true;
}
