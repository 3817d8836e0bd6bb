import { NetnsError } from '@tsipvs/ipvs-core/netns';
import { isSubcommandWord, type ParsedCommand } from './argv/command';
import { takeGlobalOptions } from './argv/netns';
import { parseCommandLine } from './argv/parse';
import { runCommand } from './commands/table';
import { CommandContext, Output, type CliEnvironment, type NetnsBinding } from './environment';
import { CliError, EXIT_USAGE, messageOf } from './errors';

/** Runs one command line against `env`, writing through `env.output`; returns the exit status. */
export async function main(argv: readonly string[], env: CliEnvironment): Promise<number> {
  let binding: NetnsBinding | undefined;
  try {
    const global = takeGlobalOptions(argv);
    // opened before anything else: a namespace that cannot be opened fails before any socket or file
    if (global.netns !== undefined) binding = await openNamespace(env, global.netns);
    return await run(global.argv, binding ? { ...env, ...binding.bound } : env);
  } catch (error) {
    env.output.err(`${messageOf(error)}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  } finally {
    binding?.close();
  }
}

async function openNamespace(env: CliEnvironment, spec: string): Promise<NetnsBinding> {
  try {
    return await env.bindNetns(spec);
  } catch (error) {
    if (error instanceof NetnsError) throw new CliError(`${env.program}: ${error.message}`, EXIT_USAGE);
    throw error;
  }
}

async function run(argv: readonly string[], env: CliEnvironment): Promise<number> {
  const context = new CommandContext(env);
  try {
    return await runCommand(await readCommandLine(argv, env), context);
  } finally {
    await context.close();
  }
}

/** A subcommand word and the words after it, else ipvsadm's grammar (no arguments: -L, like ipvsadm). */
function readCommandLine(argv: readonly string[], env: CliEnvironment): Promise<ParsedCommand> {
  const [word, ...rest] = argv;
  if (isSubcommandWord(word)) return Promise.resolve({ command: word, argv: rest });
  return parseCommandLine(argv.length === 0 ? ['-L'] : argv, env.resolver, env.program);
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
}

/** `main` with its output kept in memory. */
export async function runCollected(argv: readonly string[], env: Omit<CliEnvironment, 'output'>): Promise<RunResult> {
  const output = new Output();
  const status = await main(argv, { ...env, output });
  return { stdout: output.stdout, stderr: output.stderr, status };
}
