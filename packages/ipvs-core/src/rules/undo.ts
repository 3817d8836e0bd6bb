/**
 * The exact undo of a batch. From the operations the kernel carried out and the state, before the
 * batch, of the services they touched, it derives the operations that put every touched service and
 * real server back, and nothing else: the table is not read again (a re-read would also undo what
 * others changed meanwhile, and a service dump can miss services while other network namespaces
 * change theirs).
 */
import type { Operation, OperationList } from '../api';
import { describeObject } from '../describe';
import type { DestinationKey, ServiceKey } from '../model';
import { destinationId, serviceId } from '../identity';
import type { RuleService, Ruleset } from './ruleset';

/** The services a transaction touches as they were before it (at least those it edits or deletes). */
export interface PriorState {
  /** The service with its real servers, or undefined if it did not exist or was not read. */
  service(id: string): RuleService | undefined;
}

export function priorStateOf(table: Ruleset): PriorState {
  const byId = new Map(table.services.map((s) => [serviceId(s.key), s]));
  return { service: (id) => byId.get(id) };
}

/** Operations whose undo needs the prior state of their service (adds undo by deleting). */
export function needsPriorState(op: Operation): boolean {
  return op.op !== 'addService' && op.op !== 'addDestination';
}

/** What became of one operation of the batch. */
export type OperationOutcome = 'done' | 'refused' | 'unknown';

export interface UndoPlan {
  readonly operations: Operation[];
  /** Why part of the batch cannot be undone exactly (missing prior state, unanswered requests). */
  readonly problems: string[];
}

interface DestinationTrace {
  readonly key: DestinationKey;
  /** Its first change here added it: it did not exist before. */
  readonly addedHere: boolean;
  exists: boolean;
}

interface ServiceTrace {
  readonly key: ServiceKey;
  readonly addedHere: boolean;
  exists: boolean;
  /** Deleted at some point: every real server it had is gone. */
  deleted: boolean;
  optionsChanged: boolean;
  readonly destinations: Map<string, DestinationTrace>;
}

export function planUndo(prior: PriorState, operations: readonly Operation[] | OperationList, outcomes: readonly OperationOutcome[]): UndoPlan {
  const traces = new Map<string, ServiceTrace>();
  let unknown = 0;
  for (let index = 0; index < outcomes.length; index++) {
    if (outcomes[index] === 'unknown') unknown++;
    if (outcomes[index] !== 'done') continue;
    const op = operations.at(index)!;
    const id = serviceId(op.service);
    let trace = traces.get(id);
    if (!trace) {
      trace = { key: op.service, addedHere: op.op === 'addService', exists: true, deleted: false, optionsChanged: false, destinations: new Map() };
      traces.set(id, trace);
    }
    follow(trace, op);
  }
  const deletes: Operation[] = [];
  const edits: Operation[] = [];
  const adds: Operation[] = [];
  const problems: string[] = [];
  if (unknown > 0) problems.push(`the kernel did not answer ${unknown} request(s); they may have been applied and were not undone`);
  for (const [id, trace] of traces) {
    if (trace.addedHere) {
      // it did not exist: deleting it takes its real servers along
      if (trace.exists) deletes.push({ op: 'deleteService', service: trace.key });
      continue;
    }
    // real servers it added are simply deleted; anything else needs the service as it was
    for (const dest of trace.destinations.values()) {
      if (dest.addedHere && dest.exists) deletes.push({ op: 'deleteDestination', service: trace.key, destination: dest.key });
    }
    const changedBefore = [...trace.destinations.values()].filter((d) => !d.addedHere);
    if (!trace.deleted && !trace.optionsChanged && changedBefore.length === 0) continue;
    const before = prior.service(id);
    if (!before) {
      problems.push(`${describeObject({ service: trace.key })} was changed but its state before is unknown`);
      continue;
    }
    if (trace.deleted) {
      if (trace.exists) deletes.push({ op: 'deleteService', service: trace.key });
      adds.push({ op: 'addService', service: before.key, options: before.options });
      // the kernel lists real servers newest first: add the oldest first to get the same order back
      for (let i = before.destinations.length - 1; i >= 0; i--) {
        const d = before.destinations[i]!;
        adds.push({ op: 'addDestination', service: before.key, destination: d.key, options: d.options });
      }
      continue;
    }
    if (trace.optionsChanged) edits.push({ op: 'editService', service: before.key, options: before.options });
    const destinationsBefore = new Map(before.destinations.map((d) => [destinationId(d.key), d]));
    for (const dest of changedBefore) {
      const was = destinationsBefore.get(destinationId(dest.key));
      if (!was) {
        problems.push(`${describeObject({ service: trace.key, destination: dest.key })} was changed but its state before is unknown`);
      } else if (dest.exists) {
        edits.push({ op: 'editDestination', service: before.key, destination: was.key, options: was.options });
      } else {
        adds.push({ op: 'addDestination', service: before.key, destination: was.key, options: was.options });
      }
    }
  }
  return { operations: [...deletes, ...edits, ...adds], problems };
}

/** Follows one operation the kernel carried out. */
function follow(trace: ServiceTrace, op: Operation): void {
  switch (op.op) {
    case 'addService':
      trace.exists = true;
      return;
    case 'editService':
      trace.optionsChanged = true;
      return;
    case 'deleteService':
      trace.exists = false;
      trace.deleted = true;
      trace.destinations.clear();
      return;
  }
  if (trace.addedHere || trace.deleted) return; // the service's undo covers its real servers
  const did = destinationId(op.destination);
  let dest = trace.destinations.get(did);
  if (!dest) {
    dest = { key: op.destination, addedHere: op.op === 'addDestination', exists: true };
    trace.destinations.set(did, dest);
  }
  dest.exists = op.op !== 'deleteDestination';
}
