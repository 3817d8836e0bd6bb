import { prepareTransaction, TransactionScope, type Change } from '@tsipvs/ipvs-core';
import type { CommandOf, ParsedCommand } from '../argv/command';
import { Output, type CommandContext } from '../environment';
import { CliError, EXIT_KERNEL, EXIT_USAGE, messageOf } from '../errors';
import type { Naming } from '../format/endpoint';
import { sortServices } from '../format/sort';
import { lineCount, startProgress, type Progress } from '../progress';
import { writeServiceBlocks } from './list';
import { RestoreChanges } from '../rules/restore-changes';
import { readSaveLines, type SaveLineVisitor } from '../rules/restore-input';
import { saveDestinationLine, saveServiceLine } from '../rules/save-format';
import { transactionReport } from '../rules/transaction-report';
import { runBulkChange, type BulkChange, type BulkOutcome } from '../bulk-change';

/**
 * -S [-n]: the table in the save grammar, sorted like the listing. If a dump fails midway, what was
 * written is only part of the table: stderr says so, so that nobody restores or applies it.
 */
export async function runSave({ numeric }: CommandOf<'save'>, context: CommandContext): Promise<number> {
  const api = await context.api();
  const naming: Naming = { numeric, resolver: context.env.resolver };
  try {
    await writeServiceBlocks(api, sortServices(await api.getServices()), {
      head: (service) => saveServiceLine(service, naming),
      line: (d, service) => saveDestinationLine(service, d, naming),
      sorted: true,
    }, (text) => context.output.out(text));
    return 0;
  } catch (error) {
    context.output.err(`${messageOf(error)}\n`);
    context.output.err('save incomplete: the rules written are only part of the table; do not restore or apply them\n');
    return 1;
  }
}

interface RestoreStep {
  readonly lineNumber: number;
  readonly command: ParsedCommand;
}

/** Runs one parsed command line (restore runs its listing lines this way). */
export type CommandRunner = (command: ParsedCommand, context: CommandContext) => Promise<number>;

/** Restore input, read and checked. */
interface RestoreReading {
  /** Every change, in order: -A -E -D -a -e -d, and -C, -Z, --set. */
  readonly changes: RestoreChanges;
  /** What they touch, noted while reading (the transaction reads its prior state from it). */
  readonly scope: TransactionScope;
  /** Listing lines (-L, -l, -S): run once the changes are made. */
  readonly listings: RestoreStep[];
  /** "line N: message" for every bad line. */
  readonly problems: string[];
  /** Exit status of the first bad line (0: none). */
  readonly status: number;
}

/**
 * -R: reads all of stdin and checks every line first (nothing is sent if one is bad). Then every
 * change, -C, -Z and --set included, is one all-or-nothing transaction (see @tsipvs/ipvs-core's
 * `prepareTransaction`): operations are sent pipelined, -C and --set at their place, -Z last; if
 * anything fails, the table is read back and put back as it was, and read back again to check.
 * Listing lines run afterwards, when everything was made.
 */
export async function runRestore({ waitMs }: CommandOf<'restore'>, context: CommandContext, runCommand: CommandRunner): Promise<number> {
  const { env } = context;
  const text = await env.readStdin();
  const lines = lineCount(text);
  const progress = await startProgress(env, `${env.program} -R`, lines);
  try {
    progress.count('checking lines', lines);
    const reading = await readRestore(text, context, progress);
    for (const problem of reading.problems) context.output.err(problem);
    if (reading.status) return reading.status;
    const status = reading.changes.length === 0 ? 0
      : await runBulkChange(context, `${env.program} -R`, waitMs, (bulk) => applyTransaction(reading, context, progress, bulk));
    return status || await runListings(reading.listings, context, runCommand, progress);
  } finally {
    progress.stop();
  }
}

/** `visitor`, telling `progress` the number of each line it is given. */
function countingLines(visitor: SaveLineVisitor, progress: Progress): SaveLineVisitor {
  return {
    scanned: (change, lineNumber, start, end) => {
      progress.reached(lineNumber);
      visitor.scanned(change, lineNumber, start, end);
    },
    parsed: (command, lineNumber, argv) => {
      progress.reached(lineNumber);
      return visitor.parsed(command, lineNumber, argv);
    },
    refused: (error, lineNumber) => {
      progress.reached(lineNumber);
      visitor.refused(error, lineNumber);
    },
  };
}

/** Lines restore refuses before sending anything. */
function refusal(command: ParsedCommand, argv: readonly string[]): CliError | undefined {
  switch (command.command) {
    case 'restore': case 'help': case 'version-line':
      return new CliError(`${argv[0]} is not allowed in restore input`, EXIT_USAGE);
    case 'start-daemon': case 'stop-daemon':
      return new CliError(`${argv[0]} is not allowed in restore input: a sync daemon cannot be part of the all-or-nothing restore (run it on its own)`, EXIT_USAGE);
    case 'change': case 'flush': case 'zero': case 'set': case 'list': case 'save':
      return undefined;
    default:
      return new CliError(`${argv[0]} is not allowed in restore input`, EXIT_USAGE);
  }
}

/** The change a line makes, if it makes one. */
function changeOf(command: ParsedCommand): Change | undefined {
  switch (command.command) {
    case 'change': return command.operation;
    case 'flush': return { op: 'flush' };
    case 'zero': return command.service ? { op: 'zero', service: command.service } : { op: 'zero' };
    case 'set': return { op: 'setTimeouts', timeouts: command.timeouts };
    default: return undefined;
  }
}

function problemLine(lineNumber: number, error: CliError): string {
  return `line ${lineNumber}: ${error.message.replace(/\n+$/, '')}\n`;
}

async function readRestore(text: string, { env }: CommandContext, progress: Progress): Promise<RestoreReading> {
  const changes = new RestoreChanges();
  const scope = new TransactionScope();
  const listings: RestoreStep[] = [];
  const problems: string[] = [];
  let status = 0;
  const refused = (error: CliError, lineNumber: number): void => {
    problems.push(problemLine(lineNumber, error));
    status ||= error.exitCode;
  };
  await readSaveLines(text, env.resolver, env.program, countingLines({
    scanned: (change, lineNumber) => {
      scope.add(change);
      changes.add(change, lineNumber);
    },
    parsed: (command, lineNumber, argv) => {
      const refusedLine = refusal(command, argv);
      if (refusedLine) return refused(refusedLine, lineNumber);
      const change = changeOf(command);
      if (!change) {
        listings.push({ lineNumber, command });
        return;
      }
      scope.add(change);
      changes.add(change, lineNumber);
    },
    refused,
  }, progress));
  return { changes, scope, listings, problems, status };
}

/** The changes as one transaction; on failure, the report of what happened and of the table read back. */
async function applyTransaction(
  { changes, scope }: RestoreReading, context: CommandContext, progress: Progress, bulk: BulkChange,
): Promise<BulkOutcome> {
  const api = await context.api();
  let transaction;
  progress.wait('reading what the changes touch');
  try {
    transaction = await prepareTransaction(api, changes, { scope });
  } catch (error) {
    context.output.err(`restore failed: reading the table before changing it failed (${messageOf(error)}); nothing was sent\n`);
    return { status: EXIT_KERNEL, settled: true };
  }
  if (bulk.signal.aborted) {
    context.output.err('restore stopped before sending anything (the table is as before)\n');
    return { status: EXIT_KERNEL, settled: true };
  }
  bulk.journal(transaction.prior);
  progress.wait(`applying ${changes.length} changes`);
  const result = await transaction.run({ signal: bulk.signal });
  if (result.ok) return { status: 0, settled: true };
  const report = transactionReport(result, (index) => `line ${changes.lineNumber(index)}`, 'restore', {
    refused: 'restore failed: nothing applied (the table is as before)',
    transport: 'restore failed: the changes made were rolled back (the table is as before)',
    aborted: 'restore stopped: the changes made were rolled back (the table is as before)',
  });
  context.output.err(report.text);
  return { status: report.status, settled: result.rollback.complete };
}

/** Listing lines of restore input, once the changes are made: each on its own, errors named by line. */
async function runListings(steps: readonly RestoreStep[], context: CommandContext, runCommand: CommandRunner, progress: Progress): Promise<number> {
  let status = 0;
  if (steps.length > 0) progress.count('running listing lines', steps.length);
  for (const [index, step] of steps.entries()) {
    progress.reached(index + 1);
    const lineOutput = new Output();
    const lineContext = context.withOutput(lineOutput);
    let code: number;
    try {
      code = await runCommand(step.command, lineContext);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      lineOutput.err(`${error.message}\n`);
      code = error.exitCode;
    }
    context.output.out(lineOutput.stdout);
    if (lineOutput.stderr) context.output.err(`line ${step.lineNumber}: ${lineOutput.stderr}`);
    status ||= code;
  }
  return status;
}
