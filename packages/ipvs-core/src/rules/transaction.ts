/**
 * All-or-nothing application of many changes. Before anything is sent, the prior state of what they
 * touch is read (`prepareTransaction`: plain data, to write down as a journal if wanted). Then the
 * changes go out (operations pipelined through `batch`, table-wide steps one by one, zeroing last).
 * Every change ends known-applied, known-refused, unknown (sent, no answer) or unsent. If any is not
 * applied, for whatever reason (the kernel refused, the exchange failed, the signal stopped it), the
 * part of the table it touched is read back and put back to its prior state, then read back again
 * to check (`restorePrior`): the result says whether the table is as before, or what is left.
 */
import type { IpvsApi } from '../api';
import { IpvsError, IpvsTransportError, IpvsValidationError } from '../errors';
import { isOperation, operationRange, TransactionScope, type Change, type ChangeList } from './change';
import { readPriorState, type PriorState } from './prior-state';
import type { Ruleset } from './ruleset';
import { restorePrior, type RollbackReport } from './undo';

/** What became of one change. */
export type ChangeOutcome = 'applied' | 'refused' | 'unknown' | 'unsent';

/** Why a transaction failed. */
export type FailureReason =
  /** The kernel refused a change (or it was invalid); every other outcome is known. */
  | 'refused'
  /** The exchange with the kernel failed (deadline, socket error, closed socket, unreadable reply): some outcomes are unknown. */
  | 'transport'
  /** The signal stopped it. */
  | 'aborted';

export interface TransactionFailure {
  readonly reason: FailureReason;
  /** Index (in the changes given) of the first change refused; else of the first not applied. */
  readonly index: number;
  /** That change's error (an IpvsError, IpvsValidationError or IpvsTransportError). */
  readonly error: Error;
  /** Every change the kernel refused, in order (later ones are often consequences of the first). */
  readonly failures: ReadonlyArray<{ readonly index: number; readonly error: Error }>;
  /** The failed exchange, or the reason of the stop (reasons 'transport' and 'aborted'). */
  readonly cause?: Error;
  /** How many changes ended each way. */
  readonly counts: Readonly<Record<ChangeOutcome, number>>;
  /** What became of change `index`. */
  outcome(index: number): ChangeOutcome;
  /** The rollback: whether the table was read back as before, or what it left. */
  readonly rollback: RollbackReport;
}

export type TransactionResult = { readonly ok: true; readonly applied: number } | ({ readonly ok: false } & TransactionFailure);

export interface PrepareOptions {
  /** What the changes touch, if the caller gathered it while reading them (saves a pass over them). */
  readonly scope?: TransactionScope;
  /** The whole table, read just before: the prior state is taken from it where it can be. */
  readonly table?: Ruleset;
}

export interface RunOptions {
  /**
   * Stops the transaction: nothing more is sent once it is aborted (what is in flight is still
   * answered), then everything carried out is rolled back. The rollback itself is not stopped.
   */
  readonly signal?: AbortSignal;
}

/** A transaction whose prior state has been read and nothing sent yet. */
export interface PreparedTransaction {
  readonly changes: readonly Change[] | ChangeList;
  /** What the changes touch, as it is before the transaction (plain data). */
  readonly prior: PriorState;
  /** Sends the changes; on any failure, rolls back to `prior`. Never rejects for the kernel's or the transport's sake. */
  run(options?: RunOptions): Promise<TransactionResult>;
}

/** Reads the prior state of what `changes` touch; sends nothing. */
export async function prepareTransaction(
  api: IpvsApi, changes: readonly Change[] | ChangeList, options: PrepareOptions = {},
): Promise<PreparedTransaction> {
  const scope = options.scope ?? TransactionScope.of(changes);
  const prior = await readPriorState(api, scope, { table: options.table });
  return { changes, prior, run: (runOptions = {}) => runTransaction(api, changes, scope, prior, runOptions) };
}

/**
 * `prepareTransaction`, then `run`. Nobody else should change what the changes touch meanwhile
 * (IPVS has no locking): a rollback puts the touched services back to their prior state, undoing
 * anyone's changes to them.
 */
export async function applyAllOrNothing(
  api: IpvsApi, changes: readonly Change[] | ChangeList, options: PrepareOptions & RunOptions = {},
): Promise<TransactionResult> {
  return (await prepareTransaction(api, changes, options)).run(options);
}

const UNSENT = 0;
const APPLIED = 1;
const REFUSED = 2;
const UNKNOWN = 3;
const OUTCOMES: readonly ChangeOutcome[] = ['unsent', 'applied', 'refused', 'unknown'];

/** The outcome an error of a change means. */
function outcomeOf(error: unknown): number {
  if (error instanceof IpvsTransportError) return error.sent ? UNKNOWN : UNSENT;
  if (error instanceof IpvsError || error instanceof IpvsValidationError) return REFUSED;
  return UNKNOWN; // an unreadable reply, or anything unforeseen: assume the worst
}

async function runTransaction(
  api: IpvsApi, changes: readonly Change[] | ChangeList, scope: TransactionScope, prior: PriorState, { signal }: RunOptions,
): Promise<TransactionResult> {
  const outcomes = new Uint8Array(changes.length);
  const failures: Array<{ index: number; error: Error }> = [];
  let firstProblem: { index: number; error: Error } | undefined;
  let transportFailure: Error | undefined;
  const record = (index: number, error: Error): void => {
    const outcome = outcomeOf(error);
    outcomes[index] = outcome;
    firstProblem ??= { index, error };
    if (outcome === REFUSED) failures.push({ index, error });
    else if (!stoppedBy(signal, error)) transportFailure ??= error instanceof IpvsTransportError ? error.failure : error;
  };
  const stopped = (): boolean => failures.length > 0 || transportFailure !== undefined || signal?.aborted === true;

  const zeroes: number[] = [];
  let next = 0;
  for (const step of [...scope.steps, changes.length]) {
    if (next < step && !stopped()) {
      const start = next;
      const results = await api.batch(operationRange(changes, start, step), { signal });
      results.forEach((result, i) => {
        if (result.ok) outcomes[start + i] = APPLIED;
        else record(start + i, result.error);
      });
    }
    next = step + 1;
    if (step === changes.length || stopped()) continue;
    const change = changes.at(step)!;
    if (change.op === 'zero') zeroes.push(step); // counters cannot be put back: zero once all else is done
    else await runStep(api, change, step, outcomes, record);
  }
  for (const index of zeroes) {
    if (!stopped()) await runStep(api, changes.at(index)!, index, outcomes, record);
  }

  const counts = { applied: 0, refused: 0, unknown: 0, unsent: 0 };
  for (const outcome of outcomes) counts[OUTCOMES[outcome]!]++;
  if (counts.applied === changes.length) return { ok: true, applied: counts.applied };
  const reason: FailureReason = transportFailure || counts.unknown > 0 ? 'transport' : signal?.aborted ? 'aborted' : 'refused';
  const cause = transportFailure ?? (reason === 'aborted' ? abortError(signal) : undefined);
  // stopped between two steps: no change failed, the first not sent is where it stopped
  const first = failures[0] ?? firstProblem ?? { index: outcomes.indexOf(UNSENT), error: cause ?? abortError(signal) };
  const rollback = await restorePrior(api, prior);
  return {
    ok: false, reason, index: first.index, error: first.error, failures, counts, rollback,
    ...(cause ? { cause } : {}),
    outcome: (index) => OUTCOMES[outcomes[index] ?? UNSENT]!,
  };
}

/** The change failed only because the signal stopped the batch before sending it. */
function stoppedBy(signal: AbortSignal | undefined, error: Error): boolean {
  if (!signal?.aborted || !(error instanceof IpvsTransportError) || error.sent) return false;
  return error.failure === signal.reason || error.failure.name === 'AbortError';
}

/** A table-wide step: one request of its own. */
async function runStep(
  api: IpvsApi, change: Change, index: number, outcomes: Uint8Array, record: (index: number, error: Error) => void,
): Promise<void> {
  if (isOperation(change)) throw new Error(`change ${index} is a batch operation, not a step`);
  try {
    if (change.op === 'flush') await api.flush();
    else if (change.op === 'setTimeouts') await api.setTimeouts(change.timeouts);
    else await api.zero(change.service);
    outcomes[index] = APPLIED;
  } catch (error) {
    record(index, error instanceof Error ? error : new Error(String(error)));
  }
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('the transaction was stopped');
  error.name = 'AbortError';
  return error;
}
