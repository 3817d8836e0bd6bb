/**
 * VRRP on the wire: a raw IPv4 socket for protocol 112 bound to one interface (multicast group joined,
 * or unicast peers), and gratuitous ARP through a packet socket. Node has neither socket type, so both
 * go through libc (`@tsipvs/ipvs-core/libc`, koffi). Sends are immediate system calls; the blocking
 * receive runs on koffi's worker threads (`recvAsync`), so the event loop never waits on the network.
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import { failed, libc, LibcError, SOL_SOCKET, SO_RCVTIMEO } from '@tsipvs/ipvs-core/libc';
import { writeNodeIPv4 } from '@tsipvs/ipvs-core/wire';
import { IPPROTO_VRRP, VRRP_TTL } from './packet';

const AF_INET = 2;
const AF_PACKET = 17;
const SOCK_RAW = 3;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0x80000;
const IPPROTO_IP = 0;
const IP_TOS = 1;
const IP_TTL = 2;
const IP_MTU_DISCOVER = 10;
const IP_PMTUDISC_DONT = 0;
/** IPTOS_PREC_INTERNETCONTROL: the precedence keepalived (and routing protocols) give their packets. */
const TOS_INTERNET_CONTROL = 0xc0;
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_TTL = 33;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;
const SO_BINDTODEVICE = 25;
const ETH_P_ARP = 0x0806;
/** How often a pending receive comes back to see whether the channel was closed. */
const RECEIVE_POLL_MS = 250;

function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value);
  return b;
}

function sockaddrIn(address: string): Buffer {
  const sa = Buffer.alloc(16);
  sa.writeUInt16LE(AF_INET, 0);
  if (!writeNodeIPv4(address, sa, 4)) throw new Error(`${address} is not an IPv4 address`);
  return sa;
}

/** struct ip_mreqn: group, local address (any), interface index. */
function membership(group: string, ifindex: number): Buffer {
  const m = Buffer.alloc(12);
  writeNodeIPv4(group, m, 0);
  m.writeInt32LE(ifindex, 8);
  return m;
}

function check(result: number, syscall: string, detail?: string): number {
  if (result < 0) throw failed(syscall, detail);
  return result;
}

export interface ChannelOptions {
  readonly interfaceName: string;
  /** Our primary address on the interface: the source of our adverts. */
  readonly source: string;
  /** Multicast group (default 224.0.0.18, keepalived's vrrp_mcast_group4) unless unicast peers are given. */
  readonly group: string;
  readonly unicastPeers: readonly string[];
}

/** Emits 'datagram' (Buffer: IP header + VRRP message) and 'error' (Error). */
export interface VrrpChannel extends EventEmitter {
  readonly ifindex: number;
  /** Sends one VRRP message to the group, or to every unicast peer (encoded per destination: version 3's checksum covers it). */
  send(encode: (destination: string) => Buffer): void;
  close(): Promise<void>;
}

export function interfaceIndex(name: string): number {
  const index = libc().ifNameToIndex(name);
  if (index === 0) throw new LibcError('if_nametoindex', 19 /* ENODEV */, name);
  return index;
}

/** Opens the channel of one interface: a send socket and a receive loop. */
export function openVrrpChannel(options: ChannelOptions): VrrpChannel {
  const c = libc();
  const ifindex = interfaceIndex(options.interfaceName);
  const device = Buffer.from(`${options.interfaceName}\0`, 'latin1');
  const open = (): number => {
    const fd = check(c.socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_VRRP), 'socket', 'raw IPv4 protocol 112');
    try {
      check(c.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, device.length), 'setsockopt', `SO_BINDTODEVICE ${options.interfaceName}`);
      return fd;
    } catch (error) {
      c.close(fd);
      throw error;
    }
  };
  const sendFd = open();
  let receiveFd = -1;
  try {
    check(c.bind(sendFd, sockaddrIn(options.source), 16), 'bind', options.source);
    check(c.setsockopt(sendFd, IPPROTO_IP, IP_TTL, int32(VRRP_TTL), 4), 'setsockopt', 'IP_TTL');
    // the IP header as keepalived writes it: internetwork-control precedence, no Don't Fragment bit
    check(c.setsockopt(sendFd, IPPROTO_IP, IP_TOS, int32(TOS_INTERNET_CONTROL), 4), 'setsockopt', 'IP_TOS');
    check(c.setsockopt(sendFd, IPPROTO_IP, IP_MTU_DISCOVER, int32(IP_PMTUDISC_DONT), 4), 'setsockopt', 'IP_MTU_DISCOVER');
    check(c.setsockopt(sendFd, IPPROTO_IP, IP_MULTICAST_TTL, int32(VRRP_TTL), 4), 'setsockopt', 'IP_MULTICAST_TTL');
    check(c.setsockopt(sendFd, IPPROTO_IP, IP_MULTICAST_LOOP, int32(0), 4), 'setsockopt', 'IP_MULTICAST_LOOP');
    check(c.setsockopt(sendFd, IPPROTO_IP, IP_MULTICAST_IF, membership('0.0.0.0', ifindex), 12), 'setsockopt', 'IP_MULTICAST_IF');
    receiveFd = open();
    if (options.unicastPeers.length === 0) {
      check(c.setsockopt(receiveFd, IPPROTO_IP, IP_ADD_MEMBERSHIP, membership(options.group, ifindex), 12), 'setsockopt', `IP_ADD_MEMBERSHIP ${options.group}`);
    }
    const timeout = Buffer.alloc(16);
    timeout.writeBigInt64LE(0n, 0);
    timeout.writeBigInt64LE(BigInt(RECEIVE_POLL_MS * 1000), 8);
    check(c.setsockopt(receiveFd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16), 'setsockopt', 'SO_RCVTIMEO');
  } catch (error) {
    c.close(sendFd);
    if (receiveFd >= 0) c.close(receiveFd);
    throw error;
  }
  return new Channel(sendFd, receiveFd, ifindex, options);
}

class Channel extends EventEmitter implements VrrpChannel {
  private closed = false;
  private readonly receiving: Promise<void>;
  private readonly destinations: ReadonlyArray<{ readonly address: string; readonly sockaddr: Buffer }>;

  constructor(private readonly sendFd: number, private readonly receiveFd: number, readonly ifindex: number, options: ChannelOptions) {
    super();
    const targets = options.unicastPeers.length > 0 ? options.unicastPeers : [options.group];
    this.destinations = targets.map((address) => ({ address, sockaddr: sockaddrIn(address) }));
    this.receiving = this.receiveLoop();
  }

  send(encode: (destination: string) => Buffer): void {
    if (this.closed) return;
    for (const { address, sockaddr } of this.destinations) {
      const message = encode(address);
      if (libc().sendto(this.sendFd, message, message.length, 0, sockaddr, 16) < 0) this.emit('error', failed('sendto', `VRRP advert to ${address}`));
    }
  }

  private async receiveLoop(): Promise<void> {
    const buffer = Buffer.alloc(2048);
    while (!this.closed) {
      const n = await libc().recvAsync(this.receiveFd, buffer, buffer.length, 0);
      // n < 0: the receive timed out (the poll) or the socket is closing; both just loop
      if (n > 0 && !this.closed) this.emit('datagram', Buffer.from(buffer.subarray(0, n)));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.receiving; // at most one poll interval
    libc().close(this.receiveFd);
    libc().close(this.sendFd);
  }
}

/** The interface's hardware address from sysfs ("aa:bb:cc:dd:ee:ff"). */
function macOf(interfaceName: string): Buffer {
  const text = fs.readFileSync(`/sys/class/net/${interfaceName}/address`, 'latin1').trim();
  return Buffer.from(text.split(':').map((h) => parseInt(h, 16)));
}

/**
 * Gratuitous ARP for each address (an ARP request from and for the address, to the broadcast address),
 * so switches and neighbours learn the new master's MAC at once.
 */
export function sendGratuitousArp(interfaceName: string, addresses: readonly string[]): void {
  if (addresses.length === 0) return;
  const c = libc();
  const ifindex = interfaceIndex(interfaceName);
  const mac = macOf(interfaceName);
  const fd = check(c.socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, ((ETH_P_ARP & 0xff) << 8) | (ETH_P_ARP >> 8)), 'socket', 'packet socket for ARP');
  try {
    // struct sockaddr_ll: family, protocol (network order), ifindex, hatype, pkttype, halen, address
    const to = Buffer.alloc(20);
    to.writeUInt16LE(AF_PACKET, 0);
    to.writeUInt16BE(ETH_P_ARP, 2);
    to.writeInt32LE(ifindex, 4);
    to[11] = 6;
    to.fill(0xff, 12, 18);
    for (const address of addresses) {
      const arp = Buffer.alloc(28);
      arp.writeUInt16BE(1, 0); // Ethernet
      arp.writeUInt16BE(0x0800, 2); // IPv4
      arp[4] = 6;
      arp[5] = 4;
      arp.writeUInt16BE(1, 6); // request
      mac.copy(arp, 8);
      writeNodeIPv4(address, arp, 14);
      arp.fill(0xff, 18, 24);
      writeNodeIPv4(address, arp, 24);
      check(c.sendto(fd, arp, arp.length, 0, to, to.length), 'sendto', `gratuitous ARP for ${address} on ${interfaceName}`);
    }
  } finally {
    c.close(fd);
  }
}
