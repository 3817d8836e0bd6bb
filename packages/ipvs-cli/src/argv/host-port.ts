import { AddressFamily } from '@tsipvs/ipvs-core';
import { formatGlibcIPv4, inetAton } from '../net/glibc-ipv4';
import { formatGlibcIPv6, parseGlibcIPv6 } from '../net/glibc-ipv6';
import type { NameResolver, PortProtocol } from '../names/resolver';
import { numberInRange } from './numbers';

/** A parsed `host[:port]` word; the port stays text until the protocol is known. */
export interface HostPort {
  readonly family: AddressFamily;
  readonly address: string;
  readonly portText: string | undefined;
}

/**
 * ipvsadm's parse_service: all-digit words are refused; "[...]" must be followed by ":port"; an IPv6
 * literal has no port unless bracketed; otherwise the text after the last ':' is the port and the
 * host is read by inet_aton, then as an IPv4 host name. Quirk kept: "[1.2.3.4]:80" loses its port.
 */
export async function parseHostPort(word: string, resolver: NameResolver): Promise<HostPort | undefined> {
  if (/^\d*$/.test(word)) return undefined;
  let host = word;
  let portText: string | undefined;
  if (word.startsWith('[')) {
    const close = word.indexOf(']');
    if (close < 0 || word[close + 1] !== ':') return undefined;
    host = word.slice(1, close);
    portText = word.slice(close + 2);
  }
  // an IPv6 literal has at least two colons; most words are IPv4 and skip the attempt
  const v6 = host.indexOf(':') !== host.lastIndexOf(':') ? parseGlibcIPv6(host) : undefined;
  if (v6) return { family: AddressFamily.IPv6, address: formatGlibcIPv6(v6), portText };
  // Not IPv6: the port is what follows the host's last ':' (a port after "[...]" is lost).
  const colon = host.lastIndexOf(':');
  portText = colon >= 0 ? host.slice(colon + 1) : undefined;
  if (colon >= 0) host = host.slice(0, colon);
  const value = inetAton(host);
  const address = value !== undefined ? formatGlibcIPv4(value) : await resolver.hostToIPv4(host);
  return address === undefined ? undefined : { family: AddressFamily.IPv4, address, portText };
}

/** A port word: decimal 0..65535, else a service name for `protocol` (none: numbers only). */
export function resolvePort(text: string, protocol: PortProtocol | undefined, resolver: NameResolver): number | undefined {
  const number = numberInRange(text, 0, 65535);
  if (number !== undefined) return number;
  return protocol ? resolver.serviceToPort(text, protocol) : undefined;
}
