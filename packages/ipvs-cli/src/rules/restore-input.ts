/** One non-empty line of restore input, split into argv words. */
export interface RestoreLine {
  readonly lineNumber: number;
  readonly argv: readonly string[];
}

/** Words that name the program and are dropped, as ipvsadm -R drops "ipvsadm" anywhere on a line. */
const PROGRAM_WORDS = new Set(['ipvsadm', 'tsipvs']);

/**
 * Splits restore input: words separated by space, tab or CR; a word starting with '#' starts a
 * comment that runs to the end of the line (ipvsadm has no comments); blank lines are skipped.
 */
export function splitRestoreInput(text: string): RestoreLine[] {
  const lines: RestoreLine[] = [];
  text.split('\n').forEach((line, index) => {
    const words: string[] = [];
    for (const word of line.split(/[ \t\r]+/)) {
      if (word.startsWith('#')) break;
      if (word !== '' && !PROGRAM_WORDS.has(word)) words.push(word);
    }
    if (words.length > 0) lines.push({ lineNumber: index + 1, argv: words });
  });
  return lines;
}
