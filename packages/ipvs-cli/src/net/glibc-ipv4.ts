/**
 * IPv4 text forms. `inetAton` accepts what glibc's inet_aton accepts (1 to 4 parts, each decimal,
 * 0x-hex or 0-octal; "10.1" is 10.0.0.1); ipvsadm uses it for addresses and -M masks.
 */

function parsePart(text: string): number | undefined {
  let digits = text;
  let radix = 10;
  if (/^0[xX]/.test(text)) {
    digits = text.slice(2);
    radix = 16;
    if (!/^[0-9a-fA-F]*$/.test(digits)) return undefined;
    if (digits === '') return 0; // glibc reads "0x" as 0
  } else if (text.startsWith('0')) {
    radix = 8;
    if (!/^[0-7]+$/.test(text)) return undefined;
  } else if (!/^[0-9]+$/.test(text)) {
    return undefined;
  }
  const value = parseInt(digits, radix);
  return value <= 0xffffffff ? value : undefined;
}

/** The address as an unsigned 32-bit number, or undefined when inet_aton would refuse it. */
export function inetAton(text: string): number | undefined {
  // the common case, a plain dotted quad without leading zeros, reads the same in every form
  if (!/(^|\.)0\d/.test(text)) {
    const quad = parseGlibcDottedQuad(text);
    if (quad !== undefined) return quad;
  }
  const word = text.split(/[ \t\n\v\f\r]/)[0] ?? '';
  const parts = word.split('.');
  if (parts.length > 4 || parts.some((p) => p === '')) return undefined;
  const values: number[] = [];
  for (const part of parts) {
    const value = parsePart(part);
    if (value === undefined) return undefined;
    values.push(value);
  }
  const last = values.pop()!;
  const lastLimit = [0xffffffff, 0xffffff, 0xffff, 0xff][values.length]!;
  if (last > lastLimit || values.some((v) => v > 0xff)) return undefined;
  let result = 0;
  values.forEach((v, i) => {
    result += v * 2 ** (24 - 8 * i);
  });
  return result + last;
}

/** Strict dotted quad (inet_pton AF_INET): four decimal parts 0..255. */
export function parseGlibcDottedQuad(text: string): number | undefined {
  // a hand-written scanner: listings parse one address per real server
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return undefined;
    } else if (c === 46 && digits > 0 && dots < 3) {
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else return undefined;
  }
  return dots === 3 && digits > 0 ? value * 256 + part : undefined;
}

/** Decimal text of each byte value, so that formatting an address converts no numbers. */
const OCTETS: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

export function formatGlibcIPv4(value: number): string {
  return `${OCTETS[(value >>> 24) & 255]}.${OCTETS[(value >>> 16) & 255]}.${OCTETS[(value >>> 8) & 255]}.${OCTETS[value & 255]}`;
}
