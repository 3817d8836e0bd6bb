/**
 * The IPVS tunables under net.ipv4.vs (see shared/docs/ipvs-genl-protocol.md §9 and the kernel's
 * Documentation/networking/ipvs-sysctl.rst): kind, accepted range, and meaning of each.
 */
export const INT_MAX = 2 ** 31 - 1;

export type KnobSpec =
  | { readonly kind: 'bool'; readonly meaning: string; readonly availability?: string }
  | { readonly kind: 'int'; readonly min: number; readonly max: number; readonly meaning: string; readonly availability?: string }
  | { readonly kind: 'powerOfTwo'; readonly meaning: string; readonly availability?: string }
  | { readonly kind: 'threshold'; readonly meaning: string; readonly availability?: string }
  | { readonly kind: 'cpulist'; readonly meaning: string; readonly availability?: string };

const DEFENSE_MODES = '0 off, 1 and 2 automatic (switch between the two with memory pressure), 3 always on';

export const IPVS_KNOBS = {
  am_droprate: { kind: 'int', min: 0, max: INT_MAX, meaning: 'drop rate used by drop_packet mode 3 (drop 1 of every N packets)' },
  amemthresh: { kind: 'int', min: 0, max: INT_MAX, meaning: 'available-memory threshold in pages for the automatic defense modes' },
  backup_only: { kind: 'bool', meaning: 'disable director function while in backup sync mode (avoids DR/TUN loops)' },
  cache_bypass: { kind: 'bool', meaning: 'forward to the original destination when no real server is available' },
  conn_reuse_mode: { kind: 'int', min: 0, max: 3, meaning: 'connections reusing a source port: 0 no special handling; bit 1 reschedule when safe; bit 2 also in FIN_WAIT' },
  conntrack: { kind: 'bool', meaning: 'keep netfilter conntrack entries for IPVS connections', availability: 'kernels built with CONFIG_IP_VS_NFCT' },
  debug_level: { kind: 'int', min: 0, max: INT_MAX, meaning: 'debug verbosity', availability: 'kernels built with CONFIG_IP_VS_DEBUG' },
  drop_entry: { kind: 'int', min: 0, max: 3, meaning: `random connection-entry drop defense: ${DEFENSE_MODES}` },
  drop_packet: { kind: 'int', min: 0, max: 3, meaning: `drop 1/am_droprate packets defense: ${DEFENSE_MODES}` },
  est_cpulist: { kind: 'cpulist', meaning: 'CPUs for the rate estimator kthreads (empty stops estimation)', availability: 'Linux 6.2 and later' },
  est_nice: { kind: 'int', min: -20, max: 19, meaning: 'nice value of the rate estimator kthreads', availability: 'Linux 6.2 and later' },
  expire_nodest_conn: { kind: 'bool', meaning: 'expire a connection at once when its real server was removed (else drop its packets)' },
  expire_quiescent_template: { kind: 'bool', meaning: 'expire persistence templates that point at weight-0 real servers' },
  ignore_tunneled: { kind: 'bool', meaning: 'mark packets of unknown protocols (e.g. tunnels) as IPVS-owned to avoid loops' },
  nat_icmp_send: { kind: 'bool', meaning: 'send ICMP destination-unreachable for NAT replies without a connection entry' },
  pmtu_disc: { kind: 'bool', meaning: 'reject oversized DF packets with FRAG_NEEDED; 0 lets TUN fragment' },
  run_estimation: { kind: 'bool', meaning: 'rate estimation on/off (rates read 0 when off)' },
  schedule_icmp: { kind: 'bool', meaning: 'schedule ICMP errors that match no connection (ECMP in front of several directors)' },
  secure_tcp: { kind: 'int', min: 0, max: 3, meaning: `stricter TCP state table defense: ${DEFENSE_MODES}` },
  sloppy_sctp: { kind: 'bool', meaning: 'create SCTP connections on any packet, not only INIT' },
  sloppy_tcp: { kind: 'bool', meaning: 'create TCP connections on any packet, not only SYN (helps failover)' },
  snat_reroute: { kind: 'bool', meaning: 're-route SNATed reply packets as locally originated' },
  sync_persist_mode: { kind: 'int', min: 0, max: 1, meaning: '1: for persistent services sync only the templates' },
  sync_ports: { kind: 'powerOfTwo', meaning: 'number of sync threads and ports (8848 and up): a power of two' },
  sync_qlen_max: { kind: 'int', min: 1, max: Number.MAX_SAFE_INTEGER, meaning: 'maximum number of queued, unsent sync messages' },
  sync_refresh_period: { kind: 'int', min: 0, max: INT_MAX, meaning: 'resend sync when the timer changed by this many seconds (0 off)' },
  sync_retries: { kind: 'int', min: 0, max: 3, meaning: 'sync retries, at sync_refresh_period/8 intervals' },
  sync_sock_size: { kind: 'int', min: 0, max: INT_MAX, meaning: 'send/receive buffer size of sync sockets in bytes (0 system default)' },
  sync_threshold: { kind: 'threshold', meaning: 'sync after THRESHOLD packets, then every PERIOD packets ("THRESHOLD PERIOD")' },
  sync_version: { kind: 'int', min: 0, max: 1, meaning: 'sync protocol version to send' },
} as const satisfies Record<string, KnobSpec>;

export type IpvsKnobName = keyof typeof IPVS_KNOBS;

/** `sync_threshold`: sync after `threshold` packets, then every `period` packets (0: only once). */
export interface SyncThreshold {
  readonly threshold: number;
  readonly period: number;
}

type ValueOfSpec<S> = S extends { kind: 'bool' }
  ? boolean
  : S extends { kind: 'int' | 'powerOfTwo' }
    ? number
    : S extends { kind: 'threshold' }
      ? SyncThreshold
      : string;

/** The TypeScript type of a knob's value: boolean, number, SyncThreshold, or a cpulist string. */
export type IpvsKnobValue<K extends IpvsKnobName> = ValueOfSpec<(typeof IPVS_KNOBS)[K]>;

export const IPVS_KNOB_NAMES = Object.keys(IPVS_KNOBS) as IpvsKnobName[];

export function isIpvsKnobName(name: string): name is IpvsKnobName {
  return Object.prototype.hasOwnProperty.call(IPVS_KNOBS, name);
}

export function knobSpec(name: IpvsKnobName): KnobSpec {
  return IPVS_KNOBS[name];
}

/** Human description of the accepted values, e.g. `0..3`, `0 or 1`. */
export function describeRange(spec: KnobSpec): string {
  switch (spec.kind) {
    case 'bool':
      return '0 or 1';
    case 'int':
      return `${spec.min}..${spec.max === INT_MAX ? 'INT_MAX' : spec.max === Number.MAX_SAFE_INTEGER ? 'unlimited' : spec.max}`;
    case 'powerOfTwo':
      return 'a power of two (1, 2, 4, ...)';
    case 'threshold':
      return 'two integers "THRESHOLD PERIOD", both >= 0, THRESHOLD < PERIOD unless PERIOD is 0';
    case 'cpulist':
      return 'a CPU list such as 0-3,6 (empty stops estimation)';
  }
}
