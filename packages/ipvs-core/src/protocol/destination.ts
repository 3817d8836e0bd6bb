import { IpvsProtocolError, IpvsValidationError } from '../errors';
import type { Destination, DestinationKey, DestinationOptions, Stats } from '../model';
// straight from its module: the re-exports of '../model' are getters, and the view is read per real server
import { AddressFamily } from '../model/enums';
import { Attributes, MessageWriter } from './attributes';
import { CmdAttr, DestAttr } from './constants';
import { checkFamily, decodeAddress, writeAddressAttribute } from './service';
import { checkInteger, checkPort, checkU32, checkU8 } from './validate';
import { statsReader } from './stats';

/** Writes the DEST nest: identity only, or the full settings when `options` is given (ipvsadm's attribute order). */
export function writeDestinationNest(w: MessageWriter, key: DestinationKey, options?: DestinationOptions): void {
  if (typeof key !== 'object' || key === null) throw new IpvsValidationError('destination', 'expected a destination key');
  const nest = w.beginNest(CmdAttr.Dest);
  const family = checkFamily('destination.family', key.family);
  w.u16(DestAttr.AddrFamily, family);
  writeAddressAttribute(w, DestAttr.Addr, family, key.address, 'destination.address');
  w.u16BE(DestAttr.Port, checkPort('destination.port', key.port));
  if (options) {
    if (typeof options !== 'object' || options === null) throw new IpvsValidationError('options', 'expected destination options');
    w.u32(DestAttr.FwdMethod, checkInteger('options.forwarding', options.forwarding, 0, 7));
    // The kernel reads the weight as a signed int and refuses negative values.
    w.u32(DestAttr.Weight, checkInteger('options.weight', options.weight, 0, 0x7fffffff));
    w.u8(DestAttr.TunType, checkU8('options.tunnelType', options.tunnelType ?? 0));
    w.u16BE(DestAttr.TunPort, checkPort('options.tunnelPort', options.tunnelPort ?? 0));
    w.u16(DestAttr.TunFlags, checkInteger('options.tunnelFlags', options.tunnelFlags ?? 0, 0, 0xffff));
    w.u32(DestAttr.UThresh, checkU32('options.upperThreshold', options.upperThreshold));
    w.u32(DestAttr.LThresh, checkU32('options.lowerThreshold', options.lowerThreshold));
  }
  w.endNest(nest);
}

/**
 * A real server read in place from its DEST nest. A dump reuses one view (and its attribute table)
 * for every real server, so listing creates no object per real server beyond its address text;
 * fields other than the key are read on access. Valid until the nest is loaded again: `snapshot`
 * keeps a copy.
 */
export class DestinationView implements Destination {
  private readonly currentKey = { address: '', port: 0, family: AddressFamily.IPv4 as AddressFamily };

  constructor(private readonly nest: Attributes) {}

  /** Reads the key of the nest now loaded; a missing ADDR_FAMILY (< 3.18) means the service's family. */
  read(serviceFamily: AddressFamily): this {
    const nest = this.nest;
    const familyValue = nest.u16(DestAttr.AddrFamily);
    const family = familyValue === undefined || familyValue === 0 ? serviceFamily : familyValue;
    if (family !== AddressFamily.IPv4 && family !== AddressFamily.IPv6) {
      throw new IpvsProtocolError(`destination: unknown address family ${family}`);
    }
    const key = this.currentKey;
    key.address = decodeAddress(nest, DestAttr.Addr, family);
    key.port = nest.u16BE(DestAttr.Port) ?? 0;
    key.family = family;
    return this;
  }

  get key(): DestinationKey { return this.currentKey; }
  get forwarding(): number { return (this.nest.u32(DestAttr.FwdMethod) ?? 0) & 0x7; }
  get weight(): number { return this.nest.u32(DestAttr.Weight) ?? 0; }
  get upperThreshold(): number { return this.nest.u32(DestAttr.UThresh) ?? 0; }
  get lowerThreshold(): number { return this.nest.u32(DestAttr.LThresh) ?? 0; }
  get tunnelType(): number { return this.nest.u8(DestAttr.TunType) ?? 0; }
  get tunnelPort(): number { return this.nest.u16BE(DestAttr.TunPort) ?? 0; }
  get tunnelFlags(): number { return this.nest.u16(DestAttr.TunFlags) ?? 0; }
  get activeConnections(): number { return this.nest.u32(DestAttr.ActiveConns) ?? 0; }
  get inactiveConnections(): number { return this.nest.u32(DestAttr.InactConns) ?? 0; }
  get persistentConnections(): number { return this.nest.u32(DestAttr.PersistConns) ?? 0; }
  get stats(): Stats { return statsReader(this.nest, DestAttr.Stats64, DestAttr.Stats)(); }

  /** A plain object with the current values (counters still decoded on first access). */
  snapshot(): Destination {
    const stats = statsReader(this.nest, DestAttr.Stats64, DestAttr.Stats);
    return {
      key: { ...this.currentKey },
      forwarding: this.forwarding,
      weight: this.weight,
      upperThreshold: this.upperThreshold,
      lowerThreshold: this.lowerThreshold,
      tunnelType: this.tunnelType,
      tunnelPort: this.tunnelPort,
      tunnelFlags: this.tunnelFlags,
      activeConnections: this.activeConnections,
      inactiveConnections: this.inactiveConnections,
      persistentConnections: this.persistentConnections,
      get stats() {
        return stats();
      },
    };
  }
}

/** Decodes the DEST nest of a NEW_DEST reply. */
export function decodeDestinationNest(nest: Attributes, serviceFamily: AddressFamily): Destination {
  return new DestinationView(nest).read(serviceFamily).snapshot();
}
