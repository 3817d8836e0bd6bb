import { CliError, EXIT_KERNEL, messageOf } from '../errors';

/** Runs a change the kernel may refuse; a refusal is ipvsadm's message on stderr and exit 255. */
export async function kernelCall(change: () => Promise<void>): Promise<void> {
  try {
    await change();
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(messageOf(error), EXIT_KERNEL);
  }
}
