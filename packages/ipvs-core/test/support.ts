/** Test helpers: a seeded random source, kernel-style reply encoders and an in-memory IPVS "kernel". */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AddressFamily, Attributes, buildDoneMessage, buildErrorMessage, codec, MessageWriter, parseRecording,
  type Daemon, type Destination, type NetlinkMessage, type Recording, type Service, type Stats,
} from './internals';
import { writeAddress, writeIPv4, writeIPv6 } from '../src/addresses';
import {
  CmdAttr, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, DaemonAttr, DestAttr, GENL_ATTRS_OFFSET, GENL_ID_CTRL, IpvsCommand,
  NLM_F_MULTI, StatsAttr, SvcAttr,
} from '../src/protocol/constants';
import { decodeDaemonNest } from '../src/protocol/daemon';
import { decodeDestinationNest } from '../src/protocol/destination';
import { decodeServiceNest } from '../src/protocol/service';

/** The oracle corpus: `shared/` sits beside the repository (this file runs from packages/ipvs-core/dist/test). */
export const ORACLE = process.env.TSIPVS_ORACLE ?? path.resolve(__dirname, '../../../../../shared/oracle/public');
export const FAMILY_ID = 32;

/** Mulberry32: small deterministic PRNG so failures reproduce. */
export function random(seed: number): { int(min: number, max: number): number; pick<T>(items: readonly T[]): T; bool(): boolean } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    bool: () => next() < 0.5,
  };
}

/** Every capture directory of the oracle with its parsed recordings by file name. */
export function oracleCaptures(): Array<{ scenario: string; files: Map<string, Recording> }> {
  return fs.readdirSync(ORACLE).filter((name) => name.endsWith('.netlink')).sort().map((dir) => ({
    scenario: dir.replace(/\.netlink$/, ''),
    files: new Map(fs.readdirSync(path.join(ORACLE, dir)).map((file) => [file, parseRecording(fs.readFileSync(path.join(ORACLE, dir, file), 'utf8'))])),
  }));
}

function writeStats(w: MessageWriter, type: number, stats: Stats, wide: boolean): void {
  const nest = w.beginNest(type);
  const values = [stats.connections, stats.packetsIn, stats.packetsOut, stats.bytesIn, stats.bytesOut, stats.connectionsPerSecond,
    stats.packetsInPerSecond, stats.packetsOutPerSecond, stats.bytesInPerSecond, stats.bytesOutPerSecond];
  values.forEach((value, i) => {
    const attr = i + StatsAttr.Conns;
    if (wide || attr === StatsAttr.InBytes || attr === StatsAttr.OutBytes) {
      w.binary(attr, 8, (b, o) => { b.writeBigUInt64LE(value, o); return true; });
    } else {
      w.u32(attr, Number(value & 0xffffffffn));
    }
  });
  w.endNest(nest);
}

/** A NEW_SERVICE message as the 6.1 kernel sends it (attribute order, HASHED flag, both stats sets). */
export function serviceReply(seq: number, service: Service, options: { stats64?: boolean } = {}): Buffer {
  const w = new MessageWriter(512);
  const start = w.beginMessage(FAMILY_ID, NLM_F_MULTI, IpvsCommand.NewService, 1);
  const nest = w.beginNest(CmdAttr.Service);
  const key = service.key;
  w.u16(SvcAttr.Af, key.family);
  if ('fwmark' in key) {
    w.u32(SvcAttr.Fwmark, key.fwmark);
  } else {
    w.u16(SvcAttr.Protocol, key.protocol);
    w.binary(SvcAttr.Addr, 16, (b, o) => writeAddress(key.family, key.address, b, o));
    w.u16BE(SvcAttr.Port, key.port);
  }
  w.string(SvcAttr.SchedName, service.scheduler);
  if (service.persistenceEngine) w.string(SvcAttr.PeName, service.persistenceEngine);
  w.u32Pair(SvcAttr.Flags, service.flags | 0x2, 0xffffffff);
  w.u32(SvcAttr.Timeout, service.timeout);
  if (typeof service.netmask === 'string') w.binary(SvcAttr.Netmask, 4, (b, o) => writeIPv4(service.netmask as string, b, o));
  else w.u32(SvcAttr.Netmask, service.netmask);
  writeStats(w, SvcAttr.Stats, service.stats, false);
  if (options.stats64 ?? true) writeStats(w, SvcAttr.Stats64, service.stats, true);
  w.endNest(nest);
  const message = Buffer.from(w.endMessage(start));
  message.writeUInt32LE(seq, 8);
  return message;
}

/** A NEW_DEST message as the 6.1 kernel sends it. */
export function destinationReply(seq: number, dest: Destination, options: { stats64?: boolean; addrFamily?: boolean } = {}): Buffer {
  const w = new MessageWriter(512);
  const start = w.beginMessage(FAMILY_ID, NLM_F_MULTI, IpvsCommand.NewDest, 1);
  const nest = w.beginNest(CmdAttr.Dest);
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
  w.endNest(nest);
  const message = Buffer.from(w.endMessage(start));
  message.writeUInt32LE(seq, 8);
  return message;
}

/** A NEW_DAEMON message as the kernel sends it. */
export function daemonReply(seq: number, daemon: Daemon): Buffer {
  const w = new MessageWriter(256);
  const start = w.beginMessage(FAMILY_ID, NLM_F_MULTI, IpvsCommand.NewDaemon, 1);
  const nest = w.beginNest(CmdAttr.Daemon);
  w.u32(DaemonAttr.State, daemon.state);
  w.string(DaemonAttr.McastIfn, daemon.interface);
  w.u32(DaemonAttr.SyncId, daemon.syncId);
  w.u16(DaemonAttr.SyncMaxlen, daemon.maxLength ?? 1472);
  w.u16(DaemonAttr.McastPort, daemon.port ?? 8848);
  w.u8(DaemonAttr.McastTtl, daemon.ttl ?? 1);
  const group = daemon.group ?? '224.0.0.81';
  if (group.includes(':')) w.binary(DaemonAttr.McastGroup6, 16, (b, o) => writeIPv6(group, b, o));
  else w.binary(DaemonAttr.McastGroup, 4, (b, o) => writeIPv4(group, b, o));
  w.endNest(nest);
  const message = Buffer.from(w.endMessage(start));
  message.writeUInt32LE(seq, 8);
  return message;
}

function familyReply(seq: number): Buffer {
  const w = new MessageWriter(128);
  const start = w.beginMessage(GENL_ID_CTRL, 0, 1, 2);
  w.string(CTRL_ATTR_FAMILY_NAME, 'IPVS');
  w.u16(CTRL_ATTR_FAMILY_ID, FAMILY_ID);
  const message = Buffer.from(w.endMessage(start));
  message.writeUInt32LE(seq, 8);
  return message;
}

function genlMessage(seq: number, command: number, body: (w: MessageWriter) => void): Buffer {
  const w = new MessageWriter(128);
  const start = w.beginMessage(FAMILY_ID, 0, command, 1);
  body(w);
  const message = Buffer.from(w.endMessage(start));
  message.writeUInt32LE(seq, 8);
  return message;
}

export const ZERO_STATS: Stats = {
  connections: 0n, packetsIn: 0n, packetsOut: 0n, bytesIn: 0n, bytesOut: 0n, connectionsPerSecond: 0n,
  packetsInPerSecond: 0n, packetsOutPerSecond: 0n, bytesInPerSecond: 0n, bytesOutPerSecond: 0n, wide: true,
};

function serviceId(service: Service): string {
  return JSON.stringify(service.key);
}

/**
 * A small in-memory IPVS that answers requests with the kernel's rules (errnos of §3.2 of the
 * protocol notes), using our own decoders to read requests. Enough to test the client end to end.
 */
export class FakeKernel {
  readonly services = new Map<string, { service: Service; dests: Destination[] }>();
  readonly daemons: Daemon[] = [];
  timeouts = { tcp: 900, tcpFin: 120, udp: 300 };
  familyRegistered = true;
  privileged = true;
  readonly received: NetlinkMessage[] = [];

  readonly answer = (request: NetlinkMessage): Buffer[] => {
    this.received.push(request);
    const seq = request.seq;
    if (request.type === GENL_ID_CTRL) {
      return this.familyRegistered ? [familyReply(seq), buildErrorMessage(request.bytes, 0)] : [buildErrorMessage(request.bytes, 2)];
    }
    if (!this.privileged) return [buildErrorMessage(request.bytes, 1)];
    try {
      const replies = this.handle(request);
      const dump = (request.flags & 0x300) !== 0;
      if (dump) return [Buffer.concat([...replies, buildDoneMessage(seq)])];
      // like the kernel: success is acknowledged only when NLM_F_ACK asks for it
      return (request.flags & 0x4) !== 0 ? [...replies, buildErrorMessage(request.bytes, 0)] : replies;
    } catch (errno) {
      return [buildErrorMessage(request.bytes, errno as number)];
    }
  };

  private handle(request: NetlinkMessage): Buffer[] {
    const bytes = request.bytes;
    const command = bytes[16]!;
    const top = Attributes.parse(bytes, GENL_ATTRS_OFFSET, bytes.length, CmdAttr.TimeoutUdp, 'request');
    const serviceNest = top.nested(CmdAttr.Service, SvcAttr.Stats64);
    const service = serviceNest && { ...decodeServiceNest(serviceNest), stats: ZERO_STATS };
    const entry = service && this.services.get(serviceId(service));
    const need = (): { service: Service; dests: Destination[] } => { if (!entry) throw 3; return entry; };
    const destNest = top.nested(CmdAttr.Dest, DestAttr.TunFlags);
    const dest = destNest && service && { ...decodeDestinationNest(destNest, service.key.family), stats: ZERO_STATS };
    const seq = request.seq;
    switch (command) {
      case IpvsCommand.GetInfo:
        return [genlMessage(seq, IpvsCommand.SetInfo, (w) => { w.u32(1, 0x010201); w.u32(2, 4096); })];
      case IpvsCommand.GetConfig:
        return [genlMessage(seq, IpvsCommand.SetConfig, (w) => {
          w.u32(CmdAttr.TimeoutTcp, this.timeouts.tcp); w.u32(CmdAttr.TimeoutTcpFin, this.timeouts.tcpFin); w.u32(CmdAttr.TimeoutUdp, this.timeouts.udp);
        })];
      case IpvsCommand.SetConfig: {
        const next = { tcp: top.u32(CmdAttr.TimeoutTcp) ?? 0, tcpFin: top.u32(CmdAttr.TimeoutTcpFin) ?? 0, udp: top.u32(CmdAttr.TimeoutUdp) ?? 0 };
        if (Object.values(next).some((v) => v > 0x7fffffff)) throw 22;
        this.timeouts = { tcp: next.tcp || this.timeouts.tcp, tcpFin: next.tcpFin || this.timeouts.tcpFin, udp: next.udp || this.timeouts.udp };
        return [];
      }
      case IpvsCommand.NewService:
        if (!service) throw 22;
        if (entry) throw 17;
        if (!['rr', 'wrr', 'sh', 'mh', 'wlc', 'lc', 'none'].includes(service.scheduler)) throw 2;
        this.services.set(serviceId(service), { service, dests: [] });
        return [];
      case IpvsCommand.SetService:
        need().service.scheduler;
        this.services.set(serviceId(service!), { service: service!, dests: need().dests });
        return [];
      case IpvsCommand.DelService:
        need();
        this.services.delete(serviceId(service!));
        return [];
      case IpvsCommand.GetService:
        if ((request.flags & 0x300) !== 0) return [...this.services.values()].map((e) => serviceReply(seq, e.service));
        return [serviceReply(seq, need().service)];
      case IpvsCommand.GetDest:
        return entry ? entry.dests.map((d) => destinationReply(seq, d)) : [];
      case IpvsCommand.NewDest: {
        const e = need();
        if (!dest) throw 22;
        if (dest.lowerThreshold > dest.upperThreshold) throw 34;
        if (e.dests.some((d) => d.key.address === dest.key.address && d.key.port === dest.key.port)) throw 17;
        e.dests.unshift(dest);
        return [];
      }
      case IpvsCommand.SetDest:
      case IpvsCommand.DelDest: {
        const e = need();
        const index = e.dests.findIndex((d) => d.key.address === dest?.key.address && d.key.port === dest.key.port);
        if (index < 0) throw 2;
        if (command === IpvsCommand.SetDest) e.dests[index] = dest!;
        else e.dests.splice(index, 1);
        return [];
      }
      case IpvsCommand.Zero:
        if (service) need();
        return [];
      case IpvsCommand.Flush:
        this.services.clear();
        return [];
      case IpvsCommand.NewDaemon: {
        const daemon = decodeDaemonNest(top.nested(CmdAttr.Daemon, DaemonAttr.McastTtl)!);
        if (this.daemons.some((d) => d.state === daemon.state)) throw 17;
        this.daemons.push(daemon);
        this.daemons.sort((a, b) => a.state - b.state);
        return [];
      }
      case IpvsCommand.DelDaemon: {
        const state = top.nested(CmdAttr.Daemon, DaemonAttr.McastTtl)?.u32(DaemonAttr.State);
        const index = this.daemons.findIndex((d) => d.state === state);
        if (index < 0) throw 3;
        this.daemons.splice(index, 1);
        return [];
      }
      case IpvsCommand.GetDaemon:
        return this.daemons.map((d) => daemonReply(seq, d));
      default:
        throw 95;
    }
  }
}

export { AddressFamily, codec };
