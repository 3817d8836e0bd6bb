import { parseCommandLine } from './argv/parse';
import { runCommand } from './commands/run';
import { CommandContext, Output, type CliEnvironment } from './environment';
import { CliError, messageOf } from './errors';
import { helpText, versionText } from './help';

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
}

/** Words that select the commander-based subcommands instead of the ipvsadm-compatible grammar. */
export const SUBCOMMANDS: ReadonlySet<string> = new Set(['sysctl', 'realserver', 'director', 'apply']);

/** Runs one ipvsadm-compatible command line against `env`; never touches the process itself. */
export async function main(argv: readonly string[], env: CliEnvironment): Promise<RunResult> {
  const output = new Output();
  const context = new CommandContext(env, output);
  let status: number;
  try {
    status = await execute(argv, context);
  } catch (error) {
    output.err(`${messageOf(error)}\n`);
    status = error instanceof CliError ? error.exitCode : 1;
  } finally {
    await context.close();
  }
  return { stdout: output.stdout, stderr: output.stderr, status };
}

async function execute(argv: readonly string[], context: CommandContext): Promise<number> {
  const { env, output } = context;
  // No arguments at all lists the table, like ipvsadm.
  const line = await parseCommandLine(argv.length === 0 ? ['-L'] : argv, env.resolver, env.program);
  if (line.kind === 'help') {
    output.out(helpText(env.program));
    return 0;
  }
  if (line.kind === 'version') {
    output.out(versionText(env.program));
    return 0;
  }
  return runCommand(line.command, context);
}
