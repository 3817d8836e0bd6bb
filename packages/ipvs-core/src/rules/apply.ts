/**
 * Declarative apply: read the kernel's table, compute the minimal change set to `desired`, and
 * apply it pipelined and all-or-nothing.
 */
import type { Operation } from '../api';
import type { IpvsApi } from '../api';
import { planChanges, type ChangePlan } from './plan';
import { readRuleset } from './read-table';
import type { Ruleset } from './ruleset';
import type { PriorState } from './prior-state';
import { prepareTransaction, type RunOptions, type TransactionFailure } from './transaction';
import { describeDifference } from './undo';

export interface ApplyOptions extends RunOptions {
  /** Only compute the plan. */
  readonly dryRun?: boolean;
  /** Called with the prior state once it is read, before anything is sent (to write a crash journal). */
  readonly beforeSending?: (prior: PriorState) => void | Promise<void>;
}

export interface ApplyOutcome {
  readonly plan: ChangePlan;
  readonly applied: boolean;
}

/**
 * The transaction failed: the kernel refused a change, the exchange with it failed, or it was stopped.
 * `failure.rollback` says whether the table was read back as before, or what is left.
 */
export class TransactionError extends Error {
  constructor(
    readonly failure: TransactionFailure,
    /** The operation that failed first (see `failure.index`). */
    readonly operation: Operation,
  ) {
    super(transactionMessage(failure));
    this.name = 'TransactionError';
  }
}

/** The failure and the rollback in the library's words. */
export function transactionMessage(failure: TransactionFailure): string {
  const { rollback } = failure;
  const what = failure.reason === 'refused' ? failure.error.message
    : failure.reason === 'aborted' ? `stopped (${failure.cause?.message ?? 'aborted'})`
      : `the exchange with the kernel failed (${failure.cause?.message ?? failure.error.message})`;
  if (rollback.complete) return `${what}; rolled back, the table is as before`;
  if (!rollback.remaining) return `${what}; rolling back failed and the table could not be read back (${rollback.errors[0]?.message ?? 'unknown error'})`;
  return `${what}; rolling back failed, the table is not as before: ${rollback.remaining.map(describeDifference).join('; ')}`;
}

export async function applyRuleset(api: IpvsApi, desired: Ruleset, options: ApplyOptions = {}): Promise<ApplyOutcome> {
  const current = await readRuleset(api);
  const plan = planChanges(current, desired);
  if (options.dryRun || plan.operations.length === 0) return { plan, applied: false };
  const transaction = await prepareTransaction(api, plan.operations, { table: current });
  await options.beforeSending?.(transaction.prior);
  const result = await transaction.run({ signal: options.signal });
  if (!result.ok) throw new TransactionError(result, plan.operations[result.index]!);
  return { plan, applied: true };
}
