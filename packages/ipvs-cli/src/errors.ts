import { IpvsError, IpvsTransportError } from '@tsipvs/ipvs-core';
import { ipvsadmMessage, transportMessage } from './kernel-messages';

/** A failure the CLI reports itself: `message` goes to stderr (plus a newline), then exit `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** ipvsadm's fail(2, ...): validation errors. */
export function usageError(message: string): CliError {
  return new CliError(message, 2);
}

export const EXIT_KERNEL = 255;
export const EXIT_POPT = 255;
export const EXIT_USAGE = 2;
export const EXIT_LIST = 1;
/** restore or apply failed and rolling back failed too: the table is not as before (or unknown). */
export const EXIT_NOT_ROLLED_BACK = 3;
/** Another bulk change holds this namespace's table, or an unfinished one left its journal (iptables' 4 for a busy lock). */
export const EXIT_BUSY = 4;

/** The "Try ..." line printed when the command line does not start with a command. */
export function tryHelp(program: string): CliError {
  return new CliError(`Try \`${program} -h' or '${program} --help' for more information.`, EXIT_POPT);
}

/**
 * The text the CLI prints for a failure: ipvsadm's for a kernel refusal, ours for a failed exchange
 * with the kernel, else the error's message.
 */
export function messageOf(error: unknown): string {
  if (error instanceof IpvsTransportError) return transportMessage(error.errno);
  if (error instanceof IpvsError) return ipvsadmMessage(error.operation, error.errno);
  return error instanceof Error ? error.message : String(error);
}
