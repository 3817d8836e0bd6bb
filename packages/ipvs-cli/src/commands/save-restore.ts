import { applyAllOrNothing, readRuleset, type Destination, type Operation, type Service } from '@tsipvs/ipvs-core';
import type { ParsedCommand } from '../argv/command';
import { parseCommandLine } from '../argv/parse';
import { Output, type CommandContext } from '../environment';
import { CliError, EXIT_KERNEL, EXIT_USAGE, messageOf } from '../errors';
import type { Naming } from '../format/endpoint';
import { endpointSortKey, sortByEndpoint, sortServices } from '../format/sort';
import { destinationsInOrder } from './prefetch';
import { operationOf } from '../rules/operations';
import { splitRestoreInput } from '../rules/restore-input';
import { saveDestinationLine, saveServiceLine } from '../rules/save-format';

/** -S [-n]: the table in the save grammar, sorted like the listing. */
export async function runSave(command: ParsedCommand, context: CommandContext): Promise<number> {
  const api = await context.api();
  const naming: Naming = { numeric: command.format.numeric, resolver: context.env.resolver };
  try {
    // each real server becomes its line (and sort key) as it arrives: nothing else is kept of it
    const collect = (service: Service, d: Destination) => ({ sortKey: endpointSortKey(d.key), line: saveDestinationLine(service, d, naming) });
    for await (const { service, items } of destinationsInOrder(api, sortServices(await api.getServices()), collect)) {
      // one flat string per service (see listServices)
      const lines = [saveServiceLine(service, naming)];
      for (const item of sortByEndpoint(items)) lines.push(item.line);
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

/** Runs one parsed command line (used by restore for lines that are not plain changes). */
export type CommandRunner = (command: ParsedCommand, context: CommandContext) => Promise<number>;

/**
 * -R: reads all of stdin, validates every line first (nothing is applied if one is bad), then
 * applies. Plain changes (-A -E -D -a -e -d) go through one pipelined batch; if any fails, the table
 * is brought back to what it was. Other commands run one by one.
 */
export async function runRestore(context: CommandContext, runCommand: CommandRunner): Promise<number> {
  const { env, output } = context;
  const steps: RestoreStep[] = [];
  let firstFailure = 0;
  for (const line of splitRestoreInput(await env.readStdin())) {
    try {
      const parsed = await parseCommandLine(line.argv, env.resolver, env.program);
      if (parsed.kind !== 'run' || parsed.command.command === 'restore') {
        throw new CliError(`${line.argv[0]} is not allowed in restore input`, EXIT_USAGE);
      }
      steps.push({ lineNumber: line.lineNumber, command: parsed.command });
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      output.err(`line ${line.lineNumber}: ${error.message.replace(/\n+$/, '')}\n`);
      firstFailure ||= error.exitCode;
    }
  }
  if (firstFailure) return firstFailure;
  const operations = steps.map((s) => operationOf(s.command));
  if (operations.every((op) => op !== undefined)) return applyBatch(steps, operations as Operation[], context);
  return applyOneByOne(steps, context, runCommand);
}

/** All-or-nothing through the library: pipelined batch, and on any refusal the table is put back. */
async function applyBatch(steps: readonly RestoreStep[], operations: Operation[], context: CommandContext): Promise<number> {
  if (operations.length === 0) return 0;
  const api = await context.api();
  const before = await readRuleset(api);
  const result = await applyAllOrNothing(api, before, operations);
  if (result.ok) return 0;
  for (const failure of result.failures) context.output.err(`line ${steps[failure.index]!.lineNumber}: ${failure.error.message}\n`);
  context.output.err(
    result.rollbackErrors.length
      ? `restore failed: the table could not be fully restored (${result.rollbackErrors.map((e) => e.message).join('; ')})\n`
      : 'restore failed: nothing applied (the table is as before)\n',
  );
  return EXIT_KERNEL;
}

async function applyOneByOne(steps: readonly RestoreStep[], context: CommandContext, runCommand: CommandRunner): Promise<number> {
  let status = 0;
  for (const step of steps) {
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
