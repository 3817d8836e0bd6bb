import { parseGlibcDottedQuad } from './glibc-ipv4';

/** IPv6 text forms as inet_pton / glibc inet_ntop read and write them; addresses as 8 16-bit words. */

export type Ipv6Words = readonly number[];

/** Parses an IPv6 literal (with "::" and an optional trailing dotted IPv4), or undefined. */
export function parseGlibcIPv6(text: string): Ipv6Words | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const readGroups = (part: string, allowV4: boolean): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (allowV4 && i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseGlibcDottedQuad(piece);
        if (v4 === undefined) return undefined;
        groups.push(Math.floor(v4 / 65536), v4 % 65536);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        groups.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const head = readGroups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? readGroups(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  if (head.length + tail.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** glibc inet_ntop: the first longest run (>= 2) of zero words becomes "::"; mapped/compat IPv4 dotted. */
export function formatGlibcIPv6(words: Ipv6Words): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let w = 0; w < 8; ) {
    if (words[w] !== 0) {
      w++;
      continue;
    }
    let end = w;
    while (end < 8 && words[end] === 0) end++;
    if (end - w > bestLength) {
      bestStart = w;
      bestLength = end - w;
    }
    w = end;
  }
  if (bestLength < 2) bestStart = -1;
  const embedsIPv4 =
    bestStart === 0 &&
    (bestLength === 6 || (bestLength === 7 && words[7] !== 1) || (bestLength === 5 && words[5] === 0xffff));
  let out = '';
  for (let w = 0; w < 8; w++) {
    if (w === bestStart) {
      out += '::';
      w += bestLength - 1;
      continue;
    }
    if (embedsIPv4 && w === 6) {
      const hi = words[6]!;
      const lo = words[7]!;
      return `${out.endsWith(':') ? out : `${out}:`}${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += words[w]!.toString(16);
  }
  return out;
}

/** The address as four 32-bit words (network order), as libipvs compares them. */
export function ipv6ToUint32s(words: Ipv6Words): number[] {
  return [0, 2, 4, 6].map((i) => words[i]! * 65536 + words[i + 1]!);
}
