import {
  AddressFamily, ForwardingMethod, Protocol, ServiceFlags, TunnelType,
  type Destination, type Service, type Stats,
} from '@tsipvs/ipvs-core';
import type { ListFormat } from '../argv/command';
import { hasSchedulerFlags, schedulerFlagNames } from '../argv/sched-flags';
import { endpointName, type Naming } from './endpoint';
import { largeNumber, plainNumber } from './numbers';
import { left } from './pad';

/** ipvsadm's text listing (-L): titles, service lines, real-server lines, byte for byte. */

type Layout = 'stats' | 'rate' | 'thresholds' | 'persistent-conn' | 'tun-info' | 'default';

/** The first matching layout wins: --stats > --rate > --thresholds > --persistent-conn > --tun-info. */
export function layoutOf(format: ListFormat): Layout {
  if (format.stats) return 'stats';
  if (format.rate) return 'rate';
  if (format.thresholds) return 'thresholds';
  if (format.persistentConn) return 'persistent-conn';
  if (format.tunInfo) return 'tun-info';
  return 'default';
}

const TITLES: Record<Layout, string> = {
  default: 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n',
  'tun-info':
    'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n',
  stats: 'Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n  -> RemoteAddress:Port\n',
  rate: 'Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n  -> RemoteAddress:Port\n',
  thresholds: 'Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n  -> RemoteAddress:Port\n',
  'persistent-conn': 'Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n  -> RemoteAddress:Port\n',
};

export function titleLines(format: ListFormat): string {
  return TITLES[layoutOf(format)];
}

export function versionLine(version: string, tableSize: number): string {
  return `IP Virtual Server version ${version} (size=${tableSize})\n`;
}

const PROTOCOL_NAMES: Partial<Record<number, string>> = { [Protocol.TCP]: 'TCP', [Protocol.UDP]: 'UDP', [Protocol.SCTP]: 'SCTP' };

/** "TCP  10.0.0.1:80", "FWM  7 IPv6"; IPv4 names cut to 33 characters. Marks are unsigned (ipvsadm: signed). */
export function serviceName(service: Service, naming: Naming): string {
  const key = service.key;
  if ('fwmark' in key) return `FWM  ${key.fwmark}${key.family === AddressFamily.IPv6 ? ' IPv6' : ''}`;
  const name = `${(PROTOCOL_NAMES[key.protocol] ?? '?').padEnd(4)} ${endpointName(key.family, key.address, key.port, key.protocol, naming, true)}`;
  return key.family === AddressFamily.IPv6 ? name : name.slice(0, 33);
}

/** Protocol used for port names: fwmark services have none (the kernel reports protocol 0). */
function serviceProtocol(service: Service): number {
  return 'fwmark' in service.key ? 0 : service.key.protocol;
}

function destinationName(destination: Destination, service: Service, naming: Naming): string {
  const key = destination.key;
  const name = endpointName(key.family, key.address, key.port, serviceProtocol(service), naming, true);
  return key.family === AddressFamily.IPv6 ? name : name.slice(0, 28);
}

const METHOD_NAMES: Partial<Record<number, string>> = {
  [ForwardingMethod.Masquerade]: 'Masq',
  [ForwardingMethod.Local]: 'Local',
  [ForwardingMethod.Tunnel]: 'Tunnel',
  [ForwardingMethod.DirectRoute]: 'Route',
};

export function methodName(method: number): string {
  return METHOD_NAMES[method] ?? '(null)';
}

const CHECKSUM_NAMES = ['-c', '+c', 'r+c'];

function tunnelInfo(destination: Destination): string {
  if (destination.forwarding !== ForwardingMethod.Tunnel) return 'n/a';
  const checksum = CHECKSUM_NAMES[destination.tunnelFlags] ?? '?';
  if (destination.tunnelType === TunnelType.IPIP) return 'ipip';
  if (destination.tunnelType === TunnelType.GUE) return `gue:${destination.tunnelPort}:${checksum}`;
  if (destination.tunnelType === TunnelType.GRE) return `gre:${checksum}`;
  return 'n/a';
}

function netmaskText(service: Service): string {
  if (service.key.family === AddressFamily.IPv6) return Number(service.netmask) !== 128 ? ` mask ${service.netmask}` : '';
  return service.netmask !== '255.255.255.255' ? ` mask ${service.netmask}` : '';
}

/** The five totals of --stats: connections, packets and bytes in and out. */
function totals(s: Stats, exact: boolean): string {
  return largeNumber(s.connections, exact) + largeNumber(s.packetsIn, exact) + largeNumber(s.packetsOut, exact) +
    largeNumber(s.bytesIn, exact) + largeNumber(s.bytesOut, exact);
}

export function serviceLine(service: Service, format: ListFormat, naming: Naming): string {
  const name = serviceName(service, naming);
  // counters are decoded on first access (see ipvs-core): read them only where they are shown
  switch (layoutOf(format)) {
    case 'stats':
      return `${name.padEnd(33)}${totals(service.stats, format.exact)}\n`;
    case 'rate': {
      const s = service.stats;
      const x = format.exact;
      return `${name.padEnd(33)}${largeNumber(s.connectionsPerSecond, x)}${largeNumber(s.packetsInPerSecond, x)}${
        largeNumber(s.packetsOutPerSecond, x)}${largeNumber(s.bytesInPerSecond, x)}${largeNumber(s.bytesOutPerSecond, x)}\n`;
    }
    default: {
      let line = `${name} ${service.scheduler}`;
      if (hasSchedulerFlags(service.flags)) line += ` (${schedulerFlagNames(service.scheduler, service.flags).join(',')})`;
      if (service.flags & ServiceFlags.Persistent) {
        line += ` persistent ${service.timeout}${netmaskText(service)}`;
        if (service.persistenceEngine) line += ` pe ${service.persistenceEngine}`;
      }
      if (service.flags & ServiceFlags.OnePacket) line += ' ops';
      return `${line}\n`;
    }
  }
}

export function destinationLine(destination: Destination, service: Service, format: ListFormat, naming: Naming): string {
  const name = `  -> ${left(destinationName(destination, service, naming), 28)}`;
  const d = destination;
  switch (layoutOf(format)) {
    case 'stats':
      return `${name}${totals(d.stats, format.exact)}\n`;
    case 'rate': {
      const s = d.stats;
      return `${name}${plainNumber(s.connectionsPerSecond)}${plainNumber(s.packetsInPerSecond)}${plainNumber(s.packetsOutPerSecond)}${
        largeNumber(s.bytesInPerSecond, format.exact)}${largeNumber(s.bytesOutPerSecond, format.exact)}\n`;
    }
    case 'thresholds':
      return `${name} ${left(d.upperThreshold, 10)} ${left(d.lowerThreshold, 10)} ${left(d.activeConnections, 10)} ${left(d.inactiveConnections, 10)}\n`;
    case 'persistent-conn':
      return `${name} ${left(d.weight >>> 0, 9)} ${left(d.persistentConnections, 11)} ${left(d.activeConnections, 10)} ${left(d.inactiveConnections, 10)}\n`;
    case 'tun-info':
      return `${name} ${left(methodName(d.forwarding), 7)} ${left(tunnelInfo(d), 13)} ${left(d.weight | 0, 6)} ${left(d.activeConnections, 10)} ${left(d.inactiveConnections, 10)}\n`;
    default:
      return `${name} ${left(methodName(d.forwarding), 7)} ${left(d.weight | 0, 6)} ${left(d.activeConnections, 10)} ${left(d.inactiveConnections, 10)}\n`;
  }
}
