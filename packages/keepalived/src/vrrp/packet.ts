/**
 * VRRP advertisements for IPv4, as RFC 3768 (version 2, with keepalived's `auth_type PASS`) and
 * RFC 5798 (version 3) lay them out: encode, decode, and the receive checks of RFC 3768 7.1 /
 * RFC 5798 7.1 that do not need the instance's state. The IP header is the kernel's (raw socket,
 * protocol 112); a received datagram starts with it.
 */
import { formatNodeIPv4, writeNodeIPv4 } from '@tsipvs/ipvs-core/wire';
import type { VrrpAuth, VrrpVersion } from '../config/vrrp-model';

export const IPPROTO_VRRP = 112;
export const VRRP_MULTICAST_GROUP = '224.0.0.18';
/** Every advert leaves with TTL 255 and one arriving with another TTL is dropped (it crossed a router). */
export const VRRP_TTL = 255;
const TYPE_ADVERTISEMENT = 1;
const V2_AUTH_LENGTH = 8;


export interface VrrpAdvert {
  readonly version: VrrpVersion;
  readonly vrid: number;
  /** 0 (the master is leaving), 1-254, 255 (the address owner). */
  readonly priority: number;
  /** Version 2: whole seconds; version 3: centiseconds (12 bits). Kept here in centiseconds for both. */
  readonly intervalCs: number;
  readonly addresses: readonly string[];
  /** Version 2 only. */
  readonly auth?: VrrpAuth;
}

/** One's-complement sum over 16-bit words, folded (RFC 1071). */
function onesComplementSum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  for (let i = start; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if ((end - start) % 2 === 1) sum += bytes[end - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** Version 3 sums an IPv4 pseudo-header (source, destination, zero, protocol, length) first. */
function pseudoHeaderSum(source: string, destination: string, length: number): number {
  const header = new Uint8Array(12);
  writeNodeIPv4(source, header, 0);
  writeNodeIPv4(destination, header, 4);
  header[9] = IPPROTO_VRRP;
  header[10] = length >> 8;
  header[11] = length & 0xff;
  return onesComplementSum(header, 0, 12);
}

function checksumOf(message: Uint8Array, version: VrrpVersion, source?: string, destination?: string): number {
  const initial = version === 3 ? pseudoHeaderSum(source ?? '0.0.0.0', destination ?? '0.0.0.0', message.length) : 0;
  return ~onesComplementSum(message, 0, message.length, initial) & 0xffff;
}

/** Problems found in advert options before anything is sent. */
export class VrrpPacketError extends Error {
  override readonly name = 'VrrpPacketError';
}

/**
 * The VRRP message (no IP header). Version 3's checksum covers the pseudo-header, so it needs the
 * source and destination addresses the kernel will put in the IP header.
 */
export function encodeAdvert(advert: VrrpAdvert, ip: { readonly source: string; readonly destination: string }): Buffer {
  const { version, vrid, priority, intervalCs, addresses } = advert;
  if (!Number.isInteger(vrid) || vrid < 1 || vrid > 255) throw new VrrpPacketError(`virtual_router_id ${vrid} is not 1-255`);
  if (!Number.isInteger(priority) || priority < 0 || priority > 255) throw new VrrpPacketError(`priority ${priority} is not 0-255`);
  if (addresses.length > 255) throw new VrrpPacketError(`${addresses.length} addresses do not fit one advert (at most 255)`);
  const authLength = version === 2 ? V2_AUTH_LENGTH : 0;
  const message = Buffer.alloc(8 + 4 * addresses.length + authLength);
  message[0] = (version << 4) | TYPE_ADVERTISEMENT;
  message[1] = vrid;
  message[2] = priority;
  message[3] = addresses.length;
  if (version === 2) {
    if (intervalCs % 100 !== 0 || intervalCs < 100 || intervalCs > 25500) {
      throw new VrrpPacketError(`advert_int ${intervalCs / 100} s: version 2 carries whole seconds 1-255`);
    }
    const auth = advert.auth ?? { type: 'none' };
    message[4] = auth.type === 'pass' ? 1 : 0;
    message[5] = intervalCs / 100;
    if (auth.type === 'pass') Buffer.from(auth.password, 'latin1').copy(message, 8 + 4 * addresses.length, 0, V2_AUTH_LENGTH);
  } else {
    if (!Number.isInteger(intervalCs) || intervalCs < 1 || intervalCs > 0xfff) {
      throw new VrrpPacketError(`advert_int ${intervalCs / 100} s: version 3 carries 0.01-40.95 s`);
    }
    message.writeUInt16BE(intervalCs, 4);
  }
  addresses.forEach((address, i) => {
    if (!writeNodeIPv4(address, message, 8 + 4 * i)) throw new VrrpPacketError(`${JSON.stringify(address)} is not an IPv4 address`);
  });
  message.writeUInt16BE(checksumOf(message, version, ip.source, ip.destination), 6);
  return message;
}

/** Why a received datagram was dropped; counted per reason (keepalived counts most of these too). */
export type DropReason =
  | 'short' | 'not-vrrp' | 'ttl' | 'version' | 'type' | 'checksum' | 'length'
  | 'vrid' | 'auth-type' | 'auth' | 'interval' | 'addresses';

export interface ReceivedAdvert extends VrrpAdvert {
  /** The IP header's source: the sender's primary address. */
  readonly source: string;
  readonly destination: string;
  readonly ttl: number;
}

export type DecodeResult = { readonly ok: true; readonly advert: ReceivedAdvert } | { readonly ok: false; readonly reason: DropReason; readonly detail: string };

function drop(reason: DropReason, detail: string): DecodeResult {
  return { ok: false, reason, detail };
}

/**
 * Reads a datagram from a raw IPv4 socket (IP header first) and checks what needs no instance state:
 * protocol, TTL 255, version (the one configured), type, lengths, checksum.
 */
export function decodeAdvert(datagram: Uint8Array, expectedVersion: VrrpVersion): DecodeResult {
  if (datagram.length < 20) return drop('short', `${datagram.length} bytes`);
  const headerLength = (datagram[0]! & 0x0f) * 4;
  if (datagram[0]! >> 4 !== 4 || headerLength < 20 || datagram.length < headerLength + 8) return drop('short', 'truncated IPv4 header or message');
  if (datagram[9] !== IPPROTO_VRRP) return drop('not-vrrp', `IP protocol ${datagram[9]}`);
  const ttl = datagram[8]!;
  const source = formatNodeIPv4(datagram, 12);
  const destination = formatNodeIPv4(datagram, 16);
  const totalLength = Math.min(((datagram[2]! << 8) | datagram[3]!) || datagram.length, datagram.length);
  const message = datagram.subarray(headerLength, totalLength);
  if (ttl !== VRRP_TTL) return drop('ttl', `TTL ${ttl} from ${source}`);
  const version = message[0]! >> 4;
  if (version !== expectedVersion) return drop('version', `version ${version} from ${source}, configured ${expectedVersion}`);
  if ((message[0]! & 0x0f) !== TYPE_ADVERTISEMENT) return drop('type', `type ${message[0]! & 0x0f} from ${source}`);
  const count = message[3]!;
  const wanted = 8 + 4 * count + (version === 2 ? V2_AUTH_LENGTH : 0);
  if (message.length < wanted) return drop('length', `${message.length} bytes for ${count} addresses from ${source}`);
  const body = message.subarray(0, wanted);
  const sum = onesComplementSum(body, 0, body.length, version === 3 ? pseudoHeaderSum(source, destination, body.length) : 0);
  if (sum !== 0xffff) return drop('checksum', `bad checksum from ${source}`);
  const addresses = Array.from({ length: count }, (_, i) => formatNodeIPv4(body, 8 + 4 * i));
  const common = { vrid: body[1]!, priority: body[2]!, addresses, source, destination, ttl };
  if (version === 2) {
    const authType = body[4]!;
    const raw = body.subarray(8 + 4 * count, wanted);
    const end = raw.indexOf(0);
    const auth: VrrpAuth = authType === 1 ? { type: 'pass', password: Buffer.from(raw.subarray(0, end < 0 ? raw.length : end)).toString('latin1') } : { type: 'none' };
    if (authType > 1) return drop('auth-type', `authentication type ${authType} from ${source}`);
    return { ok: true, advert: { ...common, version: 2, intervalCs: body[5]! * 100, auth } };
  }
  return { ok: true, advert: { ...common, version: 3, intervalCs: ((body[4]! & 0x0f) << 8) | body[5]! } };
}

/** An instance's view of what a valid advert for it carries (RFC 3768 7.1 and keepalived's rules). */
export interface AdvertExpectation {
  readonly vrid: number;
  readonly version: VrrpVersion;
  readonly auth?: VrrpAuth;
  /** Version 2 drops an advert whose interval differs from ours; version 3 learns the master's. */
  readonly intervalCs: number;
  readonly addresses: readonly string[];
  /** keepalived's vrrp_skip_check_adv_addr: no address-list check for the master we heard last. */
  readonly skipAddressCheckFrom?: string;
}

/** The checks that need the instance: VRID, authentication, interval (v2), the address list. */
export function checkAdvert(advert: ReceivedAdvert, expected: AdvertExpectation): DecodeResult {
  if (advert.vrid !== expected.vrid) return drop('vrid', `VRID ${advert.vrid} from ${advert.source}, ours is ${expected.vrid}`);
  if (advert.version === 2) {
    const mine = expected.auth ?? { type: 'none' };
    const theirs = advert.auth ?? { type: 'none' };
    if (mine.type !== theirs.type) return drop('auth-type', `authentication ${theirs.type} from ${advert.source}, ours is ${mine.type}`);
    if (mine.type === 'pass' && theirs.type === 'pass' && mine.password.slice(0, V2_AUTH_LENGTH) !== theirs.password) {
      return drop('auth', `wrong password from ${advert.source}`);
    }
    if (advert.intervalCs !== expected.intervalCs) {
      return drop('interval', `advert_int ${advert.intervalCs / 100} s from ${advert.source}, ours is ${expected.intervalCs / 100} s`);
    }
  }
  // priority 0 is a master leaving: its list still has to match, except for the master we know
  if (advert.source !== expected.skipAddressCheckFrom) {
    const theirs = [...advert.addresses].sort().join(' ');
    const ours = [...expected.addresses].sort().join(' ');
    if (theirs !== ours) return drop('addresses', `addresses ${theirs || '(none)'} from ${advert.source}, ours are ${ours || '(none)'}`);
  }
  return { ok: true, advert };
}
