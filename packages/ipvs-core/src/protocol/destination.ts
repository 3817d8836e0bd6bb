import { IpvsProtocolError, IpvsValidationError } from '../errors';
import type { Destination, DestinationKey, DestinationOptions, Stats } from '../model';
import { destinationSettings } from '../model/defaults';
// straight from its module: the re-exports of '../model' are getters, and this runs per real server
import { AddressFamily } from '../model/enums';
import type { Attributes } from '../netlink/attributes';
import type { MessageWriter } from '../netlink/writer';
import { CmdAttr, DestAttr } from './constants';
import { checkFamily, decodeAddress, writeAddressAttribute } from './service';
import { checkInteger, checkPort, checkU32, checkU8 } from './validate';
import { statsReader } from './stats';

/**
 * Writes the DEST nest: identity only, or every setting when `options` is given (those it leaves out
 * get their defaults), in ipvsadm's attribute order.
 */
export function writeDestinationNest(w: MessageWriter, key: DestinationKey, options?: DestinationOptions): void {
  if (typeof key !== 'object' || key === null) throw new IpvsValidationError('destination', 'expected a destination key');
  const nest = w.beginNest(CmdAttr.Dest);
  const family = checkFamily('destination.family', key.family);
  w.u16(DestAttr.AddrFamily, family);
  writeAddressAttribute(w, DestAttr.Addr, family, key.address, 'destination.address');
  w.u16BE(DestAttr.Port, checkPort('destination.port', key.port));
  if (options !== undefined) {
    if (typeof options !== 'object' || options === null) throw new IpvsValidationError('options', 'expected destination options');
    const settings = destinationSettings(options);
    w.u32(DestAttr.FwdMethod, checkInteger('options.forwarding', settings.forwarding, 0, 7));
    // The kernel reads the weight as a signed int and refuses negative values.
    w.u32(DestAttr.Weight, checkInteger('options.weight', settings.weight, 0, 0x7fffffff));
    w.u8(DestAttr.TunType, checkU8('options.tunnelType', settings.tunnelType));
    w.u16BE(DestAttr.TunPort, checkPort('options.tunnelPort', settings.tunnelPort));
    w.u16(DestAttr.TunFlags, checkInteger('options.tunnelFlags', settings.tunnelFlags, 0, 0xffff));
    w.u32(DestAttr.UThresh, checkU32('options.upperThreshold', settings.upperThreshold));
    w.u32(DestAttr.LThresh, checkU32('options.lowerThreshold', settings.lowerThreshold));
  }
  w.endNest(nest);
}

/**
 * A real server as received: read-only plain fields, and counters decoded on first access (a listing
 * that never shows them creates no BigInts). A class rather than an object literal with a getter:
 * V8 builds literals with accessors on a slow path, which cost five times the rest of the decoding.
 * The counters are an accessor of the class, so a spread copy (`{ ...d }`) has no `stats`.
 */
class ReceivedDestination implements Destination {
  readonly #stats: () => Stats;

  constructor(
    readonly key: DestinationKey,
    readonly forwarding: number,
    readonly weight: number,
    readonly upperThreshold: number,
    readonly lowerThreshold: number,
    readonly tunnelType: number,
    readonly tunnelPort: number,
    readonly tunnelFlags: number,
    readonly activeConnections: number,
    readonly inactiveConnections: number,
    readonly persistentConnections: number,
    stats: () => Stats,
  ) {
    this.#stats = stats;
  }

  get stats(): Stats {
    return this.#stats();
  }
}

/**
 * Decodes a DEST nest (of a NEW_DEST reply, or of a request in a fake kernel), reading each field
 * once. A missing ADDR_FAMILY (< 3.18) means the service's family.
 */
export function decodeDestinationNest(nest: Attributes, serviceFamily: AddressFamily): Destination {
  const familyValue = nest.u16(DestAttr.AddrFamily);
  const family = familyValue === undefined || familyValue === 0 ? serviceFamily : familyValue;
  if (family !== AddressFamily.IPv4 && family !== AddressFamily.IPv6) {
    throw new IpvsProtocolError(`destination: unknown address family ${family}`);
  }
  return new ReceivedDestination(
    { address: decodeAddress(nest, DestAttr.Addr, family), port: nest.u16BE(DestAttr.Port) ?? 0, family },
    (nest.u32(DestAttr.FwdMethod) ?? 0) & 0x7,
    nest.u32(DestAttr.Weight) ?? 0,
    nest.u32(DestAttr.UThresh) ?? 0,
    nest.u32(DestAttr.LThresh) ?? 0,
    nest.u8(DestAttr.TunType) ?? 0,
    nest.u16BE(DestAttr.TunPort) ?? 0,
    nest.u16(DestAttr.TunFlags) ?? 0,
    nest.u32(DestAttr.ActiveConns) ?? 0,
    nest.u32(DestAttr.InactConns) ?? 0,
    nest.u32(DestAttr.PersistConns) ?? 0,
    statsReader(nest, DestAttr.Stats64, DestAttr.Stats),
  );
}
