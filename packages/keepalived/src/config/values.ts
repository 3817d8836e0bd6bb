/** Values both configuration forms read the same way: addresses, schedulers, shell quoting, names. */
import { AddressFamily } from '@tsipvs/ipvs-core';
import { familyOf, formatAddress, normalizeAddress, writeAddress } from '@tsipvs/ipvs-core/wire';

/** The schedulers keepalived 2.2.7 accepts (check_parser.c). */
export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'sh', 'mh', 'dh', 'fo', 'ovf', 'lblcr', 'sed', 'nq', 'twos'] as const;

/** An address as inet_pton reads it, in canonical form; undefined when it is not one. */
export function readAddress(text: string): { family: AddressFamily; address: string } | undefined {
  const family = familyOf(text);
  const address = normalizeAddress(text);
  return family === undefined || address === undefined ? undefined : { family, address };
}

/** `address:port` as keepalived and ipvsadm print it (IPv6 in brackets). */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Every address from `first` to `last` (same family, first <= last), at most `limit`; undefined beyond it. */
export function addressRange(family: AddressFamily, first: string, last: string, limit: number): string[] | undefined {
  const a = new Uint8Array(16);
  const b = new Uint8Array(16);
  writeAddress(family, first, a, 0);
  writeAddress(family, last, b, 0);
  const size = family === AddressFamily.IPv6 ? 16 : 4;
  const value = (bytes: Uint8Array) => bytes.subarray(0, size).reduce((v, byte) => (v << 8n) | BigInt(byte), 0n);
  const start = value(a);
  const end = value(b);
  if (end < start) return [];
  if (end - start + 1n > BigInt(limit)) return undefined;
  const out: string[] = [];
  const bytes = new Uint8Array(16);
  for (let v = start; v <= end; v++) {
    let rest = v;
    for (let i = size - 1; i >= 0; i--) {
      bytes[i] = Number(rest & 0xffn);
      rest >>= 8n;
    }
    out.push(formatAddress(family, bytes, 0));
  }
  return out;
}

/** The address with its low bits set from `prefix` on, and whether the bits below the prefix were clear. */
export function prefixEnd(family: AddressFamily, address: string, prefix: number): { last: string; clean: boolean } {
  const bytes = new Uint8Array(16);
  writeAddress(family, address, bytes, 0);
  const bits = family === AddressFamily.IPv6 ? 128 : 32;
  let clean = true;
  for (let bit = prefix; bit < bits; bit++) {
    const mask = 0x80 >> bit % 8;
    if (bytes[bit >> 3]! & mask) clean = false;
    bytes[bit >> 3]! |= mask;
  }
  return { last: formatAddress(family, bytes, 0), clean };
}

/** Words joined into one command line for /bin/sh -c, each quoted when it needs to be. */
export function shellCommand(args: readonly string[]): string {
  return args.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
