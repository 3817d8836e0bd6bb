/**
 * The safeguards of every bulk change (-R, apply, recover --rollback), around its transaction:
 * - the table lock: one bulk change per network namespace at a time (`--wait` waits for it, else exit 4);
 * - the intent journal: an unfinished one (a run that was killed) blocks every bulk change until
 *   `tsipvs recover` dealt with it; the change writes its own before sending and removes it once the
 *   table is as wanted or as before;
 * - signals: SIGINT, SIGTERM and SIGHUP stop sending; what was made is rolled back, and the command
 *   exits 128 + the signal's number.
 */
import { IpvsTableBusyError, JournalError, readIntent, removeIntent, writeIntent, type ChangeIntent, type PriorState } from '@tsipvs/ipvs-core';
import type { CommandContext } from './environment';
import { CliError, EXIT_BUSY, EXIT_USAGE } from './errors';

/** What a bulk change gets from its safeguards. */
export interface BulkChange {
  /** Aborted (with the signal's name as reason) when a stopping signal arrives. */
  readonly signal: AbortSignal;
  /** Writes the journal: call with the prior state once it is read, before sending anything. */
  journal(prior: PriorState): void;
}

/** How the change ended: its exit status, and whether the table is as wanted or as before (the journal can go). */
export interface BulkOutcome {
  readonly status: number;
  readonly settled: boolean;
}

/** The `--wait` option of the bulk subcommands, as commander's `.option(...)` arguments. */
export const WAIT_OPTION = ['--wait [seconds]', 'wait for another bulk change of the table to finish (without end, or up to SECONDS)'] as const;

/** `--wait` as commander gives it: absent (do not wait), true (without end) or SECONDS (whole, up to a day). */
export function waitMsOf(wait: boolean | string | undefined): number {
  if (wait === undefined || wait === false) return 0;
  if (wait === true) return Infinity;
  if (!/^\d+$/.test(wait) || Number(wait) > 86400) throw new CliError(`--wait: expected whole seconds up to 86400, got ${JSON.stringify(wait)}`, EXIT_USAGE);
  return Number(wait) * 1000;
}

/** The journal's own words about an unfinished change, for refusals and `recover`. */
export function describeIntent(file: string, intent: ChangeIntent): string {
  return `"${intent.command}" (pid ${intent.pid}, started ${intent.startedAt}) left ${file}`;
}

/** Reads this namespace's journal; a damaged one is an error (exit 4) naming it. */
export async function unfinishedChange(context: CommandContext): Promise<{ file: string; intent: ChangeIntent | undefined }> {
  const file = await context.env.journalFile();
  try {
    return { file, intent: readIntent(file) };
  } catch (error) {
    if (error instanceof JournalError) throw new CliError(`${error.message}; move it away once the table is checked`, EXIT_BUSY);
    throw error;
  }
}

/** Takes the table lock (waiting `waitMs`), or fails with exit 4. */
export async function lockTable(context: CommandContext, waitMs: number): Promise<{ release(): Promise<void> }> {
  try {
    return await context.env.lockTable({ waitMs });
  } catch (error) {
    if (error instanceof IpvsTableBusyError) throw new CliError(error.message, EXIT_BUSY);
    throw error;
  }
}

/**
 * Runs `change` under the lock, with the journal and the signals. `command` names the change in the
 * journal. Returns the exit status: the change's, or 128 + the signal's number when a signal stopped it.
 */
export async function runBulkChange(
  context: CommandContext, command: string, waitMs: number, change: (bulk: BulkChange) => Promise<BulkOutcome>,
): Promise<number> {
  const lock = await lockTable(context, waitMs);
  try {
    const { file, intent } = await unfinishedChange(context);
    if (intent) {
      throw new CliError(
        `an unfinished change ${describeIntent(file, intent)}: nothing was sent; see "${context.env.program} recover" ` +
          `(and "${context.env.program} recover --rollback" to put the table back as it was before that change)`,
        EXIT_BUSY,
      );
    }
    const watch = context.env.watchSignals();
    let written = false;
    try {
      const outcome = await change({
        signal: watch.signal,
        journal: (prior) => {
          writeIntent(file, { command, pid: context.env.pid, startedAt: context.env.clock.now().toISOString(), prior });
          written = true;
        },
      });
      if (written && outcome.settled) removeIntent(file);
      else if (written) context.output.err(`the journal ${file} keeps the table as it was before: "${context.env.program} recover --rollback" puts it back\n`);
      const stoppedBy = watch.signal.aborted ? String(watch.signal.reason) : undefined;
      if (stoppedBy && outcome.status !== 0) {
        context.output.err(`${context.env.program}: interrupted by ${stoppedBy}\n`);
        // node:os only here: loading it cost every command's start-up under emulation
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { signals } = (require('node:os') as typeof import('node:os')).constants;
        return 128 + (signals[stoppedBy as NodeJS.Signals] ?? 0);
      }
      return outcome.status;
    } finally {
      watch.release();
    }
  } finally {
    await lock.release();
  }
}
