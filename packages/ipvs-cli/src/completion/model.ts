/**
 * What shell completion knows about tsipvs, read from the CLI's own definitions so that it cannot
 * drift from them: ipvsadm's grammar from the option table (argv/spec.ts, with the values -h names),
 * the subcommands from their commander definitions. The shell scripts are written from this tree.
 */
import { Help, type Argument, type Command, type Option } from 'commander';
import { OPTIONS, type OptionSpec } from '../argv/spec';
import { SCHEDULER_FLAG_NAMES } from '../argv/sched-flags';
import { DAEMON_STATES, PERSISTENCE_ENGINES, SCHEDULERS, TUNNEL_TYPES, optionSummaries } from '../help';

/** How a value (of an option, or a word a command takes) is completed. */
export type ValueCompletion =
  /** one of these words */
  | { readonly kind: 'words'; readonly words: readonly string[] }
  /** a comma-separated list of these words */
  | { readonly kind: 'word-list'; readonly words: readonly string[] }
  | { readonly kind: 'file' }
  /** a network interface name */
  | { readonly kind: 'interface' }
  /** a network namespace name (under /run/netns) */
  | { readonly kind: 'netns' }
  /** anything: nothing is offered */
  | { readonly kind: 'text' };

export interface CompletionOption {
  /** Its spellings: "-s", "--scheduler". */
  readonly names: readonly string[];
  readonly description: string;
  /** How its value is completed; absent for flags and for options whose value may be left out. */
  readonly value?: ValueCompletion;
}

export interface CompletionCommand {
  readonly name: string;
  readonly description: string;
  readonly options: readonly CompletionOption[];
  /** Words that select a subcommand, right after this command's name. */
  readonly subcommands: readonly CompletionCommand[];
  /** How its other words are completed; absent when it takes none. */
  readonly operands?: ValueCompletion;
}

const TEXT: ValueCompletion = { kind: 'text' };

/** The values of ipvsadm's options that can be offered, by long name; the others are free text. */
export const IPVSADM_VALUES: Readonly<Record<string, ValueCompletion>> = {
  scheduler: { kind: 'words', words: SCHEDULERS },
  pe: { kind: 'words', words: PERSISTENCE_ENGINES },
  'sched-flags': { kind: 'word-list', words: SCHEDULER_FLAG_NAMES },
  'tun-type': { kind: 'words', words: TUNNEL_TYPES },
  'start-daemon': { kind: 'words', words: DAEMON_STATES },
  'stop-daemon': { kind: 'words', words: DAEMON_STATES },
  'mcast-interface': { kind: 'interface' },
};

/** Value names in the subcommands' definitions (`--dev <interface>`, `<file>`) that say what a value is. */
const VALUE_NAMES: Readonly<Record<string, ValueCompletion>> = {
  file: { kind: 'file' },
  interface: { kind: 'interface' },
};

/** ipvsadm's options, one entry per long name (-L and -l share --list), in table order. */
function ipvsadmOptions(): CompletionOption[] {
  const summaries = optionSummaries();
  const byLong = new Map<string, OptionSpec[]>();
  for (const spec of OPTIONS) byLong.set(spec.long, [...(byLong.get(spec.long) ?? []), spec]);
  return [...byLong].map(([long, specs]) => {
    const value = specs[0]!.arity === 'required' ? (IPVSADM_VALUES[long] ?? TEXT) : undefined;
    return {
      names: [...specs.flatMap((s) => (s.short ? [`-${s.short}`] : [])), `--${long}`],
      description: summaries.get(long) ?? '',
      ...(value ? { value } : {}),
    };
  });
}

function valueNamed(name: string, choices: readonly string[] | undefined): ValueCompletion {
  if (choices) return { kind: 'words', words: choices };
  return VALUE_NAMES[name] ?? TEXT;
}

function fromOption(option: Option): CompletionOption {
  const valueName = /<([^>]+)>/.exec(option.flags)?.[1];
  return {
    names: [option.short, option.long].filter((n): n is string => n !== undefined),
    description: option.description,
    ...(option.required && valueName !== undefined ? { value: valueNamed(valueName, option.argChoices) } : {}),
  };
}

function operandsOf(args: readonly Argument[]): ValueCompletion | undefined {
  const first = args[0];
  return first ? valueNamed(first.name(), first.argChoices) : undefined;
}

/** `--netns`, the global option every command takes (main.ts reads it, not the commands). */
const NETNS_OPTION: CompletionOption = { names: ['--netns'], description: 'act on that network namespace', value: { kind: 'netns' } };

/** A commander command as commander's own help shows it (its help option and help command included), and --netns. */
function fromCommander(command: Command, help: Help): CompletionCommand {
  const operands = operandsOf(help.visibleArguments(command));
  return {
    name: command.name(),
    description: command.description(),
    options: [...help.visibleOptions(command).map(fromOption), NETNS_OPTION],
    subcommands: help.visibleCommands(command).map((c) => fromCommander(c, help)),
    ...(operands ? { operands } : {}),
  };
}

/**
 * The whole tree: `program` with ipvsadm's options, and as its subcommands the commands defined on
 * `definitions` (each may only be the first word).
 */
export function completionTree(program: string, definitions: Command): CompletionCommand {
  const help = new Help();
  return {
    name: program,
    description: '',
    options: [...ipvsadmOptions(), NETNS_OPTION],
    subcommands: definitions.commands.map((c) => fromCommander(c, help)),
  };
}

/**
 * Every command of the tree, parents first, with its path: the words after the program name that lead
 * to it, space-separated ("" for the program itself, "sysctl get").
 */
export function commandPaths(root: CompletionCommand): Array<{ readonly at: string; readonly command: CompletionCommand }> {
  const found: Array<{ at: string; command: CompletionCommand }> = [];
  const visit = (command: CompletionCommand, path: readonly string[]): void => {
    found.push({ at: path.join(' '), command });
    for (const sub of command.subcommands) visit(sub, [...path, sub.name]);
  };
  visit(root, []);
  return found;
}
