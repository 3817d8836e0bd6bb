import {
  AddressFamily, ForwardingMethod, Protocol, ServiceFlags, TunnelType,
  type Daemon, type Destination, type Service, type Stats, type Timeouts,
} from '@tsipvs/ipvs-core';
import { schedulerFlagNames } from '../argv/sched-flags';
import { canonicalAddress } from '../net/address';
import type { Connection, ConnectionEndpoint } from './connections';
import { daemonStateName } from './daemons';

/**
 * --json: a stable, documented schema (docs/cli.md). Addresses are always numeric; 64-bit counters
 * are decimal strings so nothing is lost in JavaScript or jq.
 */

export interface ListedService {
  readonly service: Service;
  readonly destinations: readonly Destination[];
}

const familyName = (family: AddressFamily): string => (family === AddressFamily.IPv6 ? 'ipv6' : 'ipv4');

const FORWARDING_NAMES: Partial<Record<number, string>> = {
  [ForwardingMethod.Masquerade]: 'masq',
  [ForwardingMethod.Local]: 'local',
  [ForwardingMethod.Tunnel]: 'tunnel',
  [ForwardingMethod.DirectRoute]: 'route',
  [ForwardingMethod.Bypass]: 'bypass',
};

const TUNNEL_NAMES: Partial<Record<number, string>> = { [TunnelType.IPIP]: 'ipip', [TunnelType.GUE]: 'gue', [TunnelType.GRE]: 'gre' };
const CHECKSUM_NAMES: Partial<Record<number, string>> = { 0: 'none', 1: 'checksum', 2: 'remote-checksum' };

function statsJson(s: Stats): Record<string, string> {
  return {
    connections: s.connections.toString(),
    packetsIn: s.packetsIn.toString(),
    packetsOut: s.packetsOut.toString(),
    bytesIn: s.bytesIn.toString(),
    bytesOut: s.bytesOut.toString(),
    connectionsPerSecond: s.connectionsPerSecond.toString(),
    packetsInPerSecond: s.packetsInPerSecond.toString(),
    packetsOutPerSecond: s.packetsOutPerSecond.toString(),
    bytesInPerSecond: s.bytesInPerSecond.toString(),
    bytesOutPerSecond: s.bytesOutPerSecond.toString(),
  };
}

function destinationJson(d: Destination): Record<string, unknown> {
  return {
    family: familyName(d.key.family),
    address: canonicalAddress(d.key.family, d.key.address),
    port: d.key.port,
    forwarding: FORWARDING_NAMES[d.forwarding] ?? 'unknown',
    weight: d.weight,
    upperThreshold: d.upperThreshold,
    lowerThreshold: d.lowerThreshold,
    activeConnections: d.activeConnections,
    inactiveConnections: d.inactiveConnections,
    persistentConnections: d.persistentConnections,
    tunnel:
      d.forwarding === ForwardingMethod.Tunnel
        ? { type: TUNNEL_NAMES[d.tunnelType] ?? 'unknown', port: d.tunnelPort, checksum: CHECKSUM_NAMES[d.tunnelFlags] ?? 'unknown' }
        : null,
    stats: statsJson(d.stats),
  };
}

function serviceJson({ service, destinations }: ListedService): Record<string, unknown> {
  const key = service.key;
  const fwmark = 'fwmark' in key;
  return {
    family: familyName(key.family),
    protocol: fwmark ? null : (Protocol[key.protocol]?.toLowerCase() ?? String(key.protocol)),
    address: fwmark ? null : canonicalAddress(key.family, key.address),
    port: fwmark ? null : key.port,
    fwmark: fwmark ? key.fwmark : null,
    scheduler: service.scheduler,
    schedulerFlags: schedulerFlagNames(service.scheduler, service.flags),
    persistent: (service.flags & ServiceFlags.Persistent) !== 0,
    timeout: service.timeout,
    netmask: service.netmask,
    persistenceEngine: service.persistenceEngine ?? null,
    onePacket: (service.flags & ServiceFlags.OnePacket) !== 0,
    flags: service.flags,
    stats: statsJson(service.stats),
    destinations: destinations.map(destinationJson),
  };
}

const render = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

export function servicesJson(version: string, tableSize: number, services: readonly ListedService[]): string {
  return render({ version, connectionTableSize: tableSize, services: services.map(serviceJson) });
}

export function timeoutsJson(t: Timeouts): string {
  return render({ tcp: t.tcp, tcpFin: t.tcpFin, udp: t.udp });
}

export function daemonsJson(daemons: readonly Daemon[]): string {
  return render({
    daemons: daemons.map((d) => ({
      state: daemonStateName(d.state),
      interface: d.interface,
      syncId: d.syncId,
      maxLength: d.maxLength ?? null,
      group: d.group ?? null,
      port: d.port ?? null,
      ttl: d.ttl ?? null,
    })),
  });
}

const endpointJson = (e: ConnectionEndpoint): Record<string, unknown> => ({ family: familyName(e.family), address: e.address, port: e.port });

export function connectionsJson(connections: readonly Connection[]): string {
  return render({
    connections: connections.map((c) => ({
      protocol: c.protocol,
      expires: c.expires,
      state: c.state,
      client: endpointJson(c.client),
      virtual: endpointJson(c.virtual),
      destination: endpointJson(c.destination),
      persistenceEngine: c.peName ?? null,
      persistenceData: c.peData ?? null,
    })),
  });
}
