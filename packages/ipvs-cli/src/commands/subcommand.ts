import { Command, CommanderError } from 'commander';
import type { SubcommandLine } from '../argv/command';
import type { CommandContext } from '../environment';

/**
 * Runs a subcommand with commander as its argument reader: help, output and errors go to the
 * context's output, and commander's exits become the returned status. An action that ends with a
 * status of its own (a stopped bulk change: 130) hands it to `exit`.
 */
export async function runCommander(
  { command, argv }: SubcommandLine,
  context: CommandContext,
  register: (program: Command, exit: (status: number) => void) => void,
): Promise<number> {
  let status = 0;
  const { output } = context;
  const program = new Command(context.env.program)
    .exitOverride()
    .configureOutput({ writeOut: (text) => output.out(text), writeErr: (text) => output.err(text) });
  register(program, (code) => (status = code));
  try {
    await program.parseAsync([command, ...argv], { from: 'user' });
    return status;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
}
