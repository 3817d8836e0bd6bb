/**
 * Addresses by Node's rules (what `net.isIP` accepts: no leading zeros, no short IPv4 forms; IPv6
 * compressed and lowercase as `net.SocketAddress` prints it) and their 16-byte wire form (`union
 * nf_inet_addr`: IPv4 in the first 4 bytes, rest zero). The library's codec. The CLI reads and
 * prints addresses by glibc's rules instead, as ipvsadm does (its net/glibc-*.ts).
 */
import { AddressFamily } from './model/enums';

/** Writes a dotted IPv4 address into `target` at `offset`; false if the text is not one. */
export function writeNodeIPv4(text: string, target: Uint8Array, offset: number): boolean {
  let octet = 0;
  let digits = 0;
  let index = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // a final '.' closes the last octet
    if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return false; // no leading zeros (Node's net.isIPv4 rule)
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return false;
    } else if (c === 46) {
      if (digits === 0 || index > 3) return false;
      target[offset + index++] = octet;
      octet = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return index === 4;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Writes an IPv6 address (with optional "::" and trailing dotted IPv4) as 16 bytes; false if invalid. */
export function writeNodeIPv6(text: string, target: Uint8Array, offset: number): boolean {
  if (text.length < 2 || text.length > 45) return false;
  const groups: number[] = [];
  let gapAt = -1;
  let i = 0;
  if (text.startsWith('::')) {
    gapAt = 0;
    i = 2;
  } else if (text.charCodeAt(0) === 58) {
    return false;
  }
  while (i < text.length) {
    // An embedded IPv4 address may end the text.
    const rest = text.slice(i);
    if (rest.includes('.') && !rest.includes(':')) {
      const v4 = new Uint8Array(4);
      if (!writeNodeIPv4(rest, v4, 0)) return false;
      groups.push(((v4[0]! << 8) | v4[1]!), ((v4[2]! << 8) | v4[3]!));
      i = text.length;
      break;
    }
    let value = 0;
    let digits = 0;
    while (i < text.length) {
      const h = hexValue(text.charCodeAt(i));
      if (h < 0) break;
      value = (value << 4) | h;
      if (++digits > 4) return false;
      i++;
    }
    if (digits === 0) return false;
    groups.push(value);
    if (i === text.length) break;
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    if (text.charCodeAt(i) === 58) {
      if (gapAt >= 0) return false;
      gapAt = groups.length;
      i++;
      if (i === text.length) break;
    } else if (i === text.length) {
      return false; // trailing single ':'
    }
  }
  if (gapAt < 0 ? groups.length !== 8 : groups.length > 7) return false;
  const zeros = 8 - groups.length;
  let g = 0;
  for (let w = 0; w < 8; w++) {
    const value = gapAt >= 0 && w >= gapAt && w < gapAt + zeros ? 0 : groups[g++]!;
    target[offset + 2 * w] = value >> 8;
    target[offset + 2 * w + 1] = value & 0xff;
  }
  return true;
}

/** Writes `text` of `family` as the 16-byte wire field; false if the text is not such an address. */
export function writeAddress(family: AddressFamily, text: string, target: Uint8Array, offset: number): boolean {
  if (family === AddressFamily.IPv4) {
    if (!writeNodeIPv4(text, target, offset)) return false;
    for (let at = offset + 4; at < offset + 16; at++) target[at] = 0; // a loop: fill() costs more for 12 bytes
    return true;
  }
  return family === AddressFamily.IPv6 && writeNodeIPv6(text, target, offset);
}

/** Decimal text of each byte value, so that formatting an address converts no numbers. */
const OCTETS: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

export function formatNodeIPv4(bytes: Uint8Array, offset: number): string {
  return `${OCTETS[bytes[offset]!]}.${OCTETS[bytes[offset + 1]!]}.${OCTETS[bytes[offset + 2]!]}.${OCTETS[bytes[offset + 3]!]}`;
}

/** Formats 16 bytes the way Node (libuv inet_ntop) does: longest zero run (≥2 groups) as "::", mapped IPv4 dotted. */
export function formatNodeIPv6(bytes: Uint8Array, offset: number): string {
  const words: number[] = [];
  for (let w = 0; w < 8; w++) words.push((bytes[offset + 2 * w]! << 8) | bytes[offset + 2 * w + 1]!);
  let bestStart = -1;
  let bestLength = 0;
  for (let w = 0; w < 8;) {
    if (words[w] !== 0) { w++; continue; }
    let end = w;
    while (end < 8 && words[end] === 0) end++;
    if (end - w > bestLength) { bestStart = w; bestLength = end - w; }
    w = end;
  }
  if (bestLength < 2) bestStart = -1;
  let out = '';
  for (let w = 0; w < 8; w++) {
    if (w === bestStart) {
      out += w === 0 ? '::' : ':';
      w += bestLength - 1;
      continue;
    }
    if (w === 6 && bestStart === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff))) {
      return out + formatNodeIPv4(bytes, offset + 12);
    }
    out += words[w]!.toString(16);
    if (w < 7) out += ':';
  }
  return out;
}

export function formatAddress(family: AddressFamily, bytes: Uint8Array, offset: number): string {
  return family === AddressFamily.IPv6 ? formatNodeIPv6(bytes, offset) : formatNodeIPv4(bytes, offset);
}

/** True when `text` is an address of `family` in a form this library accepts. */
export function isAddressOf(family: AddressFamily, text: string): boolean {
  return writeAddress(family, text, scratch, 0);
}
const scratch = new Uint8Array(16);

/** Family of an address string, or undefined if it is neither IPv4 nor IPv6. */
export function familyOf(text: string): AddressFamily | undefined {
  if (writeNodeIPv4(text, scratch, 0)) return AddressFamily.IPv4;
  if (writeNodeIPv6(text, scratch, 0)) return AddressFamily.IPv6;
  return undefined;
}

/** Canonical form of an address (e.g. "2001:DB8:0::1" → "2001:db8::1"). */
export function normalizeAddress(text: string): string | undefined {
  const family = familyOf(text);
  if (family === undefined) return undefined;
  const bytes = new Uint8Array(16);
  writeAddress(family, text, bytes, 0);
  return formatAddress(family, bytes, 0);
}

/** IPv4 netmask "255.255.255.0" → prefix length 24; undefined when the mask is not contiguous. */
export function netmaskToPrefix(netmask: string): number | undefined {
  const bytes = new Uint8Array(4);
  if (!writeNodeIPv4(netmask, bytes, 0)) return undefined;
  const value = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const prefix = Math.clz32(~value >>> 0);
  return prefixToNetmask(prefix) === netmask ? prefix : undefined;
}

/** Prefix length 0..32 → dotted IPv4 netmask. */
export function prefixToNetmask(prefix: number): string {
  const value = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}
