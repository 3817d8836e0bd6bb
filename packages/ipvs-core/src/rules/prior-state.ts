/**
 * The prior state of a transaction, as plain data: what the services it touches looked like before
 * anything was sent (or the whole table, when it flushes), and the timeouts when it sets them. A
 * rollback reads the same objects back and makes them equal to it (see `undo.ts`); a crash journal
 * can write it down before sending and recover from it the same way.
 */
import type { IpvsApi } from '../api';
import { mapBounded } from '../bounded';
import { serviceId } from '../identity';
import type { Service, ServiceKey, Timeouts } from '../model';
import { findService } from '../service-list';
import { readRuleset, ruleOf } from './read-table';
import { destinationOptionsPool, type RuleService, type Ruleset } from './ruleset';
import type { TransactionScope } from './change';

/**
 * The state of a part of the table: the prior state of a transaction, or the same part read back.
 * JSON-safe (no bigints, no class instances).
 */
export interface PriorState {
  /** The services of the part that exist, each with its real servers (kernel order: newest first). */
  readonly services: readonly RuleService[];
  /** Services of the part that do not exist (looked up one by one: an absence is never guessed from a dump). */
  readonly absent: readonly ServiceKey[];
  /** The part is the whole table (the transaction flushes): services not in `services` do not exist. */
  readonly wholeTable: boolean;
  /** The timeouts, when the part includes them. */
  readonly timeouts?: Timeouts;
}

/**
 * Lookups (GET_SERVICE, then a real-server dump for each one found) at once: a lookup is one small
 * request, and the transport sends those asked together in one datagram.
 */
const LOOKUPS_AT_ONCE = 32;

/**
 * Above this many services to look up, the service list is read first: an empty list is exact (a dump
 * can only miss services when it takes several datagrams, so it has some), and then nothing needs
 * looking up, which is the usual bulk restore into an empty table (10,000 lookups cost about a tenth of
 * that restore); services it lists need only their real servers read.
 */
const LIST_FIRST_ABOVE = 256;

export interface ReadPriorOptions {
  /**
   * The whole table, read just before (apply has it): the touched services are taken from it, and
   * only those it lacks are looked up (a dump can miss a service while other namespaces change theirs;
   * a lookup cannot).
   */
  readonly table?: Ruleset;
}

/** Reads the prior state of what `scope` touches. Sends no change. */
export async function readPriorState(api: IpvsApi, scope: TransactionScope, options: ReadPriorOptions = {}): Promise<PriorState> {
  const timeouts = scope.timeouts ? await api.getTimeouts() : undefined;
  if (scope.wholeTable) return { services: (await readRuleset(api)).services, absent: [], wholeTable: true, ...(timeouts ? { timeouts } : {}) };
  const known = new Map((options.table?.services ?? []).map((s) => [serviceId(s.key), s]));
  // an empty table is exact, whatever other namespaces do: nothing to look up
  let noneExist = options.table !== undefined && options.table.services.length === 0;
  let listed = new Map<string, Service>();
  if (!options.table && scope.services.length > LIST_FIRST_ABOVE) {
    const existing = await api.getServices();
    noneExist = existing.length === 0;
    listed = new Map(existing.map((s) => [serviceId(s.key), s]));
  }
  const services: RuleService[] = [];
  const absent: ServiceKey[] = [];
  const withDestinations: Service[] = [];
  const unknown: ServiceKey[] = [];
  for (const key of scope.services) {
    const id = serviceId(key);
    const have = known.get(id);
    const service = listed.get(id);
    if (have) services.push(have);
    else if (noneExist) absent.push(key);
    else if (service) withDestinations.push(service);
    else unknown.push(key); // not listed: absent, or missed by the dump; only a lookup can tell
  }
  const share = destinationOptionsPool();
  services.push(...await mapBounded(withDestinations, async (service) => ruleOf({ service, destinations: await api.getDestinations(service.key) }, share), LOOKUPS_AT_ONCE));
  const looked = await lookUpServices(api, unknown);
  return { services: [...services, ...looked.services], absent: [...absent, ...looked.absent], wholeTable: false, ...(timeouts ? { timeouts } : {}) };
}

/** Reads the same part of the table as `prior` covers, as it is now. */
export async function readCurrentState(api: IpvsApi, prior: PriorState): Promise<PriorState> {
  const timeouts = prior.timeouts ? await api.getTimeouts() : undefined;
  const part = prior.wholeTable
    ? { services: (await readRuleset(api)).services, absent: [] }
    : await lookUpServices(api, [...prior.services.map((s) => s.key), ...prior.absent]);
  return { ...part, wholeTable: prior.wholeTable, ...(timeouts ? { timeouts } : {}) };
}

/** Each service by key (GET_SERVICE, exact whatever other namespaces do) with its real servers; those missing in `absent`. */
export async function lookUpServices(api: IpvsApi, keys: readonly ServiceKey[]): Promise<{ services: RuleService[]; absent: ServiceKey[] }> {
  const share = destinationOptionsPool();
  const read = await mapBounded(keys, async (key) => {
    const service = await findService(api, key);
    return service ? ruleOf({ service, destinations: await api.getDestinations(service.key) }, share) : key;
  }, LOOKUPS_AT_ONCE);
  const services: RuleService[] = [];
  const absent: ServiceKey[] = [];
  for (const entry of read) {
    if ('options' in entry) services.push(entry);
    else absent.push(entry);
  }
  return { services, absent };
}
