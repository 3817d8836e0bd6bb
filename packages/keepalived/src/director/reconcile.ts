/**
 * One reconcile: read the services the configuration owns (and only those) fresh from the kernel,
 * plan the minimal change to the wanted table, and apply it all-or-nothing. Additions go first, then
 * edits, then deletions: a pool never goes empty on the way (the sorry server is in before the last
 * real server leaves, and the other way round).
 */
import {
  destinationId, destinationSettings, IpvsError, planChanges, prepareTransaction, serviceId, ServiceFlags, serviceSettings,
  TransactionError, type Destination, type IpvsApi, type Operation, type PlanSummary, type RuleService, type Ruleset, type ServiceKey,
} from '@tsipvs/ipvs-core';

/** The owned part of the kernel's table, and the active connections of each of its real servers. */
export interface OwnedTable {
  readonly ruleset: Ruleset;
  /** By `serviceId / destinationId`. */
  readonly destinations: ReadonlyMap<string, { readonly service: ServiceKey; readonly destination: Destination }>;
}

export function ownedKey(service: ServiceKey, destination: { readonly address: string; readonly port: number }): string {
  return `${serviceId(service)} / ${destination.address} ${destination.port}`;
}

/** Reads each service by key (a lookup, exact whatever other namespaces do), with its real servers. */
export async function readOwned(api: IpvsApi, keys: readonly ServiceKey[]): Promise<OwnedTable> {
  const services: RuleService[] = [];
  const destinations = new Map<string, { service: ServiceKey; destination: Destination }>();
  const read = await Promise.all(keys.map(async (key) => {
    try {
      const service = await api.getService(key);
      return { service, dests: await api.getDestinations(service.key) };
    } catch (error) {
      if (error instanceof IpvsError && error.code === 'ESRCH') return undefined;
      throw error;
    }
  }));
  for (const entry of read) {
    if (!entry) continue;
    const { service, dests } = entry;
    const settings = serviceSettings(service.key, service);
    services.push({
      key: service.key,
      options: { ...settings, flags: settings.flags & ~ServiceFlags.Hashed },
      destinations: dests.map((d) => ({ key: { family: d.key.family, address: d.key.address, port: d.key.port }, options: destinationSettings(d) })),
    });
    for (const d of dests) destinations.set(ownedKey(service.key, d.key), { service: service.key, destination: d });
  }
  return { ruleset: { services }, destinations };
}

const ORDER: Readonly<Record<Operation['op'], number>> = {
  addService: 0, addDestination: 1, editService: 2, editDestination: 3, deleteDestination: 4, deleteService: 5,
};

/** The plan's operations with additions first, then edits, then deletions (stable within each kind). */
export function addsFirst(operations: readonly Operation[]): Operation[] {
  return operations.map((op, index) => ({ op, index })).sort((a, b) => ORDER[a.op.op] - ORDER[b.op.op] || a.index - b.index).map((e) => e.op);
}

export interface ReconcileOutcome {
  readonly operations: readonly Operation[];
  readonly summary: PlanSummary;
  /** Set when the transaction failed (then rolled back). */
  readonly error?: string;
}

/** Plans `current` → `wanted` (both the owned part only) and applies it all-or-nothing. */
export async function applyOwned(api: IpvsApi, current: Ruleset, wanted: Ruleset): Promise<ReconcileOutcome> {
  const plan = planChanges(current, wanted);
  const operations = addsFirst(plan.operations);
  if (operations.length === 0) return { operations, summary: plan.summary };
  const transaction = await prepareTransaction(api, operations);
  const result = await transaction.run();
  if (result.ok) return { operations, summary: plan.summary };
  return { operations, summary: plan.summary, error: new TransactionError(result, operations[result.index]!).message };
}

/** A text for an operation in logs: "add 10.0.0.10:80 to TCP 10.0.0.100:80 (weight 1)". */
export function describeOperation(op: Operation): string {
  const service = serviceId(op.service);
  switch (op.op) {
    case 'addService': return `add service ${service}`;
    case 'editService': return `edit service ${service}`;
    case 'deleteService': return `delete service ${service}`;
    case 'addDestination': return `add ${destinationId(op.destination)} to ${service} (weight ${op.options?.weight ?? 1})`;
    case 'editDestination': return `set ${destinationId(op.destination)} of ${service} to weight ${op.options.weight ?? 1}`;
    case 'deleteDestination': return `delete ${destinationId(op.destination)} from ${service}`;
  }
}
