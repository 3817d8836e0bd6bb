import { usageError } from '../errors';

/** A command line without its global `--netns`, and the namespace it named. */
export interface GlobalOptions {
  readonly netns: string | undefined;
  readonly argv: readonly string[];
}

/**
 * Takes the global `--netns NAME|PATH` (or `--netns=NAME|PATH`) out of a command line, wherever it
 * stands before a `--`: every command (ipvsadm's letters and the subcommands) runs in that network
 * namespace, and the rest of the line is read by the command's own grammar, untouched.
 */
export function takeGlobalOptions(argv: readonly string[]): GlobalOptions {
  let netns: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    let value: string | undefined;
    if (word === '--netns') {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('-')) throw usageError('--netns: missing argument (a name under /run/netns, or a path such as /proc/PID/ns/net)');
      i++;
    } else if (word.startsWith('--netns=')) {
      value = word.slice('--netns='.length);
      if (value === '') throw usageError('--netns: missing argument (a name under /run/netns, or a path such as /proc/PID/ns/net)');
    } else {
      rest.push(word);
      continue;
    }
    if (netns !== undefined) throw usageError('--netns: given more than once');
    netns = value;
  }
  return { netns, argv: rest };
}
