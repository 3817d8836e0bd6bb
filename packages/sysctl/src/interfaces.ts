/** What the presets need from the network stack: links (up/down) and IPv4 addresses on them. */
import { isIPv4 } from 'node:net';
import { SysctlError } from './errors';

export interface LinkInfo {
  readonly name: string;
  readonly index: number;
  readonly up: boolean;
}

export interface AddressExtra {
  readonly label?: string;
  readonly broadcast?: string;
  /** rtnetlink scope number (0 global, the default; 200 site, 253 link, 254 host, 255 nowhere). */
  readonly scope?: number;
}

export interface NetworkInterfaces {
  /** The link with this name, or undefined when there is none. */
  link(name: string): Promise<LinkInfo | undefined>;
  setLinkUp(name: string, up: boolean): Promise<void>;
  hasAddress(dev: string, address: string, prefixLength: number): Promise<boolean>;
  /** `label` (e.g. eth0:1) and `broadcast` as `ip addr add ... brd B label L` sets them. */
  addAddress(dev: string, address: string, prefixLength: number, extra?: AddressExtra): Promise<void>;
  deleteAddress(dev: string, address: string, prefixLength: number): Promise<void>;
  /** Releases the underlying socket. */
  close(): void;
}

/** Checks a VIP: a dotted-quad IPv4 address (IPv6 VIPs are not supported yet). */
export function checkVip(vip: string): string {
  if (isIPv4(vip)) return vip;
  const reason = vip.includes(':') ? 'IPv6 VIPs are not supported yet' : 'expected an IPv4 address such as 192.0.2.10';
  throw new SysctlError('invalid-value', `invalid VIP ${JSON.stringify(vip)}: ${reason}`);
}

/** Checks an interface name the way the kernel does (1 to 15 characters, no '/', ':' or whitespace). */
export function checkInterfaceName(name: string): string {
  if (name.length === 0 || name.length > 15 || name === '.' || name === '..' || /[/:\s\0]/.test(name)) {
    throw new SysctlError('invalid-name', `invalid interface name ${JSON.stringify(name)}`);
  }
  return name;
}
