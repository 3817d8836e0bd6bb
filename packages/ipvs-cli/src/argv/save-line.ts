/**
 * A fast reader for the lines `ipvsadm -S -n` prints, the bulk of restore and apply input:
 *   -A -t|-u <ipv4>:<port> | -f <mark>  [-s <scheduler>] [-p <timeout>]
 *   -a -t|-u <ipv4>:<port> | -f <mark>  -r <ipv4>:<port> [-g|-i|-m] [-w <weight>] [-x <upper>] [-y <lower>]
 * words separated by single spaces, numbers without leading zeros. It yields exactly the change the
 * general grammar (parse.ts) reads from such a line, without its tokens, sets and promises; any
 * other line, and any value the grammar would refuse or read specially, is left to the grammar, so
 * error messages and edge cases stay the grammar's.
 */
import {
  AddressFamily, ForwardingMethod, Protocol, ServiceFlags, TunnelType,
  type DestinationOptions, type Operation, type ServiceKey, type ServiceOptions,
} from '@tsipvs/ipvs-core';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = `${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}`;
const PORT = '(?:[1-9]\\d{0,4}|0)';
const NUMBER = '(?:[1-9]\\d{0,9}|0)';
/** Captures: protocol switch, address, port | firewall mark. */
const SERVICE = `(?:-([tu]) (${IPV4}):(${PORT})|-f ([1-9]\\d{0,9}))`;

const ADD_SERVICE = new RegExp(`^-A ${SERVICE}(?: -s ([a-z]{1,15}))?(?: -p ([1-9]\\d{0,6}))?$`);
const ADD_SERVER = new RegExp(
  `^-a ${SERVICE} -r (${IPV4}):(${PORT})(?: -([gim]))?(?: -w (${NUMBER}))?(?: -x (${NUMBER}))?(?: -y (${NUMBER}))?$`,
);

const MAX_PORT = 65535;
const MAX_FWMARK = 0xffffffff;
const MAX_TIMEOUT = 86400 * 31;
const INT_MAX = 2147483647;
const DEFAULT_SCHEDULER = 'wlc';
const FORWARDING: Readonly<Record<string, ForwardingMethod>> = {
  g: ForwardingMethod.DirectRoute,
  i: ForwardingMethod.Tunnel,
  m: ForwardingMethod.Masquerade,
};

/** The changes the save format holds: -A and -a lines. */
export type SavedChange = Extract<Operation, { readonly op: 'addService' | 'addDestination' }>;

/** The change a line in the save format stands for, or undefined when the general grammar must read it. */
export function scanSaveLine(line: string): SavedChange | undefined {
  if (line.startsWith('-a ')) return scanAddServer(line);
  if (line.startsWith('-A ')) return scanAddService(line);
  return undefined;
}

/** The service of the previous line: a service's real servers follow it, and share its key object. */
let previousService: ServiceKey | undefined;

/** The service of captures 1..4, or undefined when a number is out of range. */
function serviceOf(match: RegExpExecArray): ServiceKey | undefined {
  const previous = previousService;
  if (match[4] !== undefined) {
    const fwmark = Number(match[4]);
    if (fwmark > MAX_FWMARK) return undefined;
    if (previous && 'fwmark' in previous && previous.fwmark === fwmark) return previous;
    return (previousService = { family: AddressFamily.IPv4, fwmark });
  }
  const port = Number(match[3]);
  if (port > MAX_PORT) return undefined;
  const protocol = match[1] === 'u' ? Protocol.UDP : Protocol.TCP;
  const address = match[2]!;
  if (previous && 'port' in previous && previous.port === port && previous.protocol === protocol && previous.address === address) return previous;
  return (previousService = { family: AddressFamily.IPv4, protocol, address, port });
}

function scanAddService(line: string): SavedChange | undefined {
  const match = ADD_SERVICE.exec(line);
  const service = match ? serviceOf(match) : undefined;
  if (!match || !service) return undefined;
  const timeout = match[6] === undefined ? 0 : Number(match[6]);
  if (timeout > MAX_TIMEOUT) return undefined;
  // a port-0 service without persistence is an error, reported by the grammar
  if ('port' in service && service.port === 0 && timeout === 0) return undefined;
  const options: ServiceOptions = {
    scheduler: match[5] ?? DEFAULT_SCHEDULER,
    timeout,
    netmask: '255.255.255.255',
    flags: timeout === 0 ? 0 : ServiceFlags.Persistent,
    persistenceEngine: undefined,
  };
  return { op: 'addService', service, options };
}

function scanAddServer(line: string): SavedChange | undefined {
  const match = ADD_SERVER.exec(line);
  const service = match ? serviceOf(match) : undefined;
  if (!match || !service) return undefined;
  const ownPort = Number(match[6]);
  const forwarding = FORWARDING[match[7] ?? 'g']!;
  const weight = match[8] === undefined ? 1 : Number(match[8]);
  const upperThreshold = match[9] === undefined ? 0 : Number(match[9]);
  const lowerThreshold = match[10] === undefined ? 0 : Number(match[10]);
  if (ownPort > MAX_PORT || weight > INT_MAX || upperThreshold > INT_MAX || lowerThreshold > INT_MAX) return undefined;
  // ipvsadm: direct routing and tunnelling keep the service's port (fwmark services: the server's own)
  const port = 'port' in service && forwarding !== ForwardingMethod.Masquerade ? service.port : ownPort;
  const options: DestinationOptions = {
    forwarding, weight, upperThreshold, lowerThreshold, tunnelType: TunnelType.IPIP, tunnelPort: 0, tunnelFlags: 0,
  };
  return { op: 'addDestination', service, destination: { family: AddressFamily.IPv4, address: match[5]!, port }, options };
}
