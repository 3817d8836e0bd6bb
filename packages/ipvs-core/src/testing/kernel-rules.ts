/**
 * The IPVS kernel's rules that the fake kernel applies, as small functions (kernel 6.1,
 * net/netfilter/ipvs/ip_vs_ctl.c and ip_vs_sync.c; the protocol notes §3.2 and §4.4).
 */
import { AddressFamily, DaemonState, type DestinationKey, type ServiceKey } from '..';
import { formatAddress, writeAddress } from '../wire';

/** The errnos the IPVS netlink handlers answer with. */
export const Errno = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EEXIST: 17, ENODEV: 19, EINVAL: 22, ERANGE: 34, EOPNOTSUPP: 95, EAFNOSUPPORT: 97,
} as const;

/** Schedulers of a Debian 6.1 kernel (`twos` is not built there), plus the pseudo-scheduler `none`. */
export const SCHEDULERS: ReadonlySet<string> = new Set(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'none']);
/** Persistence engines. */
export const ENGINES: ReadonlySet<string> = new Set(['sip']);

/** IP_VS_SCHEDNAME_MAXLEN − 1, IP_VS_PENAME_MAXLEN, IP_VS_IFNAME_MAXLEN − 1: longer names break the netlink policy. */
export const SCHED_NAME_MAX = 15;
export const PE_NAME_MAX = 16;
export const IFNAME_MAX = 15;

/** Timeouts are seconds kept as jiffies in an int: at most INT_MAX / HZ (Debian: CONFIG_HZ=250). */
export const TIMEOUT_MAX = Math.floor(0x7fffffff / 250);

const scratch = Buffer.alloc(16);

/** The 16 address bytes of `address` (false when it is not an address of `family`). */
function load(family: AddressFamily, address: string): boolean {
  scratch.fill(0);
  return writeAddress(family, address, scratch, 0);
}

/** The text the kernel's address bytes decode to (what a listing shows), or undefined. */
export function canonicalAddress(family: AddressFamily, address: string): string | undefined {
  return load(family, address) ? formatAddress(family, scratch, 0) : undefined;
}

/** `key` with its address as the kernel's bytes decode to (the form a dump gives back). */
export function canonicalServiceKey(key: ServiceKey): ServiceKey {
  if ('fwmark' in key) return { family: key.family, fwmark: key.fwmark };
  return { family: key.family, protocol: key.protocol, address: canonicalAddress(key.family, key.address) ?? key.address, port: key.port };
}

export function canonicalDestinationKey(key: DestinationKey): DestinationKey {
  return { family: key.family, address: canonicalAddress(key.family, key.address) ?? key.address, port: key.port };
}

/**
 * The service's hash bucket: ip_vs_svc_hashkey (address services, buckets 0..255) and
 * ip_vs_svc_fwm_hashkey (fwmark services, dumped after them: 256..511), with a zero netns pointer.
 */
export function serviceBucket(key: ServiceKey): number {
  if ('fwmark' in key) return 256 + (key.fwmark & 0xff);
  load(key.family, key.address);
  const fold = key.family === AddressFamily.IPv6
    ? (scratch.readUInt32BE(0) ^ scratch.readUInt32BE(4) ^ scratch.readUInt32BE(8) ^ scratch.readUInt32BE(12)) >>> 0
    : scratch.readUInt32BE(0);
  return (key.protocol ^ fold ^ (key.port >> 8) ^ key.port) & 0xff;
}

/**
 * ip_vs_new_dest's address check: IPv4 must route as unicast (0.0.0.0, 255.255.255.255 and
 * multicast do not; the rest of 0.0.0.0/8 does since 5.3, 6.1-verified: 0.0.0.7); IPv6 must be unicast and not link-local (::, ff00::/8, fe80::/10 and the
 * IPv4-mapped ::ffff:0:0/96 are not). The fake has no local addresses beyond what those allow.
 */
export function isUnicast(key: DestinationKey): boolean {
  if (!load(key.family, key.address)) return false;
  if (key.family === AddressFamily.IPv4) {
    const value = scratch.readUInt32BE(0);
    return value !== 0 && value !== 0xffffffff && value >>> 28 !== 0xe;
  }
  const first = scratch.readUInt16BE(0);
  const prefix96Zero = scratch.readUInt32BE(0) === 0 && scratch.readUInt32BE(4) === 0;
  const unspecified = prefix96Zero && scratch.readUInt32BE(8) === 0 && scratch.readUInt32BE(12) === 0;
  const mapped = prefix96Zero && scratch.readUInt32BE(8) === 0xffff;
  return !unspecified && !mapped && first >> 8 !== 0xff && (first & 0xffc0) !== 0xfe80;
}

/** True when `group` is a multicast address of its family (MCAST_GROUP / MCAST_GROUP6 checks). */
export function isMulticast(group: string): boolean {
  if (load(AddressFamily.IPv4, group)) return scratch[0]! >> 4 === 0xe;
  return load(AddressFamily.IPv6, group) && scratch[0] === 0xff;
}

/**
 * start_sync_thread's SYNC_MAXLEN: a given value is clamped to [1 (master) or 1024 (backup),
 * 65535 − IP/UDP header]; none gives the link MTU (master: 1500; backup: the interface's, clamped
 * to 1500..65535) minus that header.
 */
export function syncMaxLength(state: DaemonState, mtu: number, ipv6Group: boolean, requested: number | undefined): number {
  const header = ipv6Group ? 48 : 28;
  const clamp = (value: number, low: number, high: number): number => Math.min(Math.max(value, low), high);
  if (requested) return clamp(requested, state === DaemonState.Backup ? 1024 : 1, 65535 - header);
  return (state === DaemonState.Backup ? clamp(mtu, 1500, 65535) : 1500) - header;
}
