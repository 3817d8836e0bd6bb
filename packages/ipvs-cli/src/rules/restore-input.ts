/** One non-empty line of restore input, split into argv words. */
export interface RestoreLine {
  readonly lineNumber: number;
  readonly argv: readonly string[];
}

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

/** Splits restore input into its non-blank lines' words (see `restoreLineWords`). */
export function splitRestoreInput(text: string): RestoreLine[] {
  const lines: RestoreLine[] = [];
  text.split('\n').forEach((line, index) => {
    const words = restoreLineWords(line);
    if (words.length > 0) lines.push({ lineNumber: index + 1, argv: words });
  });
  return lines;
}

/** The lines of `text`, their numbers (from 1) and where they start, read one at a time. */
export function* numberedLines(text: string): Generator<readonly [line: string, lineNumber: number, start: number]> {
  let lineNumber = 0;
  for (let start = 0; start < text.length; ) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    yield [text.slice(start, end), ++lineNumber, start];
    start = end + 1;
  }
}
