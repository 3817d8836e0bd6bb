import { AddressFamily, Protocol } from '@tsipvs/ipvs-core';
import type { NameResolver, PortProtocol } from '../names/resolver';
import { canonicalAddress } from '../net/address';

/** How addresses and ports are written: numerically (-n) or with names from the resolver. */
export interface Naming {
  readonly numeric: boolean;
  readonly resolver: NameResolver;
}

export function portProtocolOf(protocol: number): PortProtocol | undefined {
  if (protocol === Protocol.TCP) return 'tcp';
  if (protocol === Protocol.UDP) return 'udp';
  if (protocol === Protocol.SCTP) return 'sctp';
  return undefined;
}

/**
 * ipvsadm's addrport_to_anyname: "addr:port", IPv6 bracketed, host and service names unless numeric
 * (protocol 0, as for fwmark services, keeps ports numeric); built in a 60-byte buffer. `fromKernel`:
 * the address is one ipvs-core decoded, whose IPv4 text is canonical already (IPv6 text still takes
 * glibc's form): the listings skip the check for every real server.
 */
export function endpointName(family: AddressFamily, address: string, port: number, protocol: number, naming: Naming, fromKernel = false): string {
  const numericAddress = fromKernel && family === AddressFamily.IPv4 ? address : canonicalAddress(family, address);
  let host = numericAddress;
  let service = String(port);
  if (!naming.numeric) {
    host = naming.resolver.addressToHost(family, numericAddress) ?? numericAddress;
    const portProtocol = portProtocolOf(protocol);
    service = (portProtocol && naming.resolver.portToService(port, portProtocol)) ?? service;
  }
  const text = family === AddressFamily.IPv6 ? `[${host}]:${service}` : `${host}:${service}`;
  return text.slice(0, 59);
}
