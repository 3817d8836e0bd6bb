/** ipvsadm's number columns for --stats and --rate (print_largenum). */

const STEPS: ReadonlyArray<readonly [bigint, bigint, string]> = [
  [100_000_000n, 1n, ''],
  [1_000_000_000n, 1_000n, 'K'],
  [100_000_000_000n, 1_000_000n, 'M'],
  [100_000_000_000_000n, 1_000_000_000n, 'G'],
];

/**
 * A counter as a 9-column field: unabbreviated below 1e8, else divided and suffixed K/M/G/T (8 digits
 * + suffix, so 2^64-1 fills all 9). With `exact`, the full number with at least one leading space.
 */
export function largeNumber(value: bigint, exact: boolean): string {
  const digits = value.toString();
  if (exact) return digits.padStart(Math.max(9, digits.length + 1));
  for (const [limit, divisor, suffix] of STEPS) {
    if (value < limit) return suffix === '' ? digits.padStart(9) : `${(value / divisor).toString().padStart(8)}${suffix}`;
  }
  return `${(value / 1_000_000_000_000n).toString().padStart(8)}T`;
}

/** A plain right-justified 8-column number preceded by a space (server CPS/InPPS/OutPPS in --rate). */
export function plainNumber(value: bigint): string {
  return ` ${value.toString().padStart(8)}`;
}
