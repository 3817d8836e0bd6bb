import { AddressFamily } from '@tsipvs/ipvs-core';
import { formatGlibcIPv4, parseGlibcDottedQuad } from './glibc-ipv4';
import { formatGlibcIPv6, ipv6ToUint32s, parseGlibcIPv6 } from './glibc-ipv6';

/** Four decimal octets without leading zeros: what the kernel's addresses decode to, already canonical. */
const CANONICAL_IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Canonical text of an address of `family` (dotted IPv4, glibc-style IPv6), as ipvsadm prints it. */
export function canonicalAddress(family: AddressFamily, text: string): string {
  if (family === AddressFamily.IPv6) {
    const words = parseGlibcIPv6(text);
    return words ? formatGlibcIPv6(words) : text;
  }
  // a listing's hot path: one test instead of parsing and formatting every real server's address
  if (CANONICAL_IPV4.test(text)) return text;
  const value = parseGlibcDottedQuad(text);
  return value === undefined ? text : formatGlibcIPv4(value);
}

/**
 * The address as the 32-bit words libipvs compares: one for IPv4, four for IPv6. An IPv4 address
 * read as IPv6 (and the reverse) behaves like the C union: the IPv4 word first, then zeros.
 */
export function addressWords(family: AddressFamily, text: string): number[] {
  const v6 = family === AddressFamily.IPv6 ? parseGlibcIPv6(text) : undefined;
  if (v6) return ipv6ToUint32s(v6);
  return [parseGlibcDottedQuad(text) ?? 0, 0, 0, 0];
}
