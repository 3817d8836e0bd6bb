import type { AddressFamily } from '@tsipvs/ipvs-core';

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

/**
 * Host and service names, in both directions, as ipvsadm uses them (gethostbyname for IPv4 hosts,
 * gethostbyaddr, getservbyname, getservbyport). Injected so tests are deterministic.
 */
export interface NameResolver {
  /** First IPv4 address of a host name, or undefined. */
  hostToIPv4(name: string): Promise<string | undefined>;
  /** Port of a service name for a protocol, or undefined. */
  serviceToPort(name: string, protocol: PortProtocol): number | undefined;
  /** Canonical host name of an address, or undefined. */
  addressToHost(family: AddressFamily, address: string): string | undefined;
  /** Service name of a port for a protocol, or undefined. */
  portToService(port: number, protocol: PortProtocol): string | undefined;
}
