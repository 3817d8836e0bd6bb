/**
 * Reads a rules file into a ruleset for `tsipvs apply`: either the ipvsadm save grammar (only -A and
 * -a lines, `#` comments allowed) or the JSON of `tsipvs -L --json`. Every problem is reported with its
 * line number, all at once; nothing is applied from a file with a problem.
 */
import {
  AddressFamily, ForwardingMethod, Protocol, TunnelType, destinationId, destinationOptionsPool, destinationSettings, serviceId,
  serviceSettings,
  type DestinationKey, type DestinationOptionsPool, type RuleDestination, type RuleService, type Ruleset, type ServiceKey, type ServiceSettings,
} from '@tsipvs/ipvs-core';
import { CliError, EXIT_USAGE } from '../errors';
import type { NameResolver } from '../names/resolver';
import type { SavedChange } from '../argv/save-line';
import { readSaveLines } from './restore-input';

/** A ruleset, and the way back to the line that defines each of its objects. */
export interface RulesetFile {
  readonly ruleset: Ruleset;
  /**
   * The line that defines a service or (with `destination`) one of its real servers, to name it when
   * the kernel refuses it; undefined for JSON input. The text is read again on this rare path, so no
   * line table is kept beside a large ruleset.
   */
  lineOf(service: ServiceKey, destination?: DestinationKey): Promise<number | undefined>;
}

interface Building {
  readonly key: ServiceKey;
  readonly options: ServiceSettings;
  readonly line: number;
  readonly destinations: RuleDestination[];
  /** destinationId → line, while the file is read (duplicates name the first line). */
  readonly destinationLines: Map<string, number>;
}

export async function readRulesetText(text: string, resolver: NameResolver, program: string): Promise<RulesetFile> {
  return /^\s*[{[]/.test(text) ? readJson(text) : readSaveFormat(text, resolver, program);
}

/**
 * Reads the save grammar line by line: `table` gets every -A and -a line, `problem` every line that
 * is not one (blank lines and comments are skipped).
 */
async function scanTableLines(
  text: string, resolver: NameResolver, program: string,
  table: (change: SavedChange, lineNumber: number) => void, problem: (lineNumber: number, message: string) => void,
): Promise<void> {
  await readSaveLines(text, resolver, program, {
    scanned: table,
    parsed: (command, lineNumber, argv) => {
      const operation = command.command === 'change' ? command.operation : undefined;
      if (operation?.op === 'addService' || operation?.op === 'addDestination') table(operation, lineNumber);
      else problem(lineNumber, `only -A and -a lines describe a table (found ${argv[0]})`);
    },
    refused: (error, lineNumber) => problem(lineNumber, error.message.trim()),
  });
}

async function readSaveFormat(text: string, resolver: NameResolver, program: string): Promise<RulesetFile> {
  const services = new Map<string, Building>();
  const share = destinationOptionsPool();
  const problems: string[] = [];
  const problem = (lineNumber: number, message: string) => problems.push(`line ${lineNumber}: ${message}`);
  await scanTableLines(text, resolver, program, (change, lineNumber) => {
    const id = serviceId(change.service);
    const owner = services.get(id);
    if (change.op === 'addService') {
      if (owner) problem(lineNumber, `service defined twice (first on line ${owner.line})`);
      else services.set(id, { key: change.service, options: serviceSettings(change.service, change.options), line: lineNumber, destinations: [], destinationLines: new Map() });
      return;
    }
    if (!owner) return problem(lineNumber, 'real server of a service this file does not define (with -A) before it');
    const did = destinationId(change.destination);
    const first = owner.destinationLines.get(did);
    if (first !== undefined) return problem(lineNumber, `real server listed twice (first on line ${first})`);
    owner.destinations.push({ key: change.destination, options: share(destinationSettings(change.options)) });
    owner.destinationLines.set(did, lineNumber);
  }, problem);
  if (problems.length > 0) throw new CliError(problems.join('\n'), EXIT_USAGE);
  return {
    ruleset: { services: [...services.values()].map((s): RuleService => ({ key: s.key, options: s.options, destinations: s.destinations })) },
    lineOf: lineFinder(text, resolver, program),
  };
}

/** Made out here: a closure made in readSaveFormat would keep that scope's maps alive. */
function lineFinder(text: string, resolver: NameResolver, program: string): RulesetFile['lineOf'] {
  return (service, destination) => definingLine(text, resolver, program, service, destination);
}

/** The line of a -A (or, with `destination`, -a) line for these keys; reads a file that already read cleanly. */
async function definingLine(
  text: string, resolver: NameResolver, program: string, service: ServiceKey, destination?: DestinationKey,
): Promise<number | undefined> {
  const sid = serviceId(service);
  const did = destination && destinationId(destination);
  let found: number | undefined;
  await scanTableLines(text, resolver, program, (change, lineNumber) => {
    if (found !== undefined || serviceId(change.service) !== sid) return;
    if (did === undefined ? change.op === 'addService' : change.op === 'addDestination' && destinationId(change.destination) === did) found = lineNumber;
  }, () => undefined);
  return found;
}

const FORWARDING: Record<string, ForwardingMethod> = {
  masq: ForwardingMethod.Masquerade,
  local: ForwardingMethod.Local,
  tunnel: ForwardingMethod.Tunnel,
  route: ForwardingMethod.DirectRoute,
};
const TUNNEL: Record<string, TunnelType> = { ipip: TunnelType.IPIP, gue: TunnelType.GUE, gre: TunnelType.GRE };
const CHECKSUM: Record<string, number> = { none: 0, checksum: 1, 'remote-checksum': 2 };
const PROTOCOL: Record<string, Protocol> = { tcp: Protocol.TCP, udp: Protocol.UDP, sctp: Protocol.SCTP };
const HASHED = 0x2;

/** The JSON of `tsipvs -L --json` (docs/cli.md); counters and connection counts are ignored. */
function readJson(text: string): RulesetFile {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new CliError(`the rules file is not valid JSON: ${(error as Error).message}`, EXIT_USAGE);
  }
  const list = Array.isArray(document) ? document : (document as { services?: unknown }).services;
  if (!Array.isArray(list)) throw new CliError('the JSON rules file must hold a "services" array (the output of tsipvs -L --json)', EXIT_USAGE);
  const share = destinationOptionsPool();
  const services: RuleService[] = list.map((entry, i) => jsonService(entry, `services[${i}]`, share));
  return { ruleset: { services }, lineOf: () => Promise.resolve(undefined) };
}

type Json = Record<string, unknown>;

function field<T>(object: Json, name: string, where: string, check: (v: unknown) => v is T, expected: string): T {
  const value = object[name];
  if (!check(value)) throw new CliError(`${where}.${name}: expected ${expected}`, EXIT_USAGE);
  return value;
}
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isString = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const oneOf = <T>(table: Record<string, T>) => (v: unknown): v is string => typeof v === 'string' && v in table;

function jsonService(entry: unknown, where: string, share: DestinationOptionsPool): RuleService {
  if (!isObject(entry)) throw new CliError(`${where}: expected an object`, EXIT_USAGE);
  const family = field(entry, 'family', where, oneOf({ ipv4: 1, ipv6: 1 }), '"ipv4" or "ipv6"') === 'ipv6' ? AddressFamily.IPv6 : AddressFamily.IPv4;
  const key: ServiceKey =
    entry.fwmark !== null && entry.fwmark !== undefined
      ? { family, fwmark: field(entry, 'fwmark', where, isNumber, 'a firewall mark') }
      : {
          family,
          protocol: PROTOCOL[field(entry, 'protocol', where, oneOf(PROTOCOL), '"tcp", "udp" or "sctp"')]!,
          address: field(entry, 'address', where, isString, 'an address'),
          port: field(entry, 'port', where, isNumber, 'a port'),
        };
  const engine = entry.persistenceEngine;
  const options: ServiceSettings = {
    scheduler: field(entry, 'scheduler', where, isString, 'a scheduler name'),
    timeout: field(entry, 'timeout', where, isNumber, 'a timeout in seconds'),
    netmask: family === AddressFamily.IPv6 ? field(entry, 'netmask', where, isNumber, 'a prefix length') : field(entry, 'netmask', where, isString, 'a netmask'),
    flags: field(entry, 'flags', where, isNumber, 'the flag word') & ~HASHED,
    ...(typeof engine === 'string' ? { persistenceEngine: engine } : {}),
  };
  const dests = entry.destinations ?? [];
  if (!Array.isArray(dests)) throw new CliError(`${where}.destinations: expected an array`, EXIT_USAGE);
  return { key, options, destinations: dests.map((d, i) => jsonDestination(d, `${where}.destinations[${i}]`, share)) };
}

function jsonDestination(entry: unknown, where: string, share: DestinationOptionsPool): RuleDestination {
  if (!isObject(entry)) throw new CliError(`${where}: expected an object`, EXIT_USAGE);
  const family = field(entry, 'family', where, oneOf({ ipv4: 1, ipv6: 1 }), '"ipv4" or "ipv6"') === 'ipv6' ? AddressFamily.IPv6 : AddressFamily.IPv4;
  const tunnel = isObject(entry.tunnel) ? entry.tunnel : undefined;
  const options = share({
    forwarding: FORWARDING[field(entry, 'forwarding', where, oneOf(FORWARDING), '"masq", "route", "tunnel" or "local"')]!,
    weight: field(entry, 'weight', where, isNumber, 'a weight'),
    upperThreshold: field(entry, 'upperThreshold', where, isNumber, 'a threshold'),
    lowerThreshold: field(entry, 'lowerThreshold', where, isNumber, 'a threshold'),
    tunnelType: tunnel ? TUNNEL[field(tunnel, 'type', `${where}.tunnel`, oneOf(TUNNEL), '"ipip", "gue" or "gre"')]! : TunnelType.IPIP,
    tunnelPort: tunnel ? field(tunnel, 'port', `${where}.tunnel`, isNumber, 'a port') : 0,
    tunnelFlags: tunnel ? CHECKSUM[field(tunnel, 'checksum', `${where}.tunnel`, oneOf(CHECKSUM), '"none", "checksum" or "remote-checksum"')]! : 0,
  });
  return {
    key: { family, address: field(entry, 'address', where, isString, 'an address'), port: field(entry, 'port', where, isNumber, 'a port') },
    options,
  };
}
