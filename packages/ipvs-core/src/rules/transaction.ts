/**
 * All-or-nothing application of many operations: they are sent pipelined through `batch`; if the
 * kernel refuses any of them, the ones it carried out are undone (see `planUndo`), so the kernel
 * ends exactly where it started (counters of re-created objects excepted). The first refusal is
 * reported with the index of the operation that caused it.
 */
import type { IpvsApi, Operation, OperationList } from '../api';
import { Errno } from '../errno';
import type { ServiceKey } from '../model';
import { findService } from '../service-list';
import { mapBounded } from '../bounded';
import { ruleOf } from './read-table';
import { serviceId } from '../identity';
import { destinationOptionsPool, type Ruleset } from './ruleset';
import { planUndo, priorStateOf, type OperationOutcome, type PriorState } from './undo';

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

/** Errnos of the transport, not the kernel: the request may or may not have been carried out. */
const UNANSWERED = new Set<number>([Errno.ETIMEDOUT, Errno.ECANCELED, Errno.ENOBUFS]);

/**
 * Applies `operations`. `before` is what the services they edit or delete looked like before: the
 * whole table (`readRuleset`) or just those services (`readPriorState`). Nobody else should change
 * those services meanwhile: IPVS has no locking.
 */
export async function applyAllOrNothing(
  api: IpvsApi, before: Ruleset | PriorState, operations: readonly Operation[] | OperationList,
): Promise<TransactionResult> {
  const results = await api.batch(operations);
  const failures: Array<{ index: number; error: Error }> = [];
  const outcomes = results.map((r, index): OperationOutcome => {
    if (r.ok) return 'done';
    failures.push({ index, error: r.error });
    const errno = (r.error as { errno?: unknown }).errno;
    return typeof errno === 'number' && UNANSWERED.has(errno) ? 'unknown' : 'refused';
  });
  const first = failures[0];
  if (!first) return { ok: true, applied: operations.length };
  const undo = planUndo('services' in before ? priorStateOf(before) : before, operations, outcomes);
  const undone = await api.batch(undo.operations);
  const rollbackErrors = [...undo.problems.map((p) => new Error(p)), ...undone.flatMap((r) => (r.ok ? [] : [r.error]))];
  return { ok: false, index: first.index, error: first.error, failures, rollbackErrors };
}

/**
 * Reads the given services (each once) with their real servers, one lookup and one real-server dump
 * each: what `applyAllOrNothing` needs to undo edits and deletions, without reading the whole table.
 */
export async function readPriorState(api: IpvsApi, services: Iterable<ServiceKey>): Promise<PriorState> {
  const unique = new Map<string, ServiceKey>();
  for (const key of services) unique.set(serviceId(key), key);
  const share = destinationOptionsPool();
  const read = await mapBounded([...unique.values()], async (key) => {
    const service = await findService(api, key);
    return service && ruleOf({ service, destinations: await api.getDestinations(service.key) }, share);
  });
  const table: Ruleset = { services: read.filter((s) => s !== undefined) };
  return priorStateOf(table);
}
