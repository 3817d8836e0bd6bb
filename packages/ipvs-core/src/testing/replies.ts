/**
 * Kernel-side encoding: the replies a 6.1 kernel sends (attribute order of the protocol notes §4),
 * written with our MessageWriter and address codec. Used by the fake kernel, and by codec tests
 * that need kernel-style messages.
 */
import { AddressFamily, type Daemon, type Destination, type Service, type Stats } from '..';
import {
  buildGenlMessage, constants, familyOf, MessageWriter, writeAddress, writeNodeIPv4, writeNodeIPv6, writeServiceIdentity,
} from '../wire';

import CmdAttr = constants.CmdAttr;
import DaemonAttr = constants.DaemonAttr;
import DestAttr = constants.DestAttr;
import IpvsCommand = constants.IpvsCommand;
import StatsAttr = constants.StatsAttr;
import SvcAttr = constants.SvcAttr;

/** The family id the fake kernel gives IPVS (any free id above nlctrl's would do). */
export const FAKE_FAMILY_ID = 32;

/** All-zero 64-bit counters: what a new service or real server has. */
export const ZERO_STATS: Stats = Object.freeze({
  connections: 0n, packetsIn: 0n, packetsOut: 0n, bytesIn: 0n, bytesOut: 0n, connectionsPerSecond: 0n,
  packetsInPerSecond: 0n, packetsOutPerSecond: 0n, bytesInPerSecond: 0n, bytesOutPerSecond: 0n, wide: true,
});

/** A generic netlink reply of `command` whose attributes `body` writes. */
export function genlReply(familyId: number, flags: number, seq: number, command: number, body: (w: MessageWriter) => void): Buffer {
  const w = new MessageWriter(256);
  body(w);
  return buildGenlMessage(familyId, flags, seq, command, w.view(0, w.written));
}

/** A STATS (32-bit counters, 64-bit bytes) or STATS64 (all 64-bit) nest. */
function writeStats(w: MessageWriter, type: number, stats: Stats, wide: boolean): void {
  const nest = w.beginNest(type);
  const values = [stats.connections, stats.packetsIn, stats.packetsOut, stats.bytesIn, stats.bytesOut, stats.connectionsPerSecond,
    stats.packetsInPerSecond, stats.packetsOutPerSecond, stats.bytesInPerSecond, stats.bytesOutPerSecond];
  values.forEach((value, i) => {
    const attr = i + StatsAttr.Conns;
    if (wide || attr === StatsAttr.InBytes || attr === StatsAttr.OutBytes) {
      w.binary(attr, 8, (b, o) => { b.writeBigUInt64LE(BigInt.asUintN(64, value), o); return true; });
    } else {
      w.u32(attr, Number(BigInt.asUintN(32, value)));
    }
  });
  w.endNest(nest);
}

export interface ReplyOptions {
  /** Send STATS64 (4.1+; default true). */
  readonly stats64?: boolean;
  /** Send a real server's ADDR_FAMILY (3.18+; default true). */
  readonly addrFamily?: boolean;
  /** Flags of the netlink header (default NLM_F_MULTI: a part of a dump). */
  readonly flags?: number;
  readonly familyId?: number;
}

/** A dump part (or, with `flags: 0`, a doit reply) of `command` holding one `nestType` nest that `body` fills. */
function objectReply(seq: number, command: number, nestType: number, options: ReplyOptions, body: (w: MessageWriter) => void): Buffer {
  return genlReply(options.familyId ?? FAKE_FAMILY_ID, options.flags ?? constants.NLM_F_MULTI, seq, command, (w) => {
    const nest = w.beginNest(nestType);
    body(w);
    w.endNest(nest);
  });
}

/** A NEW_SERVICE message as the 6.1 kernel sends it (attribute order, HASHED flag, both sets of counters). */
export function serviceReply(seq: number, service: Service, options: ReplyOptions = {}): Buffer {
  return objectReply(seq, IpvsCommand.NewService, CmdAttr.Service, options, (w) => {
    writeServiceIdentity(w, service.key);
    w.string(SvcAttr.SchedName, service.scheduler);
    if (service.persistenceEngine) w.string(SvcAttr.PeName, service.persistenceEngine);
    w.u32Pair(SvcAttr.Flags, (service.flags | constants.SVC_F_HASHED) >>> 0, 0xffffffff);
    w.u32(SvcAttr.Timeout, service.timeout);
    const netmask = service.netmask;
    if (typeof netmask === 'string') w.binary(SvcAttr.Netmask, 4, (b, o) => writeNodeIPv4(netmask, b, o));
    else w.u32(SvcAttr.Netmask, netmask);
    writeStats(w, SvcAttr.Stats, service.stats, false);
    if (options.stats64 ?? true) writeStats(w, SvcAttr.Stats64, service.stats, true);
  });
}

/** A NEW_DEST message as the 6.1 kernel sends it. */
export function destinationReply(seq: number, dest: Destination, options: ReplyOptions = {}): Buffer {
  return objectReply(seq, IpvsCommand.NewDest, CmdAttr.Dest, options, (w) => {
    w.binary(DestAttr.Addr, 16, (b, o) => writeAddress(dest.key.family, dest.key.address, b, o));
    w.u16BE(DestAttr.Port, dest.key.port);
    w.u32(DestAttr.FwdMethod, dest.forwarding);
    w.u32(DestAttr.Weight, dest.weight);
    w.u8(DestAttr.TunType, dest.tunnelType);
    w.u16BE(DestAttr.TunPort, dest.tunnelPort);
    w.u16(DestAttr.TunFlags, dest.tunnelFlags);
    w.u32(DestAttr.UThresh, dest.upperThreshold);
    w.u32(DestAttr.LThresh, dest.lowerThreshold);
    w.u32(DestAttr.ActiveConns, dest.activeConnections);
    w.u32(DestAttr.InactConns, dest.inactiveConnections);
    w.u32(DestAttr.PersistConns, dest.persistentConnections);
    if (options.addrFamily ?? true) w.u16(DestAttr.AddrFamily, dest.key.family);
    writeStats(w, DestAttr.Stats, dest.stats, false);
    if (options.stats64 ?? true) writeStats(w, DestAttr.Stats64, dest.stats, true);
  });
}

/** A NEW_DAEMON message as the kernel sends it (defaults filled in where the daemon has none). */
export function daemonReply(seq: number, daemon: Daemon, options: ReplyOptions = {}): Buffer {
  return objectReply(seq, IpvsCommand.NewDaemon, CmdAttr.Daemon, options, (w) => {
    w.u32(DaemonAttr.State, daemon.state);
    w.string(DaemonAttr.McastIfn, daemon.interface);
    w.u32(DaemonAttr.SyncId, daemon.syncId);
    w.u16(DaemonAttr.SyncMaxlen, daemon.maxLength ?? 1472);
    w.u16(DaemonAttr.McastPort, daemon.port ?? 8848);
    w.u8(DaemonAttr.McastTtl, daemon.ttl ?? 1);
    const group = daemon.group ?? '224.0.0.81';
    if (familyOf(group) === AddressFamily.IPv6) w.binary(DaemonAttr.McastGroup6, 16, (b, o) => writeNodeIPv6(group, b, o));
    else w.binary(DaemonAttr.McastGroup, 4, (b, o) => writeNodeIPv4(group, b, o));
  });
}
