import {
  applyAllOrNothing, listDestinations, needsPriorState, readPriorState, serviceId, type Operation, type ServiceKey,
} from '@tsipvs/ipvs-core';
import type { CommandOf, ParsedCommand } from '../argv/command';
import { Output, type CommandContext } from '../environment';
import { CliError, EXIT_KERNEL, EXIT_USAGE, messageOf } from '../errors';
import type { Naming } from '../format/endpoint';
import { sortDestinations, sortServices } from '../format/sort';
import { RestoreChanges } from '../rules/restore-changes';
import { lineCount, startProgress, type Progress } from '../progress';
import { readSaveLines, type SaveLineVisitor } from '../rules/restore-input';
import { saveDestinationLine, saveServiceLine } from '../rules/save-format';

/** -S [-n]: the table in the save grammar, sorted like the listing. */
export async function runSave({ numeric }: CommandOf<'save'>, context: CommandContext): Promise<number> {
  const api = await context.api();
  const naming: Naming = { numeric, resolver: context.env.resolver };
  try {
    for await (const { service, destinations } of listDestinations(api, sortServices(await api.getServices()))) {
      // one flat string per service (see listServices)
      const lines = [saveServiceLine(service, naming)];
      for (const d of sortDestinations(destinations)) lines.push(saveDestinationLine(service, d, naming));
      context.output.out(lines.join(''));
    }
    return 0;
  } catch (error) {
    context.output.err(`${messageOf(error)}\n`);
    return 1;
  }
}

interface RestoreStep {
  readonly lineNumber: number;
  readonly command: ParsedCommand;
}

/** Runs one parsed command line (restore runs lines that are not plain changes one by one). */
export type CommandRunner = (command: ParsedCommand, context: CommandContext) => Promise<number>;

/** Restore input read as plain changes (-A -E -D -a -e -d). */
interface RestoreReading {
  readonly changes: RestoreChanges;
  /** Services the changes edit or delete: their state is read first, to undo on failure. */
  readonly touched: Map<string, ServiceKey>;
  /** "line N: message" for every bad line. */
  readonly problems: string[];
  /** Exit status of the first bad line (0: none). */
  readonly status: number;
}

/**
 * -R: reads all of stdin, validates every line first (nothing is applied if one is bad), then
 * applies. Plain changes (-A -E -D -a -e -d) go through one pipelined batch; if any fails, the table
 * is brought back to what it was. Input with other commands runs line by line.
 */
export async function runRestore(context: CommandContext, runCommand: CommandRunner): Promise<number> {
  const { env } = context;
  const text = await env.readStdin();
  const lines = lineCount(text);
  const progress = await startProgress(env, `${env.program} -R`, lines);
  try {
    progress.count('checking lines', lines);
    const reading = await readChanges(text, context, progress);
    if (!reading) return await runOneByOne(text, lines, context, runCommand, progress);
    for (const problem of reading.problems) context.output.err(problem);
    if (reading.status) return reading.status;
    progress.wait(`applying ${reading.changes.length} changes`);
    return await applyBatch(reading, context);
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

/** Lines restore refuses to run. */
function forbidden(command: ParsedCommand, argv: readonly string[]): CliError | undefined {
  const refused = command.command === 'restore' || command.command === 'help' || command.command === 'version-line';
  return refused ? new CliError(`${argv[0]} is not allowed in restore input`, EXIT_USAGE) : undefined;
}

function problemLine(lineNumber: number, error: CliError): string {
  return `line ${lineNumber}: ${error.message.replace(/\n+$/, '')}\n`;
}

/** Reads every line as a change; undefined as soon as a line is another kind of command. */
async function readChanges(text: string, { env }: CommandContext, progress: Progress): Promise<RestoreReading | undefined> {
  const changes = new RestoreChanges(text);
  const touched = new Map<string, ServiceKey>();
  const note = (op: Operation): void => {
    if (needsPriorState(op)) touched.set(serviceId(op.service), op.service);
  };
  const problems: string[] = [];
  let status = 0;
  const refused = (error: CliError, lineNumber: number): void => {
    problems.push(problemLine(lineNumber, error));
    status ||= error.exitCode;
  };
  const onlyChanges = await readSaveLines(text, env.resolver, env.program, countingLines({
    scanned: (change, lineNumber, start, end) => {
      note(change);
      changes.addScanned(start, end, lineNumber);
    },
    parsed: (command, lineNumber, argv) => {
      const refusal = forbidden(command, argv);
      if (refusal) return refused(refusal, lineNumber);
      if (command.command !== 'change') return false;
      note(command.operation);
      changes.addParsed(command.operation, lineNumber);
    },
    refused,
  }, progress));
  return onlyChanges ? { changes, touched, problems, status } : undefined;
}

/** All-or-nothing through the library: pipelined batch, and on any refusal the table is put back. */
async function applyBatch({ changes, touched }: RestoreReading, context: CommandContext): Promise<number> {
  if (changes.length === 0) return 0;
  const api = await context.api();
  const before = await readPriorState(api, touched.values());
  const result = await applyAllOrNothing(api, before, changes);
  if (result.ok) return 0;
  for (const failure of result.failures) context.output.err(`line ${changes.lineNumber(failure.index)}: ${messageOf(failure.error)}\n`);
  context.output.err(
    result.rollbackErrors.length
      ? `restore failed: the table could not be fully restored (${result.rollbackErrors.map(messageOf).join('; ')})\n`
      : 'restore failed: nothing applied (the table is as before)\n',
  );
  return EXIT_KERNEL;
}

/** Input with commands other than changes: every line is validated, then each runs on its own. */
async function runOneByOne(text: string, lines: number, context: CommandContext, runCommand: CommandRunner, progress: Progress): Promise<number> {
  const steps: RestoreStep[] = [];
  let status = 0;
  const refused = (error: CliError, lineNumber: number): void => {
    context.output.err(problemLine(lineNumber, error));
    status ||= error.exitCode;
  };
  progress.count('checking lines', lines);
  await readSaveLines(text, context.env.resolver, context.env.program, countingLines({
    scanned: (operation, lineNumber) => {
      steps.push({ lineNumber, command: { command: 'change', operation } });
    },
    parsed: (command, lineNumber, argv) => {
      const refusal = forbidden(command, argv);
      if (refusal) refused(refusal, lineNumber);
      else steps.push({ lineNumber, command });
    },
    refused,
  }, progress));
  return status || applyOneByOne(steps, context, runCommand, progress);
}

async function applyOneByOne(steps: readonly RestoreStep[], context: CommandContext, runCommand: CommandRunner, progress: Progress): Promise<number> {
  let status = 0;
  progress.count('running lines', steps.length);
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
