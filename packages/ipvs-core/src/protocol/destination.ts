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
import { decodeStats, statsReader } from './stats';

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

/** The family of a DEST nest: a missing ADDR_FAMILY (< 3.18) means the service's. */
function destinationFamily(nest: Attributes, serviceFamily: AddressFamily): AddressFamily {
  const familyValue = nest.u16(DestAttr.AddrFamily);
  const family = familyValue === undefined || familyValue === 0 ? serviceFamily : familyValue;
  if (family !== AddressFamily.IPv4 && family !== AddressFamily.IPv6) {
    throw new IpvsProtocolError(`destination: unknown address family ${family}`);
  }
  return family;
}

/**
 * A real server read where it lies in a received message, each field decoded when it is read: one
 * view serves a whole dump (see `IpvsApi.visitDestinations`), so a listing makes no object per real
 * server beyond the strings it prints. It shows the message it was last pointed at, and its `key` is
 * the view itself: nothing of it may be kept past the visit.
 */
export class DestinationView implements Destination, DestinationKey {
  // private fields: a spread copy (`{ ...view }`) gets only `family`, never the view's insides
  #nest: Attributes | undefined;
  /** The address once decoded (a line and a sort key both read it). */
  #address: string | undefined;
  family: AddressFamily = AddressFamily.IPv4;

  /** Points the view at a DEST nest (the table is the caller's, reloaded for the next message). */
  show(nest: Attributes, serviceFamily: AddressFamily): this {
    this.family = destinationFamily(nest, serviceFamily);
    this.#nest = nest;
    this.#address = undefined;
    return this;
  }

  private get attributes(): Attributes {
    if (!this.#nest) throw new IpvsProtocolError('destination view read before a message was shown');
    return this.#nest;
  }

  get key(): DestinationKey {
    return this;
  }

  get address(): string {
    return (this.#address ??= decodeAddress(this.attributes, DestAttr.Addr, this.family));
  }

  get port(): number {
    return this.attributes.u16BE(DestAttr.Port) ?? 0;
  }

  get forwarding(): number {
    return (this.attributes.u32(DestAttr.FwdMethod) ?? 0) & 0x7;
  }

  get weight(): number {
    return this.attributes.u32(DestAttr.Weight) ?? 0;
  }

  get upperThreshold(): number {
    return this.attributes.u32(DestAttr.UThresh) ?? 0;
  }

  get lowerThreshold(): number {
    return this.attributes.u32(DestAttr.LThresh) ?? 0;
  }

  get tunnelType(): number {
    return this.attributes.u8(DestAttr.TunType) ?? 0;
  }

  get tunnelPort(): number {
    return this.attributes.u16BE(DestAttr.TunPort) ?? 0;
  }

  get tunnelFlags(): number {
    return this.attributes.u16(DestAttr.TunFlags) ?? 0;
  }

  get activeConnections(): number {
    return this.attributes.u32(DestAttr.ActiveConns) ?? 0;
  }

  get inactiveConnections(): number {
    return this.attributes.u32(DestAttr.InactConns) ?? 0;
  }

  get persistentConnections(): number {
    return this.attributes.u32(DestAttr.PersistConns) ?? 0;
  }

  get stats(): Stats {
    return decodeStats(this.attributes, DestAttr.Stats64, DestAttr.Stats);
  }
}

/** Reads the nests `decodeDestinationNest` copies: one view, so each field is read in one place. */
const copying = new DestinationView();

/**
 * Decodes a DEST nest (of a NEW_DEST reply, or of a request in a fake kernel) into an object that
 * stays valid, reading each field once. A missing ADDR_FAMILY (< 3.18) means the service's family.
 */
export function decodeDestinationNest(nest: Attributes, serviceFamily: AddressFamily): Destination {
  const d = copying.show(nest, serviceFamily);
  return new ReceivedDestination(
    { address: d.address, port: d.port, family: d.family },
    d.forwarding,
    d.weight,
    d.upperThreshold,
    d.lowerThreshold,
    d.tunnelType,
    d.tunnelPort,
    d.tunnelFlags,
    d.activeConnections,
    d.inactiveConnections,
    d.persistentConnections,
    statsReader(nest, DestAttr.Stats64, DestAttr.Stats),
  );
}
