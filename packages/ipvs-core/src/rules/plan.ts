/**
 * The minimal change set from one table to another: services and real servers that are new are
 * added, those that differ are edited in place (the kernel replaces every setting of a service or a
 * real server on SET), and those that are gone are deleted. Applying a plan twice changes nothing.
 */
import type { Operation } from '../api';
import { destinationId, serviceId } from '../identity';
import { sameDestinationOptions, sameServiceOptions, type Ruleset } from './ruleset';

export interface PlanSummary {
  readonly servicesAdded: number;
  readonly servicesEdited: number;
  readonly servicesDeleted: number;
  readonly destinationsAdded: number;
  readonly destinationsEdited: number;
  readonly destinationsDeleted: number;
}

export interface ChangePlan {
  readonly operations: readonly Operation[];
  readonly summary: PlanSummary;
}

export function planChanges(current: Ruleset, desired: Ruleset): ChangePlan {
  const currentById = new Map(current.services.map((s) => [serviceId(s.key), s]));
  const desiredIds = new Set<string>();
  const deletes: Operation[] = [];
  const edits: Operation[] = [];
  const adds: Operation[] = [];
  const summary = { servicesAdded: 0, servicesEdited: 0, servicesDeleted: 0, destinationsAdded: 0, destinationsEdited: 0, destinationsDeleted: 0 };

  for (const want of desired.services) {
    const id = serviceId(want.key);
    if (desiredIds.has(id)) throw new Error(`the desired table lists service ${id} twice`);
    desiredIds.add(id);
    const have = currentById.get(id);
    if (!have) {
      adds.push({ op: 'addService', service: want.key, options: want.options });
      summary.servicesAdded++;
      // oldest first, so the kernel's newest-first listing matches the order of the rules
      for (const d of want.destinations) adds.push({ op: 'addDestination', service: want.key, destination: d.key, options: d.options });
      summary.destinationsAdded += want.destinations.length;
      continue;
    }
    if (!sameServiceOptions(have.options, want.options)) {
      edits.push({ op: 'editService', service: want.key, options: want.options });
      summary.servicesEdited++;
    }
    const haveDests = new Map(have.destinations.map((d) => [destinationId(d.key), d]));
    const wantIds = new Set<string>();
    for (const d of want.destinations) {
      const did = destinationId(d.key);
      if (wantIds.has(did)) throw new Error(`the desired table lists real server ${did} of service ${id} twice`);
      wantIds.add(did);
      const existing = haveDests.get(did);
      if (!existing) {
        adds.push({ op: 'addDestination', service: want.key, destination: d.key, options: d.options });
        summary.destinationsAdded++;
      } else if (!sameDestinationOptions(existing.options, d.options) || existing.key.family !== d.key.family) {
        edits.push({ op: 'editDestination', service: want.key, destination: d.key, options: d.options });
        summary.destinationsEdited++;
      }
    }
    for (const [did, d] of haveDests) {
      if (!wantIds.has(did)) {
        deletes.push({ op: 'deleteDestination', service: have.key, destination: d.key });
        summary.destinationsDeleted++;
      }
    }
  }
  for (const [id, have] of currentById) {
    if (!desiredIds.has(id)) {
      deletes.push({ op: 'deleteService', service: have.key });
      summary.servicesDeleted++;
    }
  }
  // deletions first (they free what additions may need), then edits, then additions
  return { operations: [...deletes, ...edits, ...adds], summary };
}
