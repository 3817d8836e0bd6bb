import { Command, CommanderError } from 'commander';
import type { SubcommandLine } from '../argv/command';
import type { CommandContext } from '../environment';

/**
 * Runs a subcommand with commander as its argument reader: help, output and errors go to the
 * context's output, and commander's exits become the returned status.
 */
export async function runCommander(
  { command, argv }: SubcommandLine,
  context: CommandContext,
  register: (program: Command) => void,
): Promise<number> {
  const { output } = context;
  const program = new Command(context.env.program)
    .exitOverride()
    .configureOutput({ writeOut: (text) => output.out(text), writeErr: (text) => output.err(text) });
  register(program);
  try {
    await program.parseAsync([command, ...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
}
