/**
 * All-or-nothing application of many operations: they are sent pipelined through `batch`; if the
 * kernel refuses any of them, the table is read back and the difference to the table as it was
 * before is applied, so the kernel ends exactly where it started (counters of re-created objects
 * excepted). The first refusal is reported with the index of the operation that caused it.
 */
import type { IpvsApi, Operation, OperationList } from '../api';
import { planChanges } from './plan';
import { readRuleset } from './read-table';
import type { Ruleset } from './ruleset';

export interface TransactionFailure {
  /** Index (in the operations given) of the first operation the kernel refused. */
  readonly index: number;
  readonly error: Error;
  /** Every refusal, in order (later ones are often consequences of the first). */
  readonly failures: ReadonlyArray<{ readonly index: number; readonly error: Error }>;
  /** Set when undoing failed too: the table may then differ from before. */
  readonly rollbackErrors: readonly Error[];
}

export type TransactionResult = { readonly ok: true; readonly applied: number } | ({ readonly ok: false } & TransactionFailure);

/**
 * Applies `operations`; `before` is the table as it was when they were planned (read it with
 * `readRuleset` first). Nobody else should change the table meanwhile: IPVS has no locking.
 */
export async function applyAllOrNothing(api: IpvsApi, before: Ruleset, operations: readonly Operation[] | OperationList): Promise<TransactionResult> {
  const results = await api.batch(operations);
  const failures: Array<{ index: number; error: Error }> = [];
  results.forEach((r, index) => {
    if (!r.ok) failures.push({ index, error: r.error });
  });
  const first = failures[0];
  if (!first) return { ok: true, applied: operations.length };
  const rollbackErrors = await restoreTable(api, before);
  return { ok: false, index: first.index, error: first.error, failures, rollbackErrors };
}

/** Brings the kernel's table back to `target`; returns the errors of the operations that failed. */
export async function restoreTable(api: IpvsApi, target: Ruleset): Promise<Error[]> {
  const now = await readRuleset(api);
  const { operations } = planChanges(now, target);
  const results = await api.batch(operations);
  return results.flatMap((r) => (r.ok ? [] : [r.error]));
}
