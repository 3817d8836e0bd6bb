/** Column padding for the listings' hot paths, without padEnd/padStart (which allocate more). */

/** Runs of spaces by length. */
const SPACES: readonly string[] = Array.from({ length: 64 }, (_, i) => ' '.repeat(i));

/** Left-justified in `width` (at most 64) columns (printf "%-*s"). */
export function left(value: string | number, width: number): string {
  const text = typeof value === 'string' ? value : String(value);
  return text.length >= width ? text : text + SPACES[width - text.length]!;
}

/** Right-justified in `width` (at most 64) columns (printf "%*s"). */
export function right(text: string, width: number): string {
  return text.length >= width ? text : SPACES[width - text.length]! + text;
}
