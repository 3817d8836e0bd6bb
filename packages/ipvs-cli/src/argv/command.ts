import type { DaemonConfig, DaemonState, Operation, ServiceKey, Timeouts } from '@tsipvs/ipvs-core';

/** Which listing was asked for and how to render it. */
export interface ListFormat {
  readonly numeric: boolean;
  readonly exact: boolean;
  readonly sort: boolean;
  readonly stats: boolean;
  readonly rate: boolean;
  readonly thresholds: boolean;
  readonly persistentConn: boolean;
  readonly tunInfo: boolean;
  readonly connections: boolean;
  readonly timeouts: boolean;
  readonly daemons: boolean;
  readonly json: boolean;
  readonly pretty: boolean;
}

/** Words (first on the command line) that select a command of our own, read by its own module. */
export const SUBCOMMAND_WORDS = ['apply', 'recover', 'sysctl', 'realserver', 'director', 'completion', 'version', 'keepalived', 'exporter', 'drain'] as const;
export type SubcommandWord = (typeof SUBCOMMAND_WORDS)[number];

export function isSubcommandWord(word: string | undefined): word is SubcommandWord {
  return (SUBCOMMAND_WORDS as readonly (string | undefined)[]).includes(word);
}

/** A command line, read and validated: one case per command, with what that command needs. */
export type ParsedCommand =
  | { readonly command: 'help' }
  /** -v: ipvsadm's version line (`tsipvs version` is the subcommand). */
  | { readonly command: 'version-line' }
  /** -A -E -D -a -e -d: one change of the table. */
  | { readonly command: 'change'; readonly operation: Operation }
  | { readonly command: 'flush' }
  | { readonly command: 'list'; readonly service: ServiceKey | undefined; readonly format: ListFormat }
  | { readonly command: 'save'; readonly numeric: boolean }
  /** -R; `waitMs`: how long to wait for another bulk change of the table to finish (--wait). */
  | { readonly command: 'restore'; readonly waitMs: number }
  | { readonly command: 'zero'; readonly service: ServiceKey | undefined }
  | { readonly command: 'set'; readonly timeouts: Timeouts }
  | { readonly command: 'start-daemon'; readonly daemon: DaemonConfig }
  | { readonly command: 'stop-daemon'; readonly state: DaemonState }
  | SubcommandLine;

/** A subcommand word, and the words after it for its module to read. */
export type SubcommandLine = { readonly [W in SubcommandWord]: { readonly command: W; readonly argv: readonly string[] } }[SubcommandWord];

export type CommandKind = ParsedCommand['command'];
export type CommandOf<K extends CommandKind> = Extract<ParsedCommand, { readonly command: K }>;
