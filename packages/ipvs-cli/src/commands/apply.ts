/**
 * `tsipvs apply [--dry-run] [--json] [--allow-empty] FILE`: brings the kernel's table to the rules in FILE
 * (ipvsadm save grammar, or the JSON of `tsipvs -L --json`; `-` reads stdin) with the minimal change set,
 * sent pipelined and all-or-nothing. The plan is printed in ipvsadm's grammar: `+` adds, `~` edits in
 * place, `-` deletes. Rules that define no service would delete every service: refused unless
 * `--allow-empty`.
 */
import {
  applyRuleset, destinationSettings, serviceSettings, TransactionError, type ChangePlan, type Operation, type Ruleset,
} from '@tsipvs/ipvs-core';
import type { Command } from 'commander';
import type { CommandOf } from '../argv/command';
import type { CommandContext } from '../environment';
import { CliError, EXIT_USAGE } from '../errors';
import { endpointName, type Naming } from '../format/endpoint';
import { showingTableProgress, startProgress } from '../progress';
import { readRulesetText, type RulesetFile } from '../rules/ruleset-file';
import { saveDestinationLine, saveServiceLine, serviceArguments } from '../rules/save-format';
import { transactionReport } from '../rules/transaction-report';
import { runBulkChange, WAIT_OPTION, waitMsOf } from '../bulk-change';
import { runCommander } from './subcommand';

interface ApplyFlags {
  readonly dryRun?: boolean;
  readonly json?: boolean;
  readonly allowEmpty?: boolean;
  /** --wait (true) or --wait=SECONDS. */
  readonly wait?: boolean | string;
}

/** The `apply` command's words and options (also read by shell completion). */
export function defineApplyCommand(program: Command): Command {
  return program
    .command('apply')
    .description('make the IPVS table equal to FILE with the fewest changes, all or nothing')
    .argument('<file>', 'rules in the ipvsadm save format or tsipvs JSON; - for stdin')
    .option('--dry-run', 'print the plan, change nothing')
    .option('--json', 'print the plan as JSON')
    .option('--allow-empty', 'accept rules that define no service (applying them deletes every service)')
    .option(...WAIT_OPTION);
}

export function run(command: CommandOf<'apply'>, context: CommandContext): Promise<number> {
  return runCommander(command, context, (program, exit) => {
    defineApplyCommand(program).action(async (file: string, flags: ApplyFlags) => exit(await apply(file, flags, context)));
  });
}

/** One operation in ipvsadm's grammar, marked + (add), ~ (edit in place) or - (delete). */
function planLine(op: Operation, naming: Naming): string {
  const service = serviceArguments(op.service, naming);
  switch (op.op) {
    case 'addService':
      return `+ ${saveServiceLine({ key: op.service, ...serviceSettings(op.service, op.options) }, naming)}`;
    case 'editService':
      return `~ ${saveServiceLine({ key: op.service, ...serviceSettings(op.service, op.options) }, naming).replace(/^-A /, '-E ')}`;
    case 'deleteService':
      return `- -D ${service}\n`;
    case 'addDestination':
      return `+ ${saveDestinationLine({ key: op.service }, { key: op.destination, ...destinationSettings(op.options) }, naming)}`;
    case 'editDestination':
      return `~ ${saveDestinationLine({ key: op.service }, { key: op.destination, ...destinationSettings(op.options) }, naming).replace(/^-a /, '-e ')}`;
    case 'deleteDestination': {
      const protocol = 'fwmark' in op.service ? 0 : op.service.protocol;
      const server = endpointName(op.destination.family, op.destination.address, op.destination.port, protocol, naming);
      return `- -d ${service} -r ${server}\n`;
    }
  }
}

function planText(plan: ChangePlan, naming: Naming): string {
  const s = plan.summary;
  const total = plan.operations.length;
  return (
    plan.operations.map((op) => planLine(op, naming)).join('') +
    `${total === 0 ? 'no changes' : `${total} change${total === 1 ? '' : 's'}`}: services +${s.servicesAdded} ~${s.servicesEdited} -${s.servicesDeleted}, ` +
    `real servers +${s.destinationsAdded} ~${s.destinationsEdited} -${s.destinationsDeleted}\n`
  );
}

function planJson(plan: ChangePlan, applied: boolean, naming: Naming): string {
  return `${JSON.stringify({ applied, summary: plan.summary, operations: plan.operations.map((op) => planLine(op, naming).trimEnd()) }, null, 2)}\n`;
}

/** The input line behind an operation: its real server's line, else its service's, when the file defines them. */
async function lineOf(op: Operation, file: RulesetFile): Promise<number | undefined> {
  const own = 'destination' in op ? await file.lineOf(op.service, op.destination) : undefined;
  return own ?? file.lineOf(op.service);
}

async function apply(path: string, flags: ApplyFlags, context: CommandContext): Promise<number> {
  const { env } = context;
  const text = await readInput(path, context);
  const file = await readRulesetText(text, env.resolver, env.program);
  if (file.ruleset.services.length === 0 && !flags.allowEmpty) {
    // an empty file, comments only, /dev/null, a closed stdin, {"services":[]}: more often an accident
    // (a failed -S, a wrong path) than a wish to delete everything
    throw new CliError(
      `${path === '-' ? 'standard input' : path} defines no service: applying it would delete every service (--allow-empty to do that)`,
      EXIT_USAGE,
    );
  }
  const api = await context.api();
  const naming: Naming = { numeric: true, resolver: env.resolver };
  const progress = await startProgress(env, `${env.program} apply`, ruleCount(file.ruleset));
  try {
    if (flags.dryRun) {
      const outcome = await applyRuleset(showingTableProgress(api, progress), file.ruleset, { dryRun: true });
      context.output.out(flags.json ? planJson(outcome.plan, false, naming) : planText(outcome.plan, naming));
      return 0;
    }
    return await runBulkChange(context, `${env.program} apply ${path}`, waitMsOf(flags.wait), async (bulk) => {
      try {
        const outcome = await applyRuleset(showingTableProgress(api, progress), file.ruleset, { signal: bulk.signal, beforeSending: bulk.journal });
        context.output.out(flags.json ? planJson(outcome.plan, outcome.applied, naming) : planText(outcome.plan, naming));
        return { status: 0, settled: true };
      } catch (error) {
        if (!(error instanceof TransactionError)) throw error;
        const report = await failureReport(error, file, naming);
        context.output.err(report.text);
        return { status: report.status, settled: error.failure.rollback.complete };
      }
    });
  } finally {
    progress.stop();
  }
}

/** What apply says when its transaction failed: where (the input line), what, and the rollback's verdict. */
async function failureReport(error: TransactionError, file: RulesetFile, naming: Naming): Promise<{ text: string; status: number }> {
  const line = await lineOf(error.operation, file);
  const where = line !== undefined ? `line ${line}` : planLine(error.operation, naming).trim();
  // the first failure only: later refusals are mostly its consequences
  const failure = { ...error.failure, failures: error.failure.failures.slice(0, 1) };
  return transactionReport(failure, () => where, 'apply', {
    refused: 'nothing was changed',
    transport: 'the changes made were rolled back (nothing was changed)',
    aborted: 'stopped: the changes made were rolled back (nothing was changed)',
  });
}

/** The rules' text: a file or stdin. Unreadable input is an error, never an empty ruleset. */
async function readInput(path: string, { env }: CommandContext): Promise<string> {
  try {
    return await (path === '-' ? env.readStdin() : env.readFile(path));
  } catch (error) {
    throw new CliError(`cannot read ${path === '-' ? 'standard input' : path}: ${(error as Error).message}`, EXIT_USAGE);
  }
}

/** Services and real servers: the lines the ruleset has in the save format. */
function ruleCount(ruleset: Ruleset): number {
  return ruleset.services.reduce((count, service) => count + 1 + service.destinations.length, 0);
}
