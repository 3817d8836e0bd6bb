/**
 * `tsipvs apply [--dry-run] [--json] FILE`: brings the kernel's table to the rules in FILE (ipvsadm save
 * grammar, or the JSON of `tsipvs -L --json`; `-` reads stdin) with the minimal change set, sent
 * pipelined and all-or-nothing. The plan is printed in ipvsadm's grammar: `+` adds, `~` edits in place,
 * `-` deletes.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ChangePlan, Operation, RuleService, Ruleset } from '@tsipvs/ipvs-core';
import { CliError, EXIT_KERNEL, EXIT_USAGE, messageOf } from '../errors';
import type { Naming } from '../format/endpoint';
import { FilesResolver } from '../names/files';
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

function planLine(op: Operation, desired: ReadonlyMap<string, RuleService>): string {
  const svc = (key: Operation['service']) => serviceArguments(key, NUMERIC);
  switch (op.op) {
    case 'addService':
      return `+ ${saveServiceLine({ key: op.service, ...op.options }, NUMERIC)}`;
    case 'editService':
      return `~ ${saveServiceLine({ key: op.service, ...op.options }, NUMERIC).replace(/^-A /, '-E ')}`;
    case 'deleteService':
      return `- -D ${svc(op.service)}\n`;
    case 'addDestination':
      return `+ ${saveDestinationLine({ key: op.service }, { key: op.destination, ...op.options }, NUMERIC)}`;
    case 'editDestination':
      return `~ ${saveDestinationLine({ key: op.service }, { key: op.destination, ...op.options }, NUMERIC).replace(/^-a /, '-e ')}`;
    case 'deleteDestination': {
      void desired;
      const line = saveDestinationLine({ key: op.service }, { key: op.destination, forwarding: 0, weight: 0, upperThreshold: 0, lowerThreshold: 0, tunnelType: 0, tunnelPort: 0, tunnelFlags: 0 }, NUMERIC);
      return `- ${line.replace(/^-a /, '-d ').replace(/ -[gmi] -w .*$/, '')}`;
    }
  }
}

function planText(plan: ChangePlan, desired: Ruleset): string {
  const byId = new Map<string, RuleService>();
  void desired;
  const s = plan.summary;
  const lines = plan.operations.map((op) => planLine(op, byId));
  const total = plan.operations.length;
  lines.push(
    `${total === 0 ? 'no changes' : `${total} change${total === 1 ? '' : 's'}`}: services +${s.servicesAdded} ~${s.servicesEdited} -${s.servicesDeleted}, ` +
      `real servers +${s.destinationsAdded} ~${s.destinationsEdited} -${s.destinationsDeleted}\n`,
  );
  return lines.join('');
}

function planJson(plan: ChangePlan, applied: boolean): string {
  return `${JSON.stringify({ applied, summary: plan.summary, operations: plan.operations.map((op) => planLine(op, new Map()).trimEnd()) }, null, 2)}\n`;
}

/** The input line behind an operation, when the file defines its object. */
function lineOf(op: Operation, file: RulesetFile, ids: { serviceId: (k: Operation['service']) => string; destinationId: (k: { address: string; port: number }) => string }): number | undefined {
  const sid = ids.serviceId(op.service);
  return 'destination' in op ? (file.lines.get(`${sid}|${ids.destinationId(op.destination)}`) ?? file.lines.get(sid)) : file.lines.get(sid);
}

async function runApply(path: string, flags: ApplyFlags): Promise<number> {
  const core = await import('@tsipvs/ipvs-core');
  let ipvs: import('@tsipvs/ipvs-core').IpvsClient | undefined;
  try {
    const text = path === '-' ? await readStdin() : await readFile(path, 'latin1').catch((error: Error) => {
      throw new CliError(`cannot read ${path}: ${error.message}`, EXIT_USAGE);
    });
    const file = await readRulesetText(text, new FilesResolver({ systemLookup: true }), 'tsipvs');
    ipvs = await core.openIpvs();
    try {
      const outcome = await core.applyRuleset(ipvs, file.ruleset, { dryRun: flags.dryRun === true });
      process.stdout.write(flags.json ? planJson(outcome.plan, outcome.applied) : planText(outcome.plan, file.ruleset));
      return 0;
    } catch (error) {
      if (!(error instanceof core.TransactionError)) throw error;
      const line = lineOf(error.operation, file, core);
      const where = line !== undefined ? `line ${line}: ` : `${planLine(error.operation, new Map()).trim()}: `;
      throw new CliError(`${where}${error.message}\nnothing was changed`, EXIT_KERNEL);
    }
  } catch (error) {
    process.stderr.write(`${messageOf(error)}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  } finally {
    ipvs?.close();
  }
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    process.stdin.on('error', reject);
  });
}
