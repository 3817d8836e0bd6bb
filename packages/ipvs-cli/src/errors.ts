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

/** The "Try ..." line printed when the command line does not start with a command. */
export function tryHelp(program: string): CliError {
  return new CliError(`Try \`${program} -h' or '${program} --help' for more information.`, EXIT_POPT);
}

/** The message of a library failure: IpvsError carries ipvsadm's text for the operation and errno. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
