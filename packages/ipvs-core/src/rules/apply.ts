/**
 * Declarative apply: read the kernel's table, compute the minimal change set to `desired`, and
 * apply it pipelined and all-or-nothing.
 */
import type { IpvsApi, Operation } from '../api';
import { planChanges, type ChangePlan } from './plan';
import { readRuleset } from './read-table';
import type { Ruleset } from './ruleset';
import { applyAllOrNothing, type TransactionFailure } from './transaction';

export interface ApplyOptions {
  /** Only compute the plan. */
  readonly dryRun?: boolean;
}

export interface ApplyOutcome {
  readonly plan: ChangePlan;
  readonly applied: boolean;
}

/** The kernel refused part of a transaction; everything it had applied was undone. */
export class TransactionError extends Error {
  constructor(
    readonly failure: TransactionFailure,
    /** The operation the kernel refused first. */
    readonly operation: Operation,
  ) {
    super(failure.rollbackErrors.length > 0 ? `${failure.error.message} (and undoing failed: ${failure.rollbackErrors[0]?.message})` : failure.error.message);
    this.name = 'TransactionError';
  }
}

export async function applyRuleset(api: IpvsApi, desired: Ruleset, options: ApplyOptions = {}): Promise<ApplyOutcome> {
  const current = await readRuleset(api);
  const plan = planChanges(current, desired);
  if (options.dryRun || plan.operations.length === 0) return { plan, applied: false };
  const result = await applyAllOrNothing(api, current, plan.operations);
  if (!result.ok) throw new TransactionError(result, plan.operations[result.index]!);
  return { plan, applied: true };
}
