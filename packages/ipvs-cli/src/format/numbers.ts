/** ipvsadm's number columns for --stats and --rate (print_largenum). */

import { right } from './pad';

/** Above 1e8, a counter is divided and suffixed: the first step whose limit it is below. */
const ABBREVIATIONS: ReadonlyArray<{ readonly limit: bigint; readonly divisor: bigint; readonly suffix: string }> = [
  { limit: 1_000_000_000n, divisor: 1_000n, suffix: 'K' },
  { limit: 100_000_000_000n, divisor: 1_000_000n, suffix: 'M' },
  { limit: 100_000_000_000_000n, divisor: 1_000_000_000n, suffix: 'G' },
  { limit: 2n ** 64n, divisor: 1_000_000_000_000n, suffix: 'T' },
];

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
  // an indexed loop: for...of would run the iterator protocol for every counter
  let step = ABBREVIATIONS[0]!;
  for (let i = 1; i < ABBREVIATIONS.length && value >= step.limit; i++) step = ABBREVIATIONS[i]!;
  return `${right((value / step.divisor).toString(), 8)}${step.suffix}`;
}

/** A plain right-justified 8-column number preceded by a space (server CPS/InPPS/OutPPS in --rate). */
export function plainNumber(value: bigint): string {
  return ` ${right(value.toString(), 8)}`;
}
