import { formatAddress, formatNodeIPv4, writeAddress, writeNodeIPv4, prefixToNetmask } from '../node-address';
import { IpvsProtocolError, IpvsValidationError } from '../errors';
import type { Service, ServiceKey, ServiceOptions, Stats } from '../model';
import { serviceSettings } from '../model/defaults';
import { AddressFamily } from '../model/enums';
import type { Attributes } from '../netlink/attributes';
import type { MessageWriter } from '../netlink/writer';
import { CmdAttr, PE_NAME_MAX, SCHED_NAME_MAX, SVC_F_HASHED, SvcAttr } from './constants';
import { checkInteger, checkName, checkPort, checkU16, checkU32 } from './validate';
import { statsReader } from './stats';

export function checkFamily(field: string, family: unknown): AddressFamily {
  if (family !== AddressFamily.IPv4 && family !== AddressFamily.IPv6) {
    throw new IpvsValidationError(field, `expected AddressFamily.IPv4 (2) or AddressFamily.IPv6 (10), got ${String(family)}`);
  }
  return family;
}

/** Writes `address` of `family` as a 16-byte ADDR attribute, or throws naming `field`. */
export function writeAddressAttribute(w: MessageWriter, type: number, family: AddressFamily, address: unknown, field: string): void {
  const ok = typeof address === 'string' && w.binary(type, 16, (buffer, offset) => writeAddress(family, address, buffer, offset));
  if (!ok) {
    throw new IpvsValidationError(field, `expected an ${family === AddressFamily.IPv6 ? 'IPv6' : 'IPv4'} address, got ${JSON.stringify(address)}`);
  }
}

/** Writes the attributes that identify a service (AF + FWMARK, or AF + PROTOCOL + ADDR + PORT). */
export function writeServiceIdentity(w: MessageWriter, key: ServiceKey): void {
  if (typeof key !== 'object' || key === null) throw new IpvsValidationError('service', 'expected a service key');
  const family = checkFamily('service.family', key.family);
  w.u16(SvcAttr.Af, family);
  if ('fwmark' in key) {
    // FWMARK 0 would silently address the TCP 0.0.0.0:0 service instead.
    w.u32(SvcAttr.Fwmark, checkInteger('service.fwmark', key.fwmark, 1, 0xffffffff));
    return;
  }
  w.u16(SvcAttr.Protocol, checkU16('service.protocol', key.protocol));
  writeAddressAttribute(w, SvcAttr.Addr, family, key.address, 'service.address');
  w.u16BE(SvcAttr.Port, checkPort('service.port', key.port));
}

function writeNetmask(w: MessageWriter, family: AddressFamily, netmask: unknown): void {
  if (family === AddressFamily.IPv6) {
    w.u32(SvcAttr.Netmask, checkInteger('options.netmask', netmask, 1, 128));
    return;
  }
  const dotted = typeof netmask === 'number' ? prefixToNetmask(checkInteger('options.netmask', netmask, 0, 32)) : netmask;
  const ok = typeof dotted === 'string' && w.binary(SvcAttr.Netmask, 4, (buffer, offset) => writeNodeIPv4(dotted, buffer, offset));
  if (!ok) throw new IpvsValidationError('options.netmask', `expected a dotted IPv4 netmask, got ${JSON.stringify(netmask)}`);
}

/**
 * Writes the SERVICE nest: identity only, or every setting when `options` is given (those it leaves
 * out get their defaults).
 */
export function writeServiceNest(w: MessageWriter, key: ServiceKey, options?: ServiceOptions): void {
  const nest = w.beginNest(CmdAttr.Service);
  writeServiceIdentity(w, key);
  if (options !== undefined) {
    if (typeof options !== 'object' || options === null) throw new IpvsValidationError('options', 'expected service options');
    const settings = serviceSettings(key, options);
    w.string(SvcAttr.SchedName, checkName('options.scheduler', settings.scheduler, SCHED_NAME_MAX));
    if (settings.persistenceEngine !== undefined && settings.persistenceEngine !== '') {
      w.string(SvcAttr.PeName, checkName('options.persistenceEngine', settings.persistenceEngine, PE_NAME_MAX));
    }
    // Mask 0xffffffff: the flag word replaces the old one (HASHED is the kernel's own bit).
    w.u32Pair(SvcAttr.Flags, checkU32('options.flags', settings.flags) & ~SVC_F_HASHED, 0xffffffff);
    w.u32(SvcAttr.Timeout, checkU32('options.timeout', settings.timeout));
    writeNetmask(w, key.family, settings.netmask);
  }
  w.endNest(nest);
}

function decodeFamily(value: number, where: string): AddressFamily {
  if (value !== AddressFamily.IPv4 && value !== AddressFamily.IPv6) {
    throw new IpvsProtocolError(`${where}: unknown address family ${value}`);
  }
  return value;
}

/** Decodes an address attribute of `family` (the kernel sends 16 bytes; 4 are enough for IPv4). */
export function decodeAddress(nest: Attributes, type: number, family: AddressFamily): string {
  return formatAddress(family, nest.source, nest.requiredOffset(type, family === AddressFamily.IPv6 ? 16 : 4));
}

/** The identity of the service in a SERVICE nest. */
export function decodeServiceKey(nest: Attributes): ServiceKey {
  const family = decodeFamily(nest.requiredU16(SvcAttr.Af), 'service');
  const fwmark = nest.u32(SvcAttr.Fwmark);
  return fwmark !== undefined
    ? { family, fwmark }
    : {
      family,
      protocol: nest.requiredU16(SvcAttr.Protocol),
      address: decodeAddress(nest, SvcAttr.Addr, family),
      port: nest.u16BE(SvcAttr.Port) ?? 0,
    };
}

/**
 * A service as received, its counters decoded on first access: a class, not an object literal with
 * a getter, for the reason given at `ReceivedDestination` (a spread copy has no `stats`).
 */
class ReceivedService implements Service {
  readonly #stats: () => Stats;

  constructor(
    readonly key: ServiceKey,
    readonly scheduler: string,
    readonly timeout: number,
    readonly netmask: string | number,
    readonly flags: number,
    readonly persistenceEngine: string | undefined,
    stats: () => Stats,
  ) {
    this.#stats = stats;
  }

  get stats(): Stats {
    return this.#stats();
  }
}

/** Decodes the SERVICE nest of a NEW_SERVICE reply. */
export function decodeServiceNest(nest: Attributes): Service {
  const key = decodeServiceKey(nest);
  const family = key.family;
  const netmaskAt = nest.offset(SvcAttr.Netmask, 4);
  const netmask = family === AddressFamily.IPv6
    ? (netmaskAt >= 0 ? nest.source.readUInt32LE(netmaskAt) : 128)
    : (netmaskAt >= 0 ? formatNodeIPv4(nest.source, netmaskAt) : '255.255.255.255');
  const persistenceEngine = nest.string(SvcAttr.PeName);
  return new ReceivedService(
    key,
    nest.string(SvcAttr.SchedName) ?? '',
    nest.u32(SvcAttr.Timeout) ?? 0,
    netmask,
    ((nest.u32(SvcAttr.Flags) ?? 0) & ~SVC_F_HASHED) >>> 0,
    persistenceEngine ? persistenceEngine : undefined,
    statsReader(nest, SvcAttr.Stats64, SvcAttr.Stats),
  );
}
