/**
 * The changes of a transaction: the six batch operations, and the table-wide steps (`flush`,
 * `setTimeouts`, `zero`) that restore input may hold. `TransactionScope` is what a list of changes
 * touches, gathered in one pass (by the transaction, or by its caller while it reads the input).
 */
import type { Operation, OperationList } from '../api';
import { serviceId } from '../identity';
import type { ServiceKey, Timeouts } from '../model';

/** One change of a transaction. */
export type Change =
  | Operation
  /** Deletes every service: its undo is the whole table as it was. */
  | { readonly op: 'flush' }
  /** Sets the timeouts (0 or absent: unchanged); undone by setting them back. */
  | { readonly op: 'setTimeouts'; readonly timeouts: Partial<Timeouts> }
  /**
   * Zeroes counters (one service's, or all). Counters cannot be put back, so a transaction zeroes
   * last, once every other change has been carried out.
   */
  | { readonly op: 'zero'; readonly service?: ServiceKey };

/** The changes of a transaction, read by index (an array will do; see `OperationList`). */
export interface ChangeList {
  readonly length: number;
  at(index: number): Change | undefined;
}

/** True for the changes a batch carries (`IpvsApi.batch`). */
export function isOperation(change: Change): change is Operation {
  return change.op !== 'flush' && change.op !== 'setTimeouts' && change.op !== 'zero';
}

/**
 * What a list of changes touches: the services its operations name (added ones included: whether
 * they existed before must be known to undo an unanswered add), whether it flushes (then the whole
 * table) and whether it sets timeouts; and where its table-wide steps sit, so that the batches
 * between them are found without reading every change again.
 */
export class TransactionScope {
  private readonly keys = new Map<string, ServiceKey>();
  /** The key object noted last: consecutive changes often share theirs (a service's real servers). */
  private lastKey: ServiceKey | undefined;
  private count = 0;
  /** The transaction flushes: its prior state is the whole table. */
  wholeTable = false;
  /** The transaction sets timeouts: its prior state holds them. */
  timeouts = false;
  /** Indexes of the changes that are not batch operations, in order. */
  readonly steps: number[] = [];

  static of(changes: readonly Change[] | ChangeList): TransactionScope {
    const scope = new TransactionScope();
    for (let index = 0; index < changes.length; index++) scope.add(changes.at(index)!);
    return scope;
  }

  /** Notes the next change (changes are noted in their order, each once). */
  add(change: Change): void {
    const index = this.count++;
    if (isOperation(change)) {
      if (change.service === this.lastKey) return;
      this.lastKey = change.service;
      const id = serviceId(change.service);
      if (!this.keys.has(id)) this.keys.set(id, change.service);
      return;
    }
    this.steps.push(index);
    if (change.op === 'flush') this.wholeTable = true;
    else if (change.op === 'setTimeouts') this.timeouts = true;
    // zero: counters are not part of the prior state
  }

  /** The number of changes noted. */
  get length(): number {
    return this.count;
  }

  /** Every service the operations name, once each, in the order first named. */
  get services(): ServiceKey[] {
    return [...this.keys.values()];
  }
}

/** Changes `start`..`end - 1` of `changes`, all batch operations, as an OperationList. */
export function operationRange(changes: readonly Change[] | ChangeList, start: number, end: number): OperationList {
  return {
    length: end - start,
    at: (index) => (index >= 0 && index < end - start ? (changes.at(start + index) as Operation) : undefined),
  };
}
