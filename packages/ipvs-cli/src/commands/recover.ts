/**
 * `tsipvs recover [--rollback | --forget] [--wait [SECONDS]]`: what a bulk change (-R, apply) that was
 * killed half-way left behind. Its intent journal holds the table as it was before that change: recover
 * shows how the table differs from it now; `--rollback` puts it back (all-or-nothing, read back to check)
 * and removes the journal; `--forget` removes the journal and keeps the table as it is.
 */
import { describeDifference, differences, readCurrentState, removeIntent, restorePrior } from '@tsipvs/ipvs-core';
import type { Command } from 'commander';
import type { CommandOf } from '../argv/command';
import { describeIntent, lockTable, unfinishedChange, WAIT_OPTION, waitMsOf } from '../bulk-change';
import type { CommandContext } from '../environment';
import { CliError, EXIT_NOT_ROLLED_BACK, EXIT_USAGE, messageOf } from '../errors';
import { runCommander } from './subcommand';

interface RecoverFlags {
  readonly rollback?: boolean;
  readonly forget?: boolean;
  readonly wait?: boolean | string;
}

/** The `recover` command's words and options (also read by shell completion). */
export function defineRecoverCommand(program: Command): Command {
  return program
    .command('recover')
    .description('show what a killed -R or apply left, and put the table back as it was before it')
    .option('--rollback', 'put the table back as it was before the unfinished change, then remove its journal')
    .option('--forget', 'remove the journal and keep the table as it is')
    .option(...WAIT_OPTION);
}

export function run(command: CommandOf<'recover'>, context: CommandContext): Promise<number> {
  return runCommander(command, context, (program, exit) => {
    defineRecoverCommand(program).action(async (flags: RecoverFlags) => exit(await recover(flags, context)));
  });
}

const DIFFERENCES_SHOWN = 50;

async function recover(flags: RecoverFlags, context: CommandContext): Promise<number> {
  if (flags.rollback && flags.forget) throw new CliError('--rollback and --forget exclude each other', EXIT_USAGE);
  // under the lock: while a bulk change runs, its journal is not a leftover
  const lock = await lockTable(context, waitMsOf(flags.wait));
  try {
    const { file, intent } = await unfinishedChange(context);
    const { output } = context;
    if (!intent) {
      output.out('no unfinished change in this network namespace\n');
      return 0;
    }
    output.out(`unfinished change: ${describeIntent(file, intent)}\n`);
    if (flags.forget) {
      removeIntent(file);
      output.out('journal removed; the table stays as it is\n');
      return 0;
    }
    const api = await context.api();
    if (flags.rollback) {
      const report = await restorePrior(api, intent.prior);
      if (report.complete) {
        removeIntent(file);
        output.out('rolled back: the table is as it was before that change (read back); journal removed\n');
        return 0;
      }
      output.err('rolling back failed: the table is not as it was before that change:\n');
      for (const d of (report.remaining ?? []).slice(0, DIFFERENCES_SHOWN)) output.err(`  ${describeDifference(d)}\n`);
      if (!report.remaining) output.err('  (the table could not be read back)\n');
      for (const error of report.errors.slice(0, 3)) output.err(`rolling back: ${messageOf(error)}\n`);
      output.err(`the journal ${file} stays; try again, or --forget it\n`);
      return EXIT_NOT_ROLLED_BACK;
    }
    const found = differences(intent.prior, await readCurrentState(api, intent.prior));
    if (found.length === 0) {
      output.out('the table is as it was before that change: --rollback (or --forget) only removes the journal\n');
      return 0;
    }
    output.out(`the table differs from before that change in ${found.length} place${found.length === 1 ? '' : 's'}:\n`);
    for (const d of found.slice(0, DIFFERENCES_SHOWN)) output.out(`  ${describeDifference(d)}\n`);
    if (found.length > DIFFERENCES_SHOWN) output.out(`  ... and ${found.length - DIFFERENCES_SHOWN} more\n`);
    output.out(`"${context.env.program} recover --rollback" puts it back; "${context.env.program} recover --forget" keeps it\n`);
    return 0;
  } finally {
    await lock.release();
  }
}
