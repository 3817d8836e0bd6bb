/**
 * Undoing a transaction by comparison: the part of the table it touched is read back, compared with
 * its prior state, and whatever differs is put back (what is there that was not is deleted, what was
 * deleted or edited is restored), then read back again to check. The same whether the kernel refused
 * a change (every outcome known), an exchange failed (some outcomes unknown), the transaction was
 * stopped, or a crash left only a journal of the prior state: the table, not a guess about what the
 * kernel did, decides. Services outside the part are never read nor written.
 *
 * `differences` and `planRestore` are pure; `restorePrior` does the reading and the writing.
 */
import type { IpvsApi, Operation } from '../api';
import { describeObject } from '../describe';
import { destinationId, serviceId } from '../identity';
import type { DestinationKey, DestinationSettings, ServiceKey, ServiceSettings, Timeouts } from '../model';
import { readCurrentState, type PriorState } from './prior-state';
import { sameDestinationOptions, sameServiceOptions, type RuleDestination, type RuleService } from './ruleset';

/** One way in which the table differs from a prior state. */
export type Difference =
  /** A service that exists and did not (with whatever real servers it has now). */
  | { readonly kind: 'extra-service'; readonly service: RuleService }
  /** A service that existed (as given, with its real servers) and is gone. */
  | { readonly kind: 'missing-service'; readonly service: RuleService }
  | { readonly kind: 'service-settings'; readonly service: ServiceKey; readonly before: ServiceSettings; readonly now: ServiceSettings }
  | { readonly kind: 'extra-destination'; readonly service: ServiceKey; readonly destination: RuleDestination }
  | { readonly kind: 'missing-destination'; readonly service: ServiceKey; readonly destination: RuleDestination }
  | {
    readonly kind: 'destination-settings'; readonly service: ServiceKey; readonly destination: DestinationKey;
    readonly before: DestinationSettings; readonly now: DestinationSettings;
  }
  | { readonly kind: 'timeouts'; readonly before: Timeouts; readonly now: Timeouts };

/**
 * How `now` differs from `before` (two states of the same part of the table, see `readCurrentState`).
 * Missing real servers of one service are listed oldest first: added back in that order, the kernel
 * lists them newest first as before.
 */
export function differences(before: PriorState, now: PriorState): Difference[] {
  const was = new Map(before.services.map((s) => [serviceId(s.key), s]));
  const is = new Map(now.services.map((s) => [serviceId(s.key), s]));
  const found: Difference[] = [];
  for (const [id, service] of is) if (!was.has(id)) found.push({ kind: 'extra-service', service });
  for (const [id, prior] of was) {
    const current = is.get(id);
    if (!current) {
      found.push({ kind: 'missing-service', service: prior });
      continue;
    }
    if (!sameServiceOptions(prior.options, current.options)) {
      found.push({ kind: 'service-settings', service: prior.key, before: prior.options, now: current.options });
    }
    const priorDestinations = new Map(prior.destinations.map((d) => [destinationId(d.key), d]));
    const currentDestinations = new Map(current.destinations.map((d) => [destinationId(d.key), d]));
    for (const [did, destination] of currentDestinations) {
      if (!priorDestinations.has(did)) found.push({ kind: 'extra-destination', service: prior.key, destination });
    }
    for (let i = prior.destinations.length - 1; i >= 0; i--) {
      const destination = prior.destinations[i]!;
      const currentOne = currentDestinations.get(destinationId(destination.key));
      if (!currentOne) found.push({ kind: 'missing-destination', service: prior.key, destination });
      else if (!sameDestinationOptions(destination.options, currentOne.options) || destination.key.family !== currentOne.key.family) {
        found.push({ kind: 'destination-settings', service: prior.key, destination: destination.key, before: destination.options, now: currentOne.options });
      }
    }
  }
  if (before.timeouts && now.timeouts && !sameTimeouts(before.timeouts, now.timeouts)) {
    found.push({ kind: 'timeouts', before: before.timeouts, now: now.timeouts });
  }
  return found;
}

function sameTimeouts(a: Timeouts, b: Timeouts): boolean {
  return a.tcp === b.tcp && a.tcpFin === b.tcpFin && a.udp === b.udp;
}

/** What puts a part of the table back to its prior state. */
export interface UndoPlan {
  /** Deletions first (they free what additions may need), then edits, then additions. */
  readonly operations: Operation[];
  /** The timeouts to set back, if they differ. */
  readonly timeouts?: Timeouts;
}

/** The operations that undo `found` (the differences of the table from a prior state). */
export function planRestore(found: readonly Difference[]): UndoPlan {
  const deletes: Operation[] = [];
  const edits: Operation[] = [];
  const adds: Operation[] = [];
  let timeouts: Timeouts | undefined;
  for (const d of found) {
    switch (d.kind) {
      case 'extra-service':
        deletes.push({ op: 'deleteService', service: d.service.key });
        break;
      case 'missing-service':
        adds.push({ op: 'addService', service: d.service.key, options: d.service.options });
        // the kernel lists real servers newest first: add the oldest first to get the same order back
        for (let i = d.service.destinations.length - 1; i >= 0; i--) {
          const dest = d.service.destinations[i]!;
          adds.push({ op: 'addDestination', service: d.service.key, destination: dest.key, options: dest.options });
        }
        break;
      case 'service-settings':
        edits.push({ op: 'editService', service: d.service, options: d.before });
        break;
      case 'extra-destination':
        deletes.push({ op: 'deleteDestination', service: d.service, destination: d.destination.key });
        break;
      case 'missing-destination':
        adds.push({ op: 'addDestination', service: d.service, destination: d.destination.key, options: d.destination.options });
        break;
      case 'destination-settings':
        edits.push({ op: 'editDestination', service: d.service, destination: d.destination, options: d.before });
        break;
      case 'timeouts':
        timeouts = d.before;
        break;
    }
  }
  return { operations: [...deletes, ...edits, ...adds], ...(timeouts ? { timeouts } : {}) };
}

/** One difference in words ("service TCP 10.0.0.5:80 exists; it did not before"). */
export function describeDifference(d: Difference): string {
  switch (d.kind) {
    case 'extra-service': {
      const servers = d.service.destinations.length;
      return `${describeObject({ service: d.service.key })} exists${servers ? ` (with ${servers} real server${servers === 1 ? '' : 's'})` : ''}; it did not before`;
    }
    case 'missing-service': {
      const servers = d.service.destinations.length;
      return `${describeObject({ service: d.service.key })}${servers ? ` and its ${servers} real server${servers === 1 ? '' : 's'}` : ''} existed before and ${servers ? 'are' : 'is'} missing`;
    }
    case 'service-settings':
      return `${describeObject({ service: d.service })} has other settings than before (${settingsChange(d.before, d.now)})`;
    case 'extra-destination':
      return `${describeObject({ service: d.service, destination: d.destination.key })} exists; it did not before`;
    case 'missing-destination':
      return `${describeObject({ service: d.service, destination: d.destination.key })} existed before and is missing`;
    case 'destination-settings':
      return `${describeObject({ service: d.service, destination: d.destination })} has other settings than before (${settingsChange(d.before, d.now)})`;
    case 'timeouts':
      return `the timeouts are ${d.now.tcp} ${d.now.tcpFin} ${d.now.udp}; they were ${d.before.tcp} ${d.before.tcpFin} ${d.before.udp}`;
  }
}

/** "scheduler sh, was rr; weight 4, was 1": the fields that differ. */
function settingsChange(before: object, now: object): string {
  const was = before as Record<string, unknown>;
  const is = now as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(was), ...Object.keys(is)])];
  return fields.filter((f) => String(was[f]) !== String(is[f])).map((f) => `${f} ${String(is[f] ?? 'none')}, was ${String(was[f] ?? 'none')}`).join('; ');
}

/** What a rollback did, and what it left. */
export interface RollbackReport {
  /** The part of the table was read back and equals its prior state. */
  readonly complete: boolean;
  /**
   * How the last read-back differs from the prior state (empty when complete); undefined when the
   * table could not be read back (its state is then unknown).
   */
  readonly remaining: readonly Difference[] | undefined;
  /** Operations sent to put the table back (and carried out). */
  readonly undone: number;
  /** What went wrong while reading back or putting back (refusals, failed exchanges), once each. */
  readonly errors: readonly Error[];
}

export interface RestoreOptions {
  /** Rounds of read, compare and put back before giving up (default 3); a last read-back checks. */
  readonly rounds?: number;
}

/**
 * Puts the part of the table that `prior` covers back as it was: reads it, sends what undoes the
 * differences, and reads again, up to `rounds` times (a failed exchange during the rollback is
 * retried with a new socket). Never rejects: what it could not do is in the report. Not stoppable:
 * once begun, a rollback runs to its end.
 */
export async function restorePrior(api: IpvsApi, prior: PriorState, options: RestoreOptions = {}): Promise<RollbackReport> {
  const rounds = options.rounds ?? 3;
  const errors = new Map<string, Error>();
  const note = (error: unknown): void => {
    const e = error instanceof Error ? error : new Error(String(error));
    if (!errors.has(e.message)) errors.set(e.message, e);
  };
  let undone = 0;
  let remaining: Difference[] | undefined;
  for (let round = 0; ; round++) {
    try {
      remaining = differences(prior, await readCurrentState(api, prior));
    } catch (error) {
      note(error);
      remaining = undefined;
    }
    if (remaining?.length === 0 || round >= rounds) break;
    if (!remaining) continue; // read again
    const plan = planRestore(remaining);
    if (plan.operations.length > 0) {
      for (const result of await api.batch(plan.operations)) {
        if (result.ok) undone++;
        else note(result.error);
      }
    }
    if (plan.timeouts) {
      try {
        await api.setTimeouts(plan.timeouts);
        undone++;
      } catch (error) {
        note(error);
      }
    }
  }
  return { complete: remaining?.length === 0, remaining, undone, errors: [...errors.values()] };
}
