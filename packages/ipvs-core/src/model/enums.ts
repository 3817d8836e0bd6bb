/** Linux address family numbers as used on the wire. */
export enum AddressFamily {
  IPv4 = 2,
  IPv6 = 10,
}

/** IP protocol numbers IPVS services use. */
export enum Protocol {
  TCP = 6,
  UDP = 17,
  SCTP = 132,
}

/** Forwarding method of a real server (IP_VS_CONN_F_* & 0x7). */
export enum ForwardingMethod {
  Masquerade = 0,
  Local = 1,
  Tunnel = 2,
  DirectRoute = 3,
  Bypass = 4,
}

export enum TunnelType {
  IPIP = 0,
  GUE = 1,
  GRE = 2,
}

/** Tunnel checksum flag bits (IPVS_DEST_ATTR_TUN_FLAGS). */
export const TunnelFlags = {
  None: 0,
  Checksum: 0x1,
  RemoteChecksum: 0x2,
} as const;

/** Service flag bits (IP_VS_SVC_F_*). */
export const ServiceFlags = {
  Persistent: 0x1,
  Hashed: 0x2,
  OnePacket: 0x4,
  Sched1: 0x8,
  Sched2: 0x10,
  Sched3: 0x20,
} as const;

export enum DaemonState {
  Master = 1,
  Backup = 2,
}
