import {
  AddressFamily, DaemonState, ForwardingMethod, Protocol, ServiceFlags, TunnelType,
  type DestinationKey, type DestinationOptions, type ServiceKey, type ServiceOptions, type Timeouts,
} from '@tsipvs/ipvs-core';
import { CliError, EXIT_POPT, tryHelp, usageError } from '../errors';
import type { NameResolver, PortProtocol } from '../names/resolver';
import { formatGlibcIPv4, inetAton } from '../net/glibc-ipv4';
import { parseGlibcIPv6 } from '../net/glibc-ipv6';
import type { ListFormat, ParsedCommand } from './command';
import { parseHostPort, resolvePort, type HostPort } from './host-port';
import { checkCommandOptions, checkTunnelOptions, type TunnelTypeName } from './matrix';
import { numberInRange, parseFwmark } from './numbers';
import { parseSchedulerFlags } from './sched-flags';
import type { CommandName, OptionKey, OptionName } from './spec';
import { Tokenizer, type Token } from './tokenize';

const DEFAULT_SCHEDULER = 'wlc';
const DEFAULT_PERSISTENCE_TIMEOUT = 360;
const MAX_TIMEOUT = 86400 * 31;
/** --wait=SECONDS: up to a day. */
const MAX_WAIT_SECONDS = 86400;
const DEFAULT_MCAST_INTERFACE = 'eth0';
const INT_MAX = 2147483647;

type OptionToken = Extract<Token, { kind: 'option' }>;

const PROTOCOL_OF: Record<'tcp-service' | 'udp-service' | 'sctp-service', Protocol> = {
  'tcp-service': Protocol.TCP,
  'udp-service': Protocol.UDP,
  'sctp-service': Protocol.SCTP,
};

function portProtocol(protocol: Protocol): PortProtocol | undefined {
  if (protocol === Protocol.TCP) return 'tcp';
  if (protocol === Protocol.UDP) return 'udp';
  if (protocol === Protocol.SCTP) return 'sctp';
  return undefined;
}

/** Mutable state while reading the options, like ipvsadm's `ce` (defaults included). */
class Draft {
  command: CommandName = 'list';
  readonly given = new Set<OptionName>();
  family = AddressFamily.IPv4;
  protocol = Protocol.TCP;
  address = '0.0.0.0';
  port = 0;
  fwmark = 0;
  netmaskWord: string | undefined;
  netmask: string | number | undefined;
  scheduler = '';
  flags = 0;
  timeout = 0;
  pe: string | undefined;
  schedFlagsWord: string | undefined;
  /** ipvsadm's zeroed `ce.dest` until -r gives one. */
  realServer: HostPort = { family: AddressFamily.IPv4, address: '0.0.0.0', portText: undefined };
  realServerPort: number | undefined;
  forwarding = ForwardingMethod.DirectRoute;
  weight = 1;
  upperThreshold = 0;
  lowerThreshold = 0;
  tunnelType: TunnelTypeName = 'ipip';
  tunnelPort = 0;
  tunnelFlags = 0;
  listFlags = new Set<OptionKey>();
  daemonState = DaemonState.Master;
  mcastInterface = '';
  syncId = 0;
  maxLength: number | undefined;
  group: string | undefined;
  mcastPort: number | undefined;
  ttl: number | undefined;
  timeouts: Timeouts = { tcp: 0, tcpFin: 0, udp: 0 };
  /** --wait: how long -R waits for the table's lock (0: not at all). */
  waitMs = 0;

  get serviceGiven(): boolean {
    return this.given.has('service-address');
  }
}

/**
 * Reads an ipvsadm command line: popt tokens in order, each value validated where it appears (the
 * first bad one wins, as in ipvsadm), then leftovers, the compatibility matrix and the semantic
 * checks. Unlike ipvsadm the command may appear anywhere, and -r/-M do not depend on coming after
 * the service.
 */
export async function parseCommandLine(
  argv: readonly string[],
  resolver: NameResolver,
  program: string,
): Promise<ParsedCommand> {
  const tokenizer = new Tokenizer(argv);
  const tokens: Token[] = [];
  for (let token = tokenizer.next(); ; token = tokenizer.next()) {
    tokens.push(token);
    if (token.kind !== 'option') break;
  }
  const commandAt = tokens.findIndex((t) => t.kind === 'option' && t.spec.meaning.kind !== 'option');
  if (commandAt < 0) throw tryHelp(program);
  const first = tokens[commandAt] as OptionToken;
  const meaning = first.spec.meaning;
  if (meaning.kind === 'help') return { command: 'help' };
  if (meaning.kind === 'version') return { command: 'version-line' };
  if (meaning.kind !== 'command') throw tryHelp(program);

  const draft = new Draft();
  draft.command = meaning.command;
  if (meaning.command === 'start-daemon' || meaning.command === 'stop-daemon') {
    draft.daemonState = daemonState(meaning.command, first.value ?? '');
  }
  tokens.splice(commandAt, 1);
  for (const token of tokens) {
    if (token.kind === 'end') break;
    if (token.kind === 'error') throw new CliError(token.message, EXIT_POPT);
    const tokenMeaning = token.spec.meaning;
    if (tokenMeaning.kind !== 'option') throw usageError(`invalid option \`${token.word}'`);
    if (tokenMeaning.name) {
      if (draft.given.has(tokenMeaning.name)) throw usageError(`multiple '${tokenMeaning.name}' options specified`);
      draft.given.add(tokenMeaning.name);
    }
    await applyOption(draft, tokenMeaning.key, token.value, resolver);
  }

  const words = [...tokenizer.argumentWords];
  if (draft.command === 'set') {
    if (words.length < 3) throw usageError('--set option requires 3 timeout values');
    const [tcp, tcpFin, udp] = words.splice(0, 3).map((w) => {
      const value = numberInRange(w, 0, MAX_TIMEOUT);
      if (value === undefined) throw usageError(`invalid timeout value \`${w}' specified`);
      return value;
    }) as [number, number, number];
    draft.timeouts = { tcp, tcpFin, udp };
  }
  if (words.length > 0) throw usageError(`unexpected argument ${words[0]}`);

  await resolveDeferred(draft, resolver);
  const matrixProblem = checkCommandOptions(draft.command, draft.given);
  if (matrixProblem) throw usageError(matrixProblem);
  if (draft.schedFlagsWord !== undefined) {
    draft.flags |= parseSchedulerFlags(draft.schedFlagsWord, draft.scheduler || DEFAULT_SCHEDULER);
  }
  checkCommandSemantics(draft);
  return build(draft);
}

function daemonState(command: CommandName, word: string): DaemonState {
  if (word === 'master') return DaemonState.Master;
  if (word === 'backup') return DaemonState.Backup;
  throw usageError(command === 'start-daemon' ? 'illegal start-daemon parameter specified' : 'illegal start_daemon specified');
}

function rangeOrFail(word: string | undefined, min: number, max: number, message: string): number {
  const value = numberInRange(word ?? '', min, max);
  if (value === undefined) throw usageError(message);
  return value;
}

async function applyOption(draft: Draft, key: OptionKey, value: string | undefined, resolver: NameResolver): Promise<void> {
  const word = value ?? '';
  switch (key) {
    case 'tcp-service':
    case 'udp-service':
    case 'sctp-service': {
      draft.protocol = PROTOCOL_OF[key];
      const parsed = await parseHostPort(word, resolver);
      const port = parsed?.portText === undefined ? 0 : resolvePort(parsed.portText, portProtocol(draft.protocol), resolver);
      if (!parsed || port === undefined) throw usageError('illegal virtual server address[:port] specified');
      draft.family = parsed.family;
      draft.address = parsed.address;
      draft.port = port;
      return;
    }
    case 'fwmark-service': {
      draft.family = AddressFamily.IPv4;
      draft.protocol = Protocol.TCP;
      const mark = parseFwmark(word);
      if (mark === undefined) throw usageError(`invalid fwmark value \`${word}' specified`);
      draft.fwmark = mark;
      return;
    }
    case 'ipv6':
      if (!draft.fwmark) throw usageError('-6 used before -f\n');
      draft.family = AddressFamily.IPv6;
      return;
    case 'scheduler':
      draft.scheduler = word.slice(0, 15);
      return;
    case 'persistent':
      draft.flags |= ServiceFlags.Persistent;
      draft.timeout =
        value === undefined ? DEFAULT_PERSISTENCE_TIMEOUT : rangeOrFail(value, 1, MAX_TIMEOUT, `invalid timeout value \`${value}' specified`);
      return;
    case 'netmask':
      draft.netmaskWord = word;
      if (draft.serviceGiven) draft.netmask = await parseNetmask(draft.family, word, resolver);
      return;
    case 'pe':
      draft.pe = word.slice(0, 16);
      return;
    case 'sched-flags':
      draft.schedFlagsWord = word;
      return;
    case 'ops':
      draft.flags |= ServiceFlags.OnePacket;
      return;
    case 'real-server': {
      const parsed = await parseHostPort(word, resolver);
      if (!parsed) throw usageError('illegal real server address[:port] specified');
      draft.realServer = parsed;
      if (draft.serviceGiven) draft.realServerPort = realServerPort(draft, resolver);
      return;
    }
    case 'gatewaying':
      draft.forwarding = ForwardingMethod.DirectRoute;
      return;
    case 'ipip':
      draft.forwarding = ForwardingMethod.Tunnel;
      return;
    case 'masquerading':
      draft.forwarding = ForwardingMethod.Masquerade;
      return;
    case 'tun-type':
      if (word !== 'ipip' && word !== 'gue' && word !== 'gre') throw usageError('illegal tunnel type specified');
      draft.tunnelType = word;
      return;
    case 'tun-port':
      draft.tunnelPort = rangeOrFail(value, 1, 65535, 'illegal tunnel port specified');
      return;
    case 'tun-nocsum':
      draft.tunnelFlags = 0;
      return;
    case 'tun-csum':
      draft.tunnelFlags = 1;
      return;
    case 'tun-remcsum':
      draft.tunnelFlags = 2;
      return;
    case 'weight':
      draft.weight = rangeOrFail(value, 0, INT_MAX, 'illegal weight specified');
      return;
    case 'u-threshold':
      draft.upperThreshold = rangeOrFail(value, 0, INT_MAX, 'illegal u_threshold specified');
      return;
    case 'l-threshold':
      draft.lowerThreshold = rangeOrFail(value, 0, INT_MAX, 'illegal l_threshold specified');
      return;
    case 'syncid':
      draft.syncId = rangeOrFail(value, 0, 255, 'illegal syncid specified');
      return;
    case 'mcast-interface':
      draft.mcastInterface = word.slice(0, 15);
      return;
    case 'mcast-group':
      draft.group = parseMulticastGroup(word);
      return;
    case 'mcast-port':
      draft.mcastPort = rangeOrFail(value, 1, 65535, 'illegal mcast-port specified');
      return;
    case 'mcast-ttl':
      draft.ttl = rangeOrFail(value, 1, 255, 'illegal mcast-ttl specified');
      return;
    case 'sync-maxlen':
      draft.maxLength = rangeOrFail(value, 1, 65535 - 8 - 20, 'illegal sync-maxlen specified');
      return;
    case 'wait':
      draft.waitMs = value === undefined ? Infinity : rangeOrFail(value, 0, MAX_WAIT_SECONDS, 'illegal wait time specified') * 1000;
      return;
    default:
      draft.listFlags.add(key);
  }
}

/** IPv4: inet_aton, else a host name (so "-M 24" is the mask 0.0.0.24); IPv6: a prefix 1..128 (atoi). */
async function parseNetmask(family: AddressFamily, word: string, resolver: NameResolver): Promise<string | number> {
  if (family === AddressFamily.IPv6) {
    const prefix = parseInt(word, 10);
    if (!(prefix >= 1 && prefix <= 128)) throw usageError('illegal ipv6 netmask specified');
    return prefix;
  }
  const value = inetAton(word);
  const mask = value !== undefined ? formatGlibcIPv4(value) : await resolver.hostToIPv4(word);
  if (mask === undefined) throw usageError('illegal virtual server persistent mask specified');
  return mask;
}

function parseMulticastGroup(word: string): string {
  if (word.includes(':')) {
    const words = parseGlibcIPv6(word);
    if (!words || words[0]! >> 8 !== 0xff) throw usageError(`invalid IPv6 mcast-group \`${word}'`);
    return word;
  }
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(word);
  const first = match ? Number(match[1]) : -1;
  if (!match || match.slice(1).some((p) => Number(p) > 255) || first < 224 || first > 239) {
    throw usageError(`invalid IPv4 mcast-group \`${word}'`);
  }
  return word;
}

/** The real server's port: its own, else the service's (fwmark services: 0). */
function realServerPort(draft: Draft, resolver: NameResolver): number {
  const text = draft.realServer.portText;
  if (text === undefined) return draft.port;
  const port = resolvePort(text, portProtocol(draft.protocol), resolver);
  if (port === undefined) throw usageError('illegal real server address[:port] specified');
  return port;
}

/** -r and -M given before the service are resolved against the final service (ipvsadm: order-dependent). */
async function resolveDeferred(draft: Draft, resolver: NameResolver): Promise<void> {
  if (draft.given.has('real-server') && draft.realServerPort === undefined) draft.realServerPort = realServerPort(draft, resolver);
  if (draft.netmaskWord !== undefined && draft.netmask === undefined) {
    draft.netmask = await parseNetmask(draft.family, draft.netmaskWord, resolver);
  }
}

function checkCommandSemantics(draft: Draft): void {
  const { command, given } = draft;
  if (command === 'list') {
    const exclusive = draft.listFlags.has('connection') || draft.listFlags.has('timeout') || draft.listFlags.has('daemon');
    const counters = draft.listFlags.has('stats') || draft.listFlags.has('rate') || draft.listFlags.has('thresholds');
    const persistent = draft.listFlags.has('persistent-conn');
    const noSummary = draft.listFlags.has('timeout') || draft.listFlags.has('daemon');
    if ((exclusive && counters) || (noSummary && persistent) || (given.has('json') && given.has('pretty'))) {
      throw usageError('options conflicts in the list command');
    }
  }
  if (command === 'add-service' || command === 'edit-service') {
    if (!draft.fwmark && !draft.port && !(draft.flags & ServiceFlags.Persistent)) {
      throw usageError('Zero port specified for non-persistent service');
    }
    if (draft.flags & ServiceFlags.OnePacket && !draft.fwmark && draft.protocol !== Protocol.UDP) {
      throw usageError('One-Packet Scheduling is only for UDP virtual services');
    }
    if (!draft.scheduler) draft.scheduler = DEFAULT_SCHEDULER;
  }
  if (command === 'start-daemon' && !draft.mcastInterface) draft.mcastInterface = DEFAULT_MCAST_INTERFACE;
  if (command === 'add-server' || command === 'edit-server') {
    const tunnelling = draft.forwarding === ForwardingMethod.Tunnel;
    if (!draft.fwmark && (tunnelling || draft.forwarding === ForwardingMethod.DirectRoute)) draft.realServerPort = draft.port;
    if (draft.realServer.family !== draft.family && !tunnelling) {
      throw usageError('Different address family is allowed only for tunneling servers');
    }
    const tunnelOptions: OptionName[] = ['tun-type', 'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'];
    if (!tunnelling && tunnelOptions.some((o) => given.has(o))) throw usageError('Tunnel options conflict with forward method');
    const tunnelProblem = tunnelling ? checkTunnelOptions(draft.tunnelType, given) : undefined;
    if (tunnelProblem) throw usageError(tunnelProblem);
  }
}

const TUNNEL_TYPES: Record<TunnelTypeName, TunnelType> = { ipip: TunnelType.IPIP, gue: TunnelType.GUE, gre: TunnelType.GRE };

function serviceKey(draft: Draft): ServiceKey {
  if (draft.fwmark) return { family: draft.family, fwmark: draft.fwmark };
  return { family: draft.family, protocol: draft.protocol, address: draft.address, port: draft.port };
}

/** The command the draft stands for, with what it needs (the matrix has checked what was given). */
function build(draft: Draft): ParsedCommand {
  const service = serviceKey(draft);
  switch (draft.command) {
    case 'add-service':
      return { command: 'change', operation: { op: 'addService', service, options: serviceOptions(draft) } };
    case 'edit-service':
      return { command: 'change', operation: { op: 'editService', service, options: serviceOptions(draft) } };
    case 'delete-service':
      return { command: 'change', operation: { op: 'deleteService', service } };
    case 'add-server':
      return { command: 'change', operation: { op: 'addDestination', service, destination: destinationKey(draft), options: destinationOptions(draft) } };
    case 'edit-server':
      return { command: 'change', operation: { op: 'editDestination', service, destination: destinationKey(draft), options: destinationOptions(draft) } };
    case 'delete-server':
      return { command: 'change', operation: { op: 'deleteDestination', service, destination: destinationKey(draft) } };
    case 'flush':
      return { command: draft.command };
    case 'restore':
      return { command: 'restore', waitMs: draft.waitMs };
    case 'list':
      return { command: 'list', service: draft.serviceGiven ? service : undefined, format: listFormat(draft) };
    case 'save':
      return { command: 'save', numeric: draft.listFlags.has('numeric') };
    case 'zero':
      return { command: 'zero', service: draft.serviceGiven ? service : undefined };
    case 'set':
      return { command: 'set', timeouts: draft.timeouts };
    case 'start-daemon':
      return {
        command: 'start-daemon',
        daemon: {
          state: draft.daemonState,
          interface: draft.mcastInterface,
          syncId: draft.syncId,
          maxLength: draft.maxLength,
          group: draft.group,
          port: draft.mcastPort,
          ttl: draft.ttl,
        },
      };
    case 'stop-daemon':
      return { command: 'stop-daemon', state: draft.daemonState };
  }
}

function serviceOptions(draft: Draft): ServiceOptions {
  return {
    scheduler: draft.scheduler,
    timeout: draft.timeout,
    netmask: draft.netmask ?? (draft.family === AddressFamily.IPv6 ? 128 : '255.255.255.255'),
    flags: draft.flags,
    persistenceEngine: draft.pe,
  };
}

function destinationKey(draft: Draft): DestinationKey {
  return { family: draft.realServer.family, address: draft.realServer.address, port: draft.realServerPort ?? 0 };
}

function destinationOptions(draft: Draft): DestinationOptions {
  return {
    forwarding: draft.forwarding,
    weight: draft.weight,
    upperThreshold: draft.upperThreshold,
    lowerThreshold: draft.lowerThreshold,
    tunnelType: TUNNEL_TYPES[draft.tunnelType],
    tunnelPort: draft.tunnelPort,
    tunnelFlags: draft.tunnelFlags,
  };
}

function listFormat(draft: Draft): ListFormat {
  const flag = (key: OptionKey): boolean => draft.listFlags.has(key);
  return {
    numeric: flag('numeric'),
    exact: flag('exact'),
    sort: !flag('nosort'),
    stats: flag('stats'),
    rate: flag('rate'),
    thresholds: flag('thresholds'),
    persistentConn: flag('persistent-conn'),
    tunInfo: flag('tun-info'),
    connections: flag('connection'),
    timeouts: flag('timeout'),
    daemons: flag('daemon'),
    json: flag('json'),
    pretty: flag('pretty'),
  };
}
