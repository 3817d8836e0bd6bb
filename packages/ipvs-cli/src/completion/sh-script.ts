/** What the bash and zsh scripts share: quoting, the lookup `case`s, how a value's completion is spelled. */
import { commandPaths, type CompletionCommand, type ValueCompletion } from './model';

/** A word in single quotes. */
export const shellQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

/** A `case` arm: the patterns it matches (taken literally), and what it runs. */
export type CaseArm = readonly [patterns: readonly string[], statement: string];

/** A `case` over `subject`: each arm runs its statement, `otherwise` runs for anything else. */
export function caseStatement(subject: string, arms: readonly CaseArm[], otherwise: string): string {
  const lines = arms.map(([patterns, statement]) => `    ${patterns.map(shellQuote).join('|')}) ${statement} ;;`);
  return `  case ${subject} in\n${[...lines, `    *) ${otherwise} ;;`].join('\n')}\n  esac`;
}

/** How the scripts spell a value's completion: its kind, then its words ("words rr wrr ...", "file"). */
export function valueSpelling(value: ValueCompletion): string {
  return value.kind === 'words' || value.kind === 'word-list' ? [value.kind, ...value.words].join(' ') : value.kind;
}

/** The script's function name prefix: "_tsipvs". */
export function functionPrefix(program: string): string {
  return `_${program.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** The arms of the value lookup: "<path>/<option spelling>" → `assign(spelling)`, for every option that takes a value. */
export function valueArms(root: CompletionCommand, assign: (spelling: string) => string): CaseArm[] {
  return commandPaths(root).flatMap(({ at, command }) =>
    command.options.flatMap((o): CaseArm[] => (o.value ? [[o.names.map((n) => `${at}/${n}`), assign(valueSpelling(o.value))]] : [])),
  );
}

/** The arms of the operand lookup: "<path>" → `assign(spelling)`, for every command that takes operands. */
export function operandArms(root: CompletionCommand, assign: (spelling: string) => string): CaseArm[] {
  return commandPaths(root).flatMap(({ at, command }): CaseArm[] => (command.operands ? [[[at], assign(valueSpelling(command.operands))]] : []));
}
