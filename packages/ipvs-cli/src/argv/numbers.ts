/** Number words as ipvsadm reads them (strtol/strtoul, base 10, whole word). */

const STRTOL = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/;

/** ipvsadm's string_to_number: the value if the word is a decimal in min..max, else undefined. */
export function numberInRange(word: string, min: number, max: number): number | undefined {
  const match = STRTOL.exec(word);
  if (!match) return undefined;
  const value = Number(match[2]) * (match[1] === '-' ? -1 : 1);
  return value >= min && value <= max ? value : undefined;
}

/** ipvsadm's parse_fwmark: 1..4294967295 (strtoul: a minus sign wraps to an out-of-range value). */
export function parseFwmark(word: string): number | undefined {
  const match = STRTOL.exec(word);
  if (!match || match[1] === '-') return undefined;
  const value = Number(match[2]);
  return value >= 1 && value <= 0xffffffff ? value : undefined;
}
