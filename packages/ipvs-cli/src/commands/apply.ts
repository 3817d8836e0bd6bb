/**
 * `tsipvs apply [--dry-run] [--json] FILE`: brings the kernel's table to the rules in FILE (ipvsadm save
 * grammar, or the JSON of `tsipvs -L --json`; `-` reads stdin) with the minimal change set, sent
 * pipelined and all-or-nothing. The plan is printed in ipvsadm's grammar: `+` adds, `~` edits in place,
 * `-` deletes.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  applyRuleset, TransactionError, type ChangePlan, type IpvsApi, type Operation,
} from '@tsipvs/ipvs-core';
import { CliError, EXIT_KERNEL, EXIT_USAGE, messageOf } from '../errors';
import { endpointName, type Naming } from '../format/endpoint';
import { FilesResolver } from '../names/files';
import { processEnvironment } from '../process';
import { readRulesetText, type RulesetFile } from '../rules/ruleset-file';
import { saveDestinationLine, saveServiceLine, serviceArguments } from '../rules/save-format';

interface ApplyFlags {
  readonly dryRun?: boolean;
  readonly json?: boolean;
}

export function register(program: Command): void {
  program
    .command('apply')
    .description('make the IPVS table equal to FILE with the fewest changes, all or nothing')
    .argument('<file>', 'rules in the ipvsadm save format or tsipvs JSON; - for stdin')
    .option('--dry-run', 'print the plan, change nothing')
    .option('--json', 'print the plan as JSON')
    .action(async (file: string, flags: ApplyFlags) => {
      process.exitCode = await runApply(file, flags);
    });
}

const NUMERIC: Naming = { numeric: true, resolver: new FilesResolver({ systemLookup: false }) };

/** One operation in ipvsadm's grammar, marked + (add), ~ (edit in place) or - (delete). */
function planLine(op: Operation): string {
  const service = serviceArguments(op.service, NUMERIC);
  switch (op.op) {
    case 'addService':
      return `+ ${saveServiceLine({ key: op.service, ...op.options }, NUMERIC)}`;
    case 'editService':
      return `~ ${saveServiceLine({ key: op.service, ...op.options }, NUMERIC).replace(/^-A /, '-E ')}`;
    case 'deleteService':
      return `- -D ${service}\n`;
    case 'addDestination':
      return `+ ${saveDestinationLine({ key: op.service }, { key: op.destination, ...op.options }, NUMERIC)}`;
    case 'editDestination':
      return `~ ${saveDestinationLine({ key: op.service }, { key: op.destination, ...op.options }, NUMERIC).replace(/^-a /, '-e ')}`;
    case 'deleteDestination': {
      const protocol = 'fwmark' in op.service ? 0 : op.service.protocol;
      const server = endpointName(op.destination.family, op.destination.address, op.destination.port, protocol, NUMERIC);
      return `- -d ${service} -r ${server}\n`;
    }
  }
}

function planText(plan: ChangePlan): string {
  const s = plan.summary;
  const total = plan.operations.length;
  return (
    plan.operations.map(planLine).join('') +
    `${total === 0 ? 'no changes' : `${total} change${total === 1 ? '' : 's'}`}: services +${s.servicesAdded} ~${s.servicesEdited} -${s.servicesDeleted}, ` +
    `real servers +${s.destinationsAdded} ~${s.destinationsEdited} -${s.destinationsDeleted}\n`
  );
}

function planJson(plan: ChangePlan, applied: boolean): string {
  return `${JSON.stringify({ applied, summary: plan.summary, operations: plan.operations.map((op) => planLine(op).trimEnd()) }, null, 2)}\n`;
}

/** The input line behind an operation: its real server's line, else its service's, when the file defines them. */
async function lineOf(op: Operation, file: RulesetFile): Promise<number | undefined> {
  const own = 'destination' in op ? await file.lineOf(op.service, op.destination) : undefined;
  return own ?? file.lineOf(op.service);
}

async function runApply(path: string, flags: ApplyFlags): Promise<number> {
  const env = processEnvironment();
  let ipvs: IpvsApi | undefined;
  try {
    const text = path === '-' ? await env.readStdin() : await readFile(path, 'latin1').catch((error: Error) => {
      throw new CliError(`cannot read ${path}: ${error.message}`, EXIT_USAGE);
    });
    const file = await readRulesetText(text, env.resolver, env.program);
    ipvs = await env.openApi();
    try {
      const outcome = await applyRuleset(ipvs, file.ruleset, { dryRun: flags.dryRun === true });
      process.stdout.write(flags.json ? planJson(outcome.plan, outcome.applied) : planText(outcome.plan));
      return 0;
    } catch (error) {
      if (!(error instanceof TransactionError)) throw error;
      const line = await lineOf(error.operation, file);
      const where = line !== undefined ? `line ${line}: ` : `${planLine(error.operation).trim()}: `;
      const outcome = error.failure.rollbackErrors.length > 0 ? 'the table could not be fully restored' : 'nothing was changed';
      throw new CliError(`${where}${error.message}\n${outcome}`, EXIT_KERNEL);
    }
  } catch (error) {
    process.stderr.write(`${messageOf(error)}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  } finally {
    ipvs?.close();
  }
}
