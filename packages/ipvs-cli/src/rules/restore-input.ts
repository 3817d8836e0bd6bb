/**
 * Reading restore and rules-file input: lines in ipvsadm's save grammar (any command line, in fact),
 * blank lines and `#` comments.
 */
import type { ParsedCommand } from '../argv/command';
import { parseCommandLine } from '../argv/parse';
import { scanSaveLine, type SavedChange } from '../argv/save-line';
import { CliError } from '../errors';
import type { NameResolver } from '../names/resolver';

/** Words that name the program and are dropped, as ipvsadm -R drops "ipvsadm" anywhere on a line. */
const PROGRAM_WORDS = new Set(['ipvsadm', 'tsipvs']);

/**
 * The words of one line of restore input: separated by space, tab or CR; a word starting with '#'
 * starts a comment that runs to the end of the line (ipvsadm has no comments). None: a blank line.
 */
export function restoreLineWords(line: string): string[] {
  const words: string[] = [];
  for (const word of line.split(/[ \t\r]+/)) {
    if (word.startsWith('#')) break;
    if (word !== '' && !PROGRAM_WORDS.has(word)) words.push(word);
  }
  return words;
}

/** The lines of `text`, their numbers (from 1) and where they start, read one at a time. */
function* numberedLines(text: string): Generator<readonly [line: string, lineNumber: number, start: number]> {
  let lineNumber = 0;
  for (let start = 0; start < text.length; ) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    yield [text.slice(start, end), ++lineNumber, start];
    start = end + 1;
  }
}

/** What `readSaveLines` reports for each line that is not blank. */
export interface SaveLineVisitor {
  /** A line the fast reader served (`scanSaveLine`), at `start`..`end` of the text. */
  scanned(change: SavedChange, lineNumber: number, start: number, end: number): void;
  /** A line the general grammar read, and its words; returning false stops the reading. */
  parsed(command: ParsedCommand, lineNumber: number, argv: readonly string[]): boolean | void;
  /** A line the grammar refused. */
  refused(error: CliError, lineNumber: number): void;
}

/**
 * Reads every line of `text`: lines as ipvsadm -S prints them through the fast reader, the others
 * through the general grammar (so messages and edge cases stay the grammar's). False when a visitor
 * stopped the reading.
 */
export async function readSaveLines(text: string, resolver: NameResolver, program: string, visitor: SaveLineVisitor): Promise<boolean> {
  for (const [line, lineNumber, start] of numberedLines(text)) {
    const scanned = scanSaveLine(line);
    if (scanned) {
      visitor.scanned(scanned, lineNumber, start, start + line.length);
      continue;
    }
    const argv = restoreLineWords(line);
    if (argv.length === 0) continue;
    let command: ParsedCommand;
    try {
      command = await parseCommandLine(argv, resolver, program);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      visitor.refused(error, lineNumber);
      continue;
    }
    if (visitor.parsed(command, lineNumber, argv) === false) return false;
  }
  return true;
}
