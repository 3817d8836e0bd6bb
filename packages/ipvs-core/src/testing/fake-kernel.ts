/**
 * FakeKernel: an in-memory IPVS that answers netlink requests the way the 6.1 kernel does. It reads
 * requests with our decoders and writes kernel-style replies, so `openIpvs` over its `answer`
 * (see `openFakeIpvs`) is the real client, codec and transport against the kernel's rules and
 * errnos (the protocol notes §3.2): hash-bucket service order, newest-first real servers,
 * unicast and mixed-family checks, thresholds, sync daemons sized from the interface MTU.
 */
import {
  AddressFamily, DaemonState, destinationId, ForwardingMethod, IpvsProtocolError, serviceId, TunnelType,
  type Daemon, type Destination, type DestinationKey, type Info, type IpvsOperation, type Service, type ServiceKey, type Stats,
  type Timeouts,
} from '..';
import {
  Attributes, buildDoneMessage, buildErrorMessage, constants, decodeDaemonNest, decodeDestinationNest, decodeServiceNest,
  type NetlinkMessage,
} from '../wire';
import {
  canonicalAddress, canonicalDestinationKey, canonicalServiceKey, ENGINES, Errno, IFNAME_MAX, isMulticast, isUnicast,
  PE_NAME_MAX, SCHED_NAME_MAX, SCHEDULERS, serviceBucket, syncMaxLength, TIMEOUT_MAX,
} from './kernel-rules';
import { daemonReply, destinationReply, FAKE_FAMILY_ID, genlReply, serviceReply, ZERO_STATS } from './replies';

import Cmd = constants.IpvsCommand;
import CmdAttr = constants.CmdAttr;
import DaemonAttr = constants.DaemonAttr;
import DestAttr = constants.DestAttr;
import SvcAttr = constants.SvcAttr;
const { EAFNOSUPPORT, EEXIST, EINVAL, ENODEV, ENOENT, EOPNOTSUPP, EPERM, ERANGE, ESRCH } = Errno;

/** Commands with a handler; of those, the ones with a dump, and the ones with nothing but a dump. */
const HANDLED: ReadonlySet<number> = new Set([
  Cmd.NewService, Cmd.SetService, Cmd.DelService, Cmd.GetService, Cmd.NewDest, Cmd.SetDest, Cmd.DelDest, Cmd.GetDest,
  Cmd.NewDaemon, Cmd.DelDaemon, Cmd.GetDaemon, Cmd.SetConfig, Cmd.GetConfig, Cmd.GetInfo, Cmd.Zero, Cmd.Flush,
]);
const DUMPABLE: ReadonlySet<number> = new Set([Cmd.GetService, Cmd.GetDest, Cmd.GetDaemon]);
const DUMP_ONLY: ReadonlySet<number> = new Set([Cmd.GetDest, Cmd.GetDaemon]);

/** The IPVS command of each operation (`getService` and `getServices` share GET_SERVICE). */
const COMMAND_OF: Readonly<Record<Exclude<IpvsOperation, 'resolveFamily'>, number>> = {
  getInfo: Cmd.GetInfo, getTimeouts: Cmd.GetConfig, setTimeouts: Cmd.SetConfig,
  getServices: Cmd.GetService, getService: Cmd.GetService, addService: Cmd.NewService, editService: Cmd.SetService, deleteService: Cmd.DelService,
  getDestinations: Cmd.GetDest, addDestination: Cmd.NewDest, editDestination: Cmd.SetDest, deleteDestination: Cmd.DelDest,
  zero: Cmd.Zero, flush: Cmd.Flush, getDaemons: Cmd.GetDaemon, startDaemon: Cmd.NewDaemon, stopDaemon: Cmd.DelDaemon,
};

const CTRL_CMD_NEWFAMILY = 1;
const IP_VS_VERSION_CODE = 0x010201;

interface Entry {
  service: Service;
  /** Newest first, as the kernel lists them. */
  destinations: Destination[];
  readonly bucket: number;
  /** Creation order: within a bucket the newest comes first. */
  readonly created: number;
}

/** What a SERVICE nest names (ip_vs_genl_parse_service), with the settings of a full one. */
interface ParsedService {
  readonly key: ServiceKey;
  readonly entry: Entry | undefined;
  readonly settings?: Omit<Service, 'key' | 'stats'>;
}

function zeroed<T extends { stats: Stats }>(object: T): T {
  return { ...object, stats: ZERO_STATS };
}

export class FakeKernel {
  /** The id nlctrl gives the IPVS family. */
  readonly familyId = FAKE_FAMILY_ID;
  /** False: nlctrl does not know IPVS (ip_vs not loaded): ENOENT. */
  familyRegistered = true;
  /** False: the caller lacks CAP_NET_ADMIN: every IPVS command is EPERM. */
  privileged = true;
  /** Every request, in the order received (nlctrl's included). */
  readonly received: NetlinkMessage[] = [];
  /** Network interfaces and their MTU (sync daemons need one; `ip link add` adds a dummy of 1500). */
  readonly interfaces = new Map<string, number>([['lo', 65536]]);
  /** Fault injection: an IPVS command number refused with this errno (after the permission check); see `refuse`. */
  readonly refusals = new Map<number, number>();
  timeouts: Timeouts = { tcp: 900, tcpFin: 120, udp: 300 };
  readonly info: Info = { version: '1.2.1', versionCode: IP_VS_VERSION_CODE, connectionTableSize: 4096 };
  /** How many clients opened with `openFakeIpvs` were closed. */
  closed = 0;

  private readonly table = new Map<string, Entry>();
  private readonly running = new Map<DaemonState, Daemon>();
  private created = 0;

  /** The services in the kernel's dump order (hash bucket, then newest first). */
  services(): Service[] {
    return this.entries().map((e) => e.service);
  }

  /** The real servers of a service, newest first ([] when there is no such service). */
  destinations(key: ServiceKey): Destination[] {
    return [...(this.table.get(serviceId(canonicalServiceKey(key)))?.destinations ?? [])];
  }

  /** The running sync daemons, master first. */
  daemons(): Daemon[] {
    return [...this.running.values()].sort((a, b) => a.state - b.state);
  }

  /**
   * Fault injection: from now on the kernel refuses `operation` with `errno` (e.g. `os.constants.errno.ENOMEM`),
   * or, with 0, carries it out again. The request is refused as a whole, before anything changes.
   */
  refuse(operation: Exclude<IpvsOperation, 'resolveFamily'>, errno: number): void {
    const command = COMMAND_OF[operation];
    if (errno === 0) this.refusals.delete(command);
    else this.refusals.set(command, errno);
  }

  /** Test hook: sets some counters of a service, or of one of its real servers. */
  setStats(key: ServiceKey, stats: Partial<Stats>, destination?: DestinationKey): void {
    const entry = this.table.get(serviceId(canonicalServiceKey(key)));
    if (!entry) throw new Error(`setStats: no service ${JSON.stringify(key)}`);
    if (!destination) {
      entry.service = { ...entry.service, stats: { ...entry.service.stats, ...stats } };
      return;
    }
    const id = destinationId(canonicalDestinationKey(destination));
    const index = entry.destinations.findIndex((d) => destinationId(d.key) === id);
    if (index < 0) throw new Error(`setStats: no real server ${JSON.stringify(destination)}`);
    const dest = entry.destinations[index]!;
    entry.destinations[index] = { ...dest, stats: { ...dest.stats, ...stats } };
  }

  /** Answers one request with its reply datagrams (an `Answer` for `createFakeTransport`). */
  readonly answer = (request: NetlinkMessage): Buffer[] => {
    this.received.push(request);
    const ack = (request.flags & constants.NLM_F_ACK) !== 0;
    const dump = (request.flags & constants.NLM_F_DUMP) === constants.NLM_F_DUMP;
    try {
      const replies = request.type === constants.GENL_ID_CTRL ? this.resolveFamily(request) : this.handle(request, dump);
      if (dump) return [Buffer.concat([...replies, buildDoneMessage(request.seq)])];
      // like the kernel: success is acknowledged only when NLM_F_ACK asks for it
      return ack ? [...replies, buildErrorMessage(request.bytes, 0)] : replies;
    } catch (error) {
      if (typeof error === 'number') return [buildErrorMessage(request.bytes, error)];
      if (error instanceof IpvsProtocolError) return [buildErrorMessage(request.bytes, EINVAL)]; // a policy violation
      throw error;
    }
  };

  private entries(): Entry[] {
    return [...this.table.values()].sort((a, b) => a.bucket - b.bucket || b.created - a.created);
  }

  /** CTRL_CMD_GETFAMILY. */
  private resolveFamily(request: NetlinkMessage): Buffer[] {
    const bytes = request.bytes;
    const top = Attributes.parse(bytes, constants.GENL_ATTRS_OFFSET, bytes.length, constants.CTRL_ATTR_FAMILY_NAME, 'request');
    if (!this.familyRegistered || top.string(constants.CTRL_ATTR_FAMILY_NAME) !== constants.IPVS_GENL_NAME) throw ENOENT;
    return [genlReply(constants.GENL_ID_CTRL, 0, request.seq, CTRL_CMD_NEWFAMILY, (w) => {
      w.string(constants.CTRL_ATTR_FAMILY_NAME, constants.IPVS_GENL_NAME);
      w.u16(constants.CTRL_ATTR_FAMILY_ID, this.familyId);
    })];
  }

  /** genl's checks (command, CAP_NET_ADMIN, dump or not), then the IPVS handler. */
  private handle(request: NetlinkMessage, dump: boolean): Buffer[] {
    const bytes = request.bytes;
    const command = bytes[constants.NLMSG_HDRLEN]!;
    if (request.type !== this.familyId) throw ENOENT;
    if (!HANDLED.has(command)) throw EOPNOTSUPP;
    if (!this.privileged) throw EPERM;
    const refused = this.refusals.get(command);
    if (refused) throw refused;
    if (dump ? !DUMPABLE.has(command) : DUMP_ONLY.has(command)) throw EOPNOTSUPP;
    const top = Attributes.parse(bytes, constants.GENL_ATTRS_OFFSET, bytes.length, CmdAttr.TimeoutUdp, 'request');
    const seq = request.seq;
    const reply = { familyId: this.familyId };
    switch (command) {
      case Cmd.GetInfo:
        return [genlReply(this.familyId, 0, seq, Cmd.SetInfo, (w) => {
          w.u32(constants.InfoAttr.Version, this.info.versionCode);
          w.u32(constants.InfoAttr.ConnTabSize, this.info.connectionTableSize);
        })];
      case Cmd.GetConfig:
        return [genlReply(this.familyId, 0, seq, Cmd.SetConfig, (w) => {
          w.u32(CmdAttr.TimeoutTcp, this.timeouts.tcp);
          w.u32(CmdAttr.TimeoutTcpFin, this.timeouts.tcpFin);
          w.u32(CmdAttr.TimeoutUdp, this.timeouts.udp);
        })];
      case Cmd.SetConfig:
        this.setConfig(top);
        return [];
      case Cmd.GetService:
        if (dump) return this.entries().map((e) => serviceReply(seq, e.service, reply));
        return [serviceReply(seq, this.existing(this.parseService(top, false)).service, { ...reply, flags: 0 })];
      case Cmd.GetDest: {
        // a missing or unknown service is an empty dump, not an error
        const entry = top.nested(CmdAttr.Service, SvcAttr.Stats64) && this.parseService(top, false).entry;
        return entry ? entry.destinations.map((d) => destinationReply(seq, d, reply)) : [];
      }
      case Cmd.GetDaemon:
        return this.daemons().map((d) => daemonReply(seq, d, reply));
      case Cmd.NewDaemon:
        this.startDaemon(top);
        return [];
      case Cmd.DelDaemon:
        this.stopDaemon(top);
        return [];
      case Cmd.Flush:
        this.table.clear();
        return [];
      case Cmd.Zero:
        if (!top.nested(CmdAttr.Service, SvcAttr.Stats64)) this.table.forEach((e) => this.zero(e));
        else this.zero(this.existing(this.parseService(top, false)));
        return [];
      case Cmd.NewService: case Cmd.SetService: case Cmd.DelService:
        this.changeService(command, top);
        return [];
      default:
        this.changeDestination(command, top);
        return [];
    }
  }

  /** ip_vs_genl_set_config: 0 leaves a timeout as it is; each must fit in an int of jiffies. */
  private setConfig(top: Attributes): void {
    const next = {
      tcp: top.u32(CmdAttr.TimeoutTcp) ?? 0,
      tcpFin: top.u32(CmdAttr.TimeoutTcpFin) ?? 0,
      udp: top.u32(CmdAttr.TimeoutUdp) ?? 0,
    };
    if (Object.values(next).some((v) => v > TIMEOUT_MAX)) throw EINVAL;
    this.timeouts = { tcp: next.tcp || this.timeouts.tcp, tcpFin: next.tcpFin || this.timeouts.tcpFin, udp: next.udp || this.timeouts.udp };
  }

  /** ip_vs_genl_parse_service. */
  private parseService(top: Attributes, full: boolean): ParsedService {
    const nest = top.nested(CmdAttr.Service, SvcAttr.Stats64);
    if (!nest) throw EINVAL;
    const family = nest.u16(SvcAttr.Af);
    const fwmark = nest.u32(SvcAttr.Fwmark);
    const address = nest.offset(SvcAttr.Addr) >= 0;
    if (family === undefined || (fwmark === undefined && (nest.u16(SvcAttr.Protocol) === undefined || nest.u16BE(SvcAttr.Port) === undefined || !address))) {
      throw EINVAL;
    }
    if (family !== AddressFamily.IPv4 && family !== AddressFamily.IPv6) throw EAFNOSUPPORT;
    const decoded = decodeServiceNest(nest);
    // FWMARK 0 means "no mark": the kernel looks up (and creates) TCP to the zero address, port 0
    const key: ServiceKey = fwmark === 0
      ? { family, protocol: 6, address: canonicalAddress(family, family === AddressFamily.IPv4 ? '0.0.0.0' : '::')!, port: 0 }
      : decoded.key;
    const entry = this.table.get(serviceId(key));
    if (!full) return { key, entry };
    const flagsAt = nest.offset(SvcAttr.Flags, 8);
    const scheduler = nest.string(SvcAttr.SchedName);
    const engine = nest.string(SvcAttr.PeName);
    if (scheduler === undefined || flagsAt < 0 || nest.u32(SvcAttr.Timeout) === undefined || nest.offset(SvcAttr.Netmask, 4) < 0) throw EINVAL;
    if (scheduler.length > SCHED_NAME_MAX || (engine?.length ?? 0) > PE_NAME_MAX) throw EINVAL;
    const flags = nest.source.readUInt32LE(flagsAt);
    const mask = nest.source.readUInt32LE(flagsAt + 4);
    const old = entry?.service.flags ?? 0;
    const { key: _key, stats: _stats, ...settings } = decoded;
    return { key, entry, settings: { ...settings, flags: ((old & ~mask) | (flags & mask)) & ~constants.SVC_F_HASHED } };
  }

  private existing(parsed: ParsedService): Entry {
    if (!parsed.entry) throw ESRCH;
    return parsed.entry;
  }

  /** ip_vs_add_service / ip_vs_edit_service / ip_vs_del_service. */
  private changeService(command: number, top: Attributes): void {
    const parsed = this.parseService(top, command !== Cmd.DelService);
    if (command === Cmd.NewService && parsed.entry) throw EEXIST;
    if (command === Cmd.DelService) {
      this.existing(parsed);
      this.table.delete(serviceId(parsed.key));
      return;
    }
    const entry = command === Cmd.SetService ? this.existing(parsed) : undefined;
    const settings = parsed.settings!;
    if (!SCHEDULERS.has(settings.scheduler)) throw ENOENT;
    if (settings.persistenceEngine && !ENGINES.has(settings.persistenceEngine)) throw ENOENT;
    const netmask = settings.netmask;
    if (parsed.key.family === AddressFamily.IPv6 && (typeof netmask !== 'number' || netmask < 1 || netmask > 128)) throw EINVAL;
    const service: Service = { ...settings, key: parsed.key, stats: entry?.service.stats ?? ZERO_STATS };
    if (entry) entry.service = service;
    else this.table.set(serviceId(parsed.key), { service, destinations: [], bucket: serviceBucket(parsed.key), created: this.created++ });
  }

  /** ip_vs_genl_parse_dest, for a real server of `service`. */
  private parseDestination(top: Attributes, service: Service, full: boolean): Destination {
    const nest = top.nested(CmdAttr.Dest, DestAttr.TunFlags);
    if (!nest || nest.offset(DestAttr.Addr) < 0 || nest.u16BE(DestAttr.Port) === undefined) throw EINVAL;
    if (full && [DestAttr.FwdMethod, DestAttr.Weight, DestAttr.UThresh, DestAttr.LThresh].some((t) => nest.u32(t) === undefined)) throw EINVAL;
    const family = nest.u16(DestAttr.AddrFamily) || service.key.family;
    if (family !== AddressFamily.IPv4 && family !== AddressFamily.IPv6) throw EAFNOSUPPORT;
    return { ...decodeDestinationNest(nest, service.key.family), activeConnections: 0, inactiveConnections: 0, persistentConnections: 0, stats: ZERO_STATS };
  }

  /** ip_vs_genl_set_cmd's checks for real servers, then ip_vs_add_dest / ip_vs_edit_dest / ip_vs_del_dest. */
  private changeDestination(command: number, top: Attributes): void {
    const entry = this.existing(this.parseService(top, false));
    const dest = this.parseDestination(top, entry.service, command !== Cmd.DelDest);
    const index = entry.destinations.findIndex((d) => destinationId(d.key) === destinationId(dest.key));
    if (command === Cmd.DelDest) {
      if (index < 0) throw ENOENT;
      entry.destinations.splice(index, 1);
      return;
    }
    if (dest.key.family !== entry.service.key.family) {
      // the sync protocol cannot carry mixed families; only tunnels can forward across them
      if (this.running.size > 0 || dest.forwarding !== ForwardingMethod.Tunnel) throw EINVAL;
    }
    if (dest.weight > 0x7fffffff || dest.lowerThreshold > dest.upperThreshold) throw ERANGE;
    if (dest.tunnelType === TunnelType.GUE && dest.tunnelPort === 0) throw EINVAL;
    if (command === Cmd.NewDest) {
      if (index >= 0) throw EEXIST;
      if (!isUnicast(dest.key)) throw EINVAL;
      entry.destinations.unshift(dest);
      return;
    }
    if (index < 0) throw ENOENT;
    const was = entry.destinations[index]!;
    entry.destinations[index] = {
      ...dest, key: was.key, activeConnections: was.activeConnections, inactiveConnections: was.inactiveConnections,
      persistentConnections: was.persistentConnections, stats: was.stats,
    };
  }

  private zero(entry: Entry): void {
    entry.service = zeroed(entry.service);
    entry.destinations = entry.destinations.map(zeroed);
  }

  /** ip_vs_genl_new_daemon and start_sync_thread. */
  private startDaemon(top: Attributes): void {
    const nest = top.nested(CmdAttr.Daemon, DaemonAttr.McastTtl);
    const state = nest?.u32(DaemonAttr.State);
    const name = nest?.string(DaemonAttr.McastIfn);
    if (!nest || name === undefined || nest.u32(DaemonAttr.SyncId) === undefined || name.length > IFNAME_MAX) throw EINVAL;
    if (state !== DaemonState.Master && state !== DaemonState.Backup) throw EINVAL;
    const config = decodeDaemonNest(nest);
    if (config.group !== undefined && !isMulticast(config.group)) throw EINVAL;
    const mixed = [...this.table.values()].some((e) => e.destinations.some((d) => d.key.family !== e.service.key.family));
    if (mixed) throw EINVAL;
    const mtu = this.interfaces.get(config.interface);
    if (mtu === undefined) throw ENODEV;
    if (this.running.has(state)) throw EEXIST;
    const group = config.group ?? '224.0.0.81';
    this.running.set(state, {
      state,
      interface: config.interface,
      syncId: config.syncId,
      maxLength: syncMaxLength(state, mtu, group.includes(':'), config.maxLength),
      group,
      port: config.port || 8848,
      ttl: config.ttl || 1,
    });
  }

  /** ip_vs_genl_del_daemon and stop_sync_thread. */
  private stopDaemon(top: Attributes): void {
    const state = top.nested(CmdAttr.Daemon, DaemonAttr.McastTtl)?.u32(DaemonAttr.State);
    if (state !== DaemonState.Master && state !== DaemonState.Backup) throw EINVAL;
    if (!this.running.delete(state)) throw ESRCH;
  }
}
