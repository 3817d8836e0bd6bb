/** ipvsadm's number columns for --stats and --rate (print_largenum). */

/** Runs of spaces by length, for right-justifying without padStart. */
const SPACES: readonly string[] = Array.from({ length: 10 }, (_, i) => ' '.repeat(i));

/** `text` right-justified in `width` (at most 9) columns. */
function right(text: string, width: number): string {
  return text.length >= width ? text : SPACES[width - text.length]! + text;
}

/**
 * A counter as a 9-column field: unabbreviated below 1e8, else divided and suffixed K/M/G/T (8 digits
 * + suffix, so 2^64-1 fills all 9). With `exact`, the full number with at least one leading space.
 */
export function largeNumber(value: bigint, exact: boolean): string {
  if (exact) {
    const digits = value.toString();
    return digits.length >= 9 ? ` ${digits}` : right(digits, 9);
  }
  // most counters: a small number, printed whole
  if (value < 100_000_000n) return right(value.toString(), 9);
  if (value < 1_000_000_000n) return `${right((value / 1_000n).toString(), 8)}K`;
  if (value < 100_000_000_000n) return `${right((value / 1_000_000n).toString(), 8)}M`;
  if (value < 100_000_000_000_000n) return `${right((value / 1_000_000_000n).toString(), 8)}G`;
  return `${right((value / 1_000_000_000_000n).toString(), 8)}T`;
}

/** A plain right-justified 8-column number preceded by a space (server CPS/InPPS/OutPPS in --rate). */
export function plainNumber(value: bigint): string {
  return ` ${right(value.toString(), 8)}`;
}
