import { readFileSync } from 'node:fs';
import { AddressFamily } from '@tsipvs/ipvs-core';
import { canonicalAddress } from '../net/address';
import { parseGlibcDottedQuad } from '../net/glibc-ipv4';
import { parseGlibcIPv6 } from '../net/glibc-ipv6';
import type { NameResolver, PortProtocol } from './resolver';

interface HostEntry {
  readonly family: AddressFamily;
  readonly address: string;
  readonly names: readonly string[];
}

interface ServiceEntry {
  readonly names: readonly string[];
  readonly port: number;
  readonly protocol: string;
}

export interface FilesResolverOptions {
  readonly hostsPath?: string;
  readonly servicesPath?: string;
  /** Ask the system resolver (getaddrinfo: nsswitch, DNS) for host names missing from the hosts file. */
  readonly systemLookup?: boolean;
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'latin1')
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter((line) => line !== '');
  } catch {
    return [];
  }
}

function parseHosts(path: string): HostEntry[] {
  const entries: HostEntry[] = [];
  for (const line of readLines(path)) {
    const [address = '', ...names] = line.split(/\s+/);
    const family = parseGlibcDottedQuad(address) !== undefined ? AddressFamily.IPv4 : parseGlibcIPv6(address) ? AddressFamily.IPv6 : undefined;
    if (family === undefined || names.length === 0) continue;
    entries.push({ family, address: canonicalAddress(family, address), names });
  }
  return entries;
}

function parseServices(path: string): ServiceEntry[] {
  const entries: ServiceEntry[] = [];
  for (const line of readLines(path)) {
    const [name = '', portProto = '', ...aliases] = line.split(/\s+/);
    const match = /^(\d+)\/(\w+)$/.exec(portProto);
    if (!match) continue;
    entries.push({ names: [name, ...aliases], port: Number(match[1]), protocol: match[2]! });
  }
  return entries;
}

/**
 * Names from /etc/hosts and /etc/services read directly (like glibc's "files" source): the first
 * matching line wins and a host's canonical name is its first name. Deterministic and fast; reverse
 * lookups never query DNS (see docs/compatibility.md).
 */
export class FilesResolver implements NameResolver {
  private hosts: HostEntry[] | undefined;
  private services: ServiceEntry[] | undefined;

  constructor(private readonly options: FilesResolverOptions = {}) {}

  private hostEntries(): HostEntry[] {
    return (this.hosts ??= parseHosts(this.options.hostsPath ?? '/etc/hosts'));
  }

  private serviceEntries(): ServiceEntry[] {
    return (this.services ??= parseServices(this.options.servicesPath ?? '/etc/services'));
  }

  async hostToIPv4(name: string): Promise<string | undefined> {
    const wanted = name.toLowerCase();
    const entry = this.hostEntries().find(
      (e) => e.family === AddressFamily.IPv4 && e.names.some((n) => n.toLowerCase() === wanted),
    );
    if (entry) return entry.address;
    // Node answers address literals itself (any family): those are not host names.
    if (!this.options.systemLookup || name === '') return undefined;
    // node:net and dns are loaded here only: every command's start-up would pay for them
    const { isIP } = await import('node:net');
    if (isIP(name) !== 0) return undefined;
    const { lookup } = await import('node:dns/promises');
    try {
      const found = await lookup(name, { family: 4 });
      return found.family === 4 ? found.address : undefined;
    } catch {
      return undefined;
    }
  }

  serviceToPort(name: string, protocol: PortProtocol): number | undefined {
    return this.serviceEntries().find((e) => e.protocol === protocol && e.names.includes(name))?.port;
  }

  addressToHost(family: AddressFamily, address: string): string | undefined {
    const canonical = canonicalAddress(family, address);
    return this.hostEntries().find((e) => e.family === family && e.address === canonical)?.names[0];
  }

  portToService(port: number, protocol: PortProtocol): string | undefined {
    return this.serviceEntries().find((e) => e.protocol === protocol && e.port === port)?.names[0];
  }
}
