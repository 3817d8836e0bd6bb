/**
 * Numbers of the IPVS generic netlink family (see docs: ipvs-genl-protocol.md), named after the
 * kernel's UAPI header linux/ip_vs.h so they can be looked up there. The netlink and nlctrl numbers
 * are re-exported, so that one namespace (the wire entry's `constants`) holds them all.
 */
export * from '../netlink/constants';

export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

export const enum IpvsCommand {
  NewService = 1,
  SetService = 2,
  DelService = 3,
  GetService = 4,
  NewDest = 5,
  SetDest = 6,
  DelDest = 7,
  GetDest = 8,
  NewDaemon = 9,
  DelDaemon = 10,
  GetDaemon = 11,
  SetConfig = 12,
  GetConfig = 13,
  SetInfo = 14,
  GetInfo = 15,
  Zero = 16,
  Flush = 17,
}

/** Top-level attributes of IPVS commands (IPVS_CMD_ATTR_*). */
export const enum CmdAttr {
  Service = 1,
  Dest = 2,
  Daemon = 3,
  TimeoutTcp = 4,
  TimeoutTcpFin = 5,
  TimeoutUdp = 6,
}

/** Service attributes (IPVS_SVC_ATTR_*). */
export const enum SvcAttr {
  Af = 1,
  Protocol = 2,
  Addr = 3,
  Port = 4,
  Fwmark = 5,
  SchedName = 6,
  Flags = 7,
  Timeout = 8,
  Netmask = 9,
  Stats = 10,
  PeName = 11,
  Stats64 = 12,
}

/** Real server attributes (IPVS_DEST_ATTR_*). */
export const enum DestAttr {
  Addr = 1,
  Port = 2,
  FwdMethod = 3,
  Weight = 4,
  UThresh = 5,
  LThresh = 6,
  ActiveConns = 7,
  InactConns = 8,
  PersistConns = 9,
  Stats = 10,
  AddrFamily = 11,
  Stats64 = 12,
  TunType = 13,
  TunPort = 14,
  TunFlags = 15,
}

/** Sync daemon attributes (IPVS_DAEMON_ATTR_*). */
export const enum DaemonAttr {
  State = 1,
  McastIfn = 2,
  SyncId = 3,
  SyncMaxlen = 4,
  McastGroup = 5,
  McastGroup6 = 6,
  McastPort = 7,
  McastTtl = 8,
}

/** Statistics attributes (IPVS_STATS_ATTR_*), in STATS and STATS64 nests. */
export const enum StatsAttr {
  Conns = 1,
  InPkts = 2,
  OutPkts = 3,
  InBytes = 4,
  OutBytes = 5,
  Cps = 6,
  InPps = 7,
  OutPps = 8,
  InBps = 9,
  OutBps = 10,
  Pad = 11,
}

/** GET_INFO reply attributes (IPVS_INFO_ATTR_*). */
export const enum InfoAttr {
  Version = 1,
  ConnTabSize = 2,
}

/** IP_VS_SVC_F_HASHED: internal bit the kernel sets in every reply. */
export const SVC_F_HASHED = 0x2;
/** Longest scheduler name (IP_VS_SCHEDNAME_MAXLEN - 1). */
export const SCHED_NAME_MAX = 15;
/** Longest persistence engine name (IP_VS_PENAME_MAXLEN). */
export const PE_NAME_MAX = 16;
/** Longest sync interface name (IP_VS_IFNAME_MAXLEN - 1). */
export const IFNAME_MAX = 15;
