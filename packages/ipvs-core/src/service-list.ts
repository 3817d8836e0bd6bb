/**
 * Reading the list of services so that it is right while other network namespaces change theirs.
 *
 * The kernel keeps the services of every network namespace in one shared hash table and resumes a
 * dump that spans several datagrams by counting entries of that table. A service added or deleted
 * in another namespace between two parts shifts the count, so services of ours are repeated or
 * skipped (ipvsadm shows the same). Repeats are dropped by key. A skip needs a dump of more than one
 * part, and is caught by dumping again until two dumps agree.
 */
import { Errno } from './errno';
import { IpvsError } from './errors';
import type { Service } from './model';
import { serviceId } from './rules/ruleset';

/** One service dump: the services in kernel order, and how many datagrams carried them. */
export interface ServiceDump {
  readonly services: readonly Service[];
  readonly parts: number;
}

/** Dumps a multi-part list at most this often before giving up. */
export const MAX_SERVICE_DUMPS = 5;

export async function readServiceList(dumpOnce: () => Promise<ServiceDump>): Promise<Service[]> {
  let dump = await dumpOnce();
  let services = withoutRepeats(dump.services);
  for (let dumps = 1; dump.parts > 1; dumps++) {
    if (dumps === MAX_SERVICE_DUMPS) {
      throw new IpvsError(Errno.EAGAIN, 'getServices', undefined,
        `getServices: ${MAX_SERVICE_DUMPS} dumps of the service table in a row differed (services are being added or deleted, here or in another network namespace)`);
    }
    dump = await dumpOnce();
    const again = withoutRepeats(dump.services);
    if (sameKeys(services, again)) return again;
    services = again;
  }
  return services;
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
