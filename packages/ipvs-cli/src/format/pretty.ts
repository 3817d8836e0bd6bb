import type { Daemon, Destination, Service, Stats, Timeouts } from '@tsipvs/ipvs-core';
import type { ListFormat } from '../argv/command';
import { hasSchedulerFlags, schedulerFlagNames } from '../argv/sched-flags';
import type { Connection } from './connections';
import { daemonStateName } from './daemons';
import { endpointName, type Naming } from './endpoint';
import type { ListedService } from './json';
import { largeNumber } from './numbers';
import { layoutOf, methodName, serviceName } from './text';

/** --pretty: the same data as the text listing, as a bordered table (the `table` package, loaded lazily). */

async function render(rows: string[][]): Promise<string> {
  const { table } = await import('table');
  return table(rows);
}

function serviceSummary(service: Service): string {
  const parts = [service.scheduler];
  if (hasSchedulerFlags(service.flags)) parts.push(`(${schedulerFlagNames(service.scheduler, service.flags).join(',')})`);
  return parts.join(' ');
}

const HEADERS: Record<ReturnType<typeof layoutOf>, string[]> = {
  stats: ['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'],
  rate: ['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'],
  thresholds: ['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'],
  'persistent-conn': ['Weight', 'PersistConn', 'ActiveConn', 'InActConn'],
  'tun-info': ['Forward', 'Weight', 'ActiveConn', 'InActConn'],
  default: ['Forward', 'Weight', 'ActiveConn', 'InActConn'],
};

/** Counter cells for --stats / --rate (abbreviated unless --exact); undefined for other layouts. */
function counterCells(s: Stats, format: ListFormat): string[] | undefined {
  const n = (v: bigint): string => largeNumber(v, format.exact).trim();
  const layout = layoutOf(format);
  if (layout === 'stats') return [s.connections, s.packetsIn, s.packetsOut, s.bytesIn, s.bytesOut].map(n);
  if (layout === 'rate') {
    return [s.connectionsPerSecond, s.packetsInPerSecond, s.packetsOutPerSecond, s.bytesInPerSecond, s.bytesOutPerSecond].map(n);
  }
  return undefined;
}

function destinationCells(d: Destination, format: ListFormat): string[] {
  const counters = counterCells(d.stats, format);
  if (counters) return counters;
  const connections = [String(d.activeConnections), String(d.inactiveConnections)];
  switch (layoutOf(format)) {
    case 'thresholds':
      return [String(d.upperThreshold), String(d.lowerThreshold), ...connections];
    case 'persistent-conn':
      return [String(d.weight), String(d.persistentConnections), ...connections];
    default:
      return [methodName(d.forwarding), String(d.weight), ...connections];
  }
}

export async function prettyServices(services: readonly ListedService[], format: ListFormat, naming: Naming): Promise<string> {
  const headers = HEADERS[layoutOf(format)];
  const rows: string[][] = [['Virtual service', 'Scheduler', 'Real server', ...headers]];
  for (const { service, destinations } of services) {
    const serviceCells = counterCells(service.stats, format) ?? headers.map(() => '');
    rows.push([serviceName(service, naming), serviceSummary(service), '', ...serviceCells]);
    const protocol = 'fwmark' in service.key ? 0 : service.key.protocol;
    for (const d of destinations) {
      rows.push(['', '', endpointName(d.key.family, d.key.address, d.key.port, protocol, naming), ...destinationCells(d, format)]);
    }
  }
  return render(rows);
}

export function prettyTimeouts(t: Timeouts): Promise<string> {
  return render([['TCP', 'TCP FIN', 'UDP'], [String(t.tcp), String(t.tcpFin), String(t.udp)]]);
}

export function prettyDaemons(daemons: readonly Daemon[]): Promise<string> {
  const rows = [['State', 'Interface', 'Sync ID', 'Max length', 'Group', 'Port', 'TTL']];
  for (const d of daemons) {
    rows.push([daemonStateName(d.state), d.interface, String(d.syncId), String(d.maxLength ?? ''), d.group ?? '', String(d.port ?? ''), String(d.ttl ?? '')]);
  }
  return render(rows);
}

export function prettyConnections(connections: readonly Connection[], naming: Naming): Promise<string> {
  const rows = [['Protocol', 'Expires', 'State', 'Source', 'Virtual', 'Destination']];
  for (const c of connections) {
    const name = (e: Connection['client']): string => endpointName(e.family, e.address, e.port, 0, naming);
    rows.push([c.protocol, `${c.expires}s`, c.state, name(c.client), name(c.virtual), name(c.destination)]);
  }
  return render(rows);
}
