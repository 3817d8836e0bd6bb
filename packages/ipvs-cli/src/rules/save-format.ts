import {
  AddressFamily, ForwardingMethod, Protocol, ServiceFlags, TunnelType,
  type Destination, type DestinationSettings, type Service, type ServiceKey, type ServiceSettings,
} from '@tsipvs/ipvs-core';
import { schedulerFlagNames } from '../argv/sched-flags';
import { endpointName, type Naming } from '../format/endpoint';

/**
 * The ipvsadm save grammar (-S), which -R reads back:
 *   -A <svc> -s <scheduler>[ -p <timeout>[ -M <mask>]][ --pe <name>][ -o][ -b <flags>]
 *   -a <svc> -r <addr:port> <-g|-i|-m> -w <weight>[ <tunnel>][ -x <upper>][ -y <lower>]
 * Thresholds are our addition (ipvsadm never saves them), printed only when set.
 */

const PROTOCOL_SWITCHES: Partial<Record<number, string>> = {
  [Protocol.TCP]: '-t',
  [Protocol.UDP]: '-u',
  [Protocol.SCTP]: '--sctp-service',
};

export function serviceArguments(key: ServiceKey, naming: Naming): string {
  if ('fwmark' in key) return `-f ${key.fwmark}${key.family === AddressFamily.IPv6 ? ' -6' : ''}`;
  const option = PROTOCOL_SWITCHES[key.protocol] ?? '--xxx-service';
  return `${option} ${endpointName(key.family, key.address, key.port, key.protocol, naming)}`;
}

/** `serviceArguments` of the service asked for last: a save writes each service's real servers in a row. */
let last: { readonly key: ServiceKey; readonly naming: Naming; readonly text: string } | undefined;

function lastServiceArguments(key: ServiceKey, naming: Naming): string {
  if (last?.key !== key || last.naming !== naming) last = { key, naming, text: serviceArguments(key, naming) };
  return last.text;
}

/** A service's save line; only its identity and settings are read (a ruleset entry will do). */
export function saveServiceLine(service: Pick<Service, 'key'> & ServiceSettings, naming: Naming): string {
  let line = `-A ${serviceArguments(service.key, naming)} -s ${service.scheduler}`;
  if (service.flags & ServiceFlags.Persistent) {
    line += ` -p ${service.timeout}`;
    if (service.key.family === AddressFamily.IPv6) {
      if (Number(service.netmask) !== 128) line += ` -M ${service.netmask}`;
    } else if (service.netmask !== '255.255.255.255') {
      line += ` -M ${service.netmask}`;
    }
  }
  if (service.persistenceEngine) line += ` --pe ${service.persistenceEngine}`;
  if (service.flags & ServiceFlags.OnePacket) line += ' -o';
  const flagBits = ServiceFlags.Sched1 | ServiceFlags.Sched2 | ServiceFlags.Sched3;
  if (service.flags & flagBits) line += ` -b ${schedulerFlagNames(service.scheduler, service.flags).join(',')}`;
  return `${line}\n`;
}

const METHOD_SWITCHES: Partial<Record<number, string>> = {
  [ForwardingMethod.Masquerade]: '-m',
  [ForwardingMethod.Local]: '-g',
  [ForwardingMethod.Tunnel]: '-i',
  [ForwardingMethod.DirectRoute]: '-g',
};

const CHECKSUM_SWITCHES = ['--tun-nocsum', '--tun-csum', '--tun-remcsum'];

function tunnelArguments(d: DestinationSettings): string {
  if (d.forwarding !== ForwardingMethod.Tunnel) return '';
  const checksum = CHECKSUM_SWITCHES[d.tunnelFlags] ?? '';
  if (d.tunnelType === TunnelType.IPIP) return ' --tun-type ipip';
  if (d.tunnelType === TunnelType.GUE) return ` --tun-type gue --tun-port ${d.tunnelPort} ${checksum}`;
  if (d.tunnelType === TunnelType.GRE) return ` --tun-type gre ${checksum}`;
  return '';
}

export function saveDestinationLine(service: Pick<Service, 'key'>, d: Pick<Destination, 'key'> & DestinationSettings, naming: Naming): string {
  const protocol = 'fwmark' in service.key ? 0 : service.key.protocol;
  const server = endpointName(d.key.family, d.key.address, d.key.port, protocol, naming);
  let line = `-a ${lastServiceArguments(service.key, naming)} -r ${server} ${METHOD_SWITCHES[d.forwarding] ?? '(null)'} -w ${d.weight | 0}`;
  line += tunnelArguments(d);
  if (d.upperThreshold) line += ` -x ${d.upperThreshold}`;
  if (d.lowerThreshold) line += ` -y ${d.lowerThreshold}`;
  return `${line}\n`;
}
