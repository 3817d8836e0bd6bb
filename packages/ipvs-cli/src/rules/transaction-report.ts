/**
 * What `-R` and `apply` print when their transaction fails: what went wrong (the kernel's refusals, each
 * by line; a failed exchange with the kernel; a stop), then what the rollback found when it read the
 * table back: as before, not as before (each difference), or unreadable. Three verdicts, three texts.
 */
import { describeDifference, type TransactionFailure } from '@tsipvs/ipvs-core';
import { EXIT_KERNEL, EXIT_NOT_ROLLED_BACK, messageOf } from '../errors';

/** Differences listed one per line; beyond this many, a count. */
const DIFFERENCES_SHOWN = 20;

export interface TransactionReport {
  /** stderr text, each line ended by a newline. */
  readonly text: string;
  /** EXIT_KERNEL when the table was read back as before, EXIT_NOT_ROLLED_BACK otherwise. */
  readonly status: number;
}

/**
 * The report of a failed transaction. `where(index)` names the input of change `index` ("line 5");
 * `verdicts` are the last line when the table was read back as before, for each reason.
 */
export function transactionReport(
  failure: TransactionFailure,
  where: (index: number) => string,
  command: string,
  verdicts: { readonly refused: string; readonly transport: string; readonly aborted: string },
): TransactionReport {
  const lines: string[] = [];
  if (failure.reason === 'refused') {
    for (const { index, error } of failure.failures) lines.push(`${where(index)}: ${messageOf(error)}`);
  } else {
    const { applied, unknown, unsent } = failure.counts;
    const what = failure.reason === 'aborted' ? 'stopped' : messageOf(failure.error);
    lines.push(`${where(failure.index)}: ${what}`);
    lines.push(`${failure.reason === 'aborted' ? 'stopped' : 'the exchange with the kernel failed'}: ` +
      `${applied} change${applied === 1 ? '' : 's'} made, ${unknown} unanswered (made or not), ${unsent} not sent`);
  }
  const { rollback } = failure;
  if (rollback.complete) {
    lines.push(verdicts[failure.reason]);
    return { text: lines.map((l) => `${l}\n`).join(''), status: EXIT_KERNEL };
  }
  if (!rollback.remaining) {
    lines.push(`${command} failed and the table could not be read back: its state is unknown`);
  } else {
    lines.push(`${command} failed and rolling back failed: the table is not as before:`);
    for (const d of rollback.remaining.slice(0, DIFFERENCES_SHOWN)) lines.push(`  ${describeDifference(d)}`);
    const more = rollback.remaining.length - DIFFERENCES_SHOWN;
    if (more > 0) lines.push(`  ... and ${more} more difference${more === 1 ? '' : 's'}`);
  }
  const [first, ...others] = rollback.errors;
  if (first) lines.push(`rolling back: ${first.message}${others.length ? ` (and ${others.length} more error${others.length === 1 ? '' : 's'})` : ''}`);
  return { text: lines.map((l) => `${l}\n`).join(''), status: EXIT_NOT_ROLLED_BACK };
}
