/**
 * `tsipvs version`: the versions of tsipvs, of the kernel's IPVS and of Node.js, one a line (`-v`
 * keeps ipvsadm's line, which scripts check). When IPVS cannot be opened, its line says the version is
 * unknown, the reason follows on stderr as for every other command, and the exit status is 2.
 */
import type { Command } from 'commander';
import type { CommandOf } from '../argv/command';
import type { CommandContext } from '../environment';
import { CliError } from '../errors';
import { versionLine } from '../format/text';
import { runCommander } from './subcommand';

export function defineVersionCommand(program: Command): Command {
  return program.command('version').description("print the versions of tsipvs, of the kernel's IPVS and of Node.js");
}

export function run(command: CommandOf<'version'>, context: CommandContext): Promise<number> {
  return runCommander(command, context, (program) => {
    defineVersionCommand(program).action(() => printVersions(context));
  });
}

async function printVersions(context: CommandContext): Promise<void> {
  const { env, output } = context;
  const versions = env.runtimeVersions();
  let ipvs: string;
  let failure: CliError | undefined;
  try {
    const info = await context.info();
    ipvs = versionLine(info.version, info.connectionTableSize);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    ipvs = 'IP Virtual Server version unknown\n';
    failure = error;
  }
  output.out(`${env.program} ${versions.tsipvs}\n${ipvs}Node.js ${versions.node}\n`);
  if (failure) throw failure;
}
