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

/** What reading the list needs next: a dump, a dump of identities, or lookups of some services. */
type ServiceListStep =
  | { readonly kind: 'dump' }
  | { readonly kind: 'dumpKeys' }
  | { readonly kind: 'lookup'; readonly keys: readonly ServiceKey[] };
type StepResult = ServiceDump | ServiceKeyDump | ReadonlyArray<Service | undefined>;

/**
 * The services: from one dump if it came in one part. Else the table is dumped again (identities
 * only) until two dumps in a row agree, or two in a row find nothing the others had not (or
 * MAX_SERVICE_DUMPS were made). The services of the last dump are taken from the first where it had
 * them; the others, and those only earlier dumps saw, are looked up. Never a repeated or a deleted
 * service; a service every dump skipped stays missing.
 */
export async function readServiceList(sources: ServiceSources): Promise<Service[]> {
  const steps = serviceListSteps();
  for (let step = steps.next(); ; ) {
    if (step.done) return step.value;
    const want = step.value;
    step = steps.next(want.kind === 'dump' ? await sources.dump() : want.kind === 'dumpKeys'
      ? await sources.dumpKeys() : await Promise.all(want.keys.map((key) => sources.lookup(key))));
  }
}

/** The same sources, blocking (see `SyncTransport`). */
export interface SyncServiceSources {
  dump(): ServiceDump;
  dumpKeys(): ServiceKeyDump;
  lookup(key: ServiceKey): Service | undefined;
}

/** `readServiceList` over blocking sources: the same steps, no promise. */
export function readServiceListSync(sources: SyncServiceSources): Service[] {
  const steps = serviceListSteps();
  for (let step = steps.next(); ; ) {
    if (step.done) return step.value;
    const want = step.value;
    step = steps.next(want.kind === 'dump' ? sources.dump() : want.kind === 'dumpKeys' ? sources.dumpKeys() : want.keys.map((key) => sources.lookup(key)));
  }
}

/** The reading of the list as steps, whatever runs them (see `readServiceList`). */
function* serviceListSteps(): Generator<ServiceListStep, Service[], StepResult> {
  const first = (yield { kind: 'dump' }) as ServiceDump;
  const known = new Map<string, Service>();
  const firstIds = first.services.map((s) => serviceId(s.key));
  for (let i = 0; i < firstIds.length; i++) if (!known.has(firstIds[i]!)) known.set(firstIds[i]!, first.services[i]!);
  if (first.parts <= 1) return [...known.values()];
  // every identity any dump showed, and those of the last dump: made once a dump differs from the first
  const seen = new Map<string, ServiceKey>();
  let last: ReadonlySet<string> | undefined;
  const tracking = (): ReadonlySet<string> => {
    if (last === undefined) {
      for (const [id, s] of known) seen.set(id, s.key);
      last = new Set(known.keys());
    }
    return last;
  };
  let quiet = 0; // dumps in a row that found nothing new
  for (let dumps = 1; quiet < 2 && dumps < MAX_SERVICE_DUMPS; dumps++) {
    const dump = (yield { kind: 'dumpKeys' }) as ServiceKeyDump;
    const keyIds = dump.keys.map(serviceId);
    // the usual case, no churn: the second dump repeats the first one, service for service
    if (dumps === 1 && sameSequence(firstIds, keyIds)) return [...known.values()];
    const previous = tracking();
    const ids = new Set<string>();
    let found = 0;
    for (let i = 0; i < keyIds.length; i++) {
      const id = keyIds[i]!;
      const key = dump.keys[i]!;
      ids.add(id);
      if (!seen.has(id)) {
        found++;
        seen.set(id, key);
      }
    }
    const agree = sameIds(previous, ids);
    last = ids;
    if (agree || dump.parts <= 1) break;
    quiet = found === 0 ? quiet + 1 : 0;
  }
  // taken from the first dump when the last one confirms them; looked up otherwise
  const lastIds = tracking();
  const entries = [...seen];
  const missing = entries.filter(([id]) => !lastIds.has(id) || !known.has(id)).map(([, key]) => key);
  const looked = missing.length > 0 ? (yield { kind: 'lookup', keys: missing }) as ReadonlyArray<Service | undefined> : [];
  let next = 0;
  const services = entries.map(([id]) => (lastIds.has(id) && known.has(id) ? known.get(id) : looked[next++]));
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

function sameSequence(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameIds(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const id of b) if (!a.has(id)) return false;
  return true;
}
