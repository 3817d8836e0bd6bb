import { AddressFamily } from '@tsipvs/ipvs-core';
import { formatIPv4, parseDottedQuad } from './ipv4';
import { formatIPv6, ipv6ToUint32s, parseIPv6 } from './ipv6';

// read once: the library's enums are re-exported through getters, and these run per real server
const IPV6 = AddressFamily.IPv6;

/** Canonical text of an address of `family` (dotted IPv4, glibc-style IPv6), as ipvsadm prints it. */
export function canonicalAddress(family: AddressFamily, text: string): string {
  if (family === IPV6) {
    const words = parseIPv6(text);
    return words ? formatIPv6(words) : text;
  }
  const value = parseDottedQuad(text);
  return value === undefined ? text : formatIPv4(value);
}

/**
 * The address as the 32-bit words libipvs compares: one for IPv4, four for IPv6. An IPv4 address
 * read as IPv6 (and the reverse) behaves like the C union: the IPv4 word first, then zeros.
 */
export function addressWords(family: AddressFamily, text: string): number[] {
  const v6 = family === IPV6 ? parseIPv6(text) : undefined;
  if (v6) return ipv6ToUint32s(v6);
  return [parseDottedQuad(text) ?? 0, 0, 0, 0];
}
