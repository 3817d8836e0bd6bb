/**
 * The VRRP half of keepalived.conf as plain data (`vrrp_instance`, `vrrp_script`, `vrrp_sync_group`
 * and the VRRP keywords of `global_defs`). Defaults are keepalived's (vrrp.h, vrrp_data.c,
 * vrrp_track.h); durations are milliseconds.
 */
import type { SourceRef } from './source-ref';

export type VrrpVersion = 2 | 3;

/** Authentication of version 2: none, or the simple password keepalived calls PASS (RFC 2338 type 1). */
export type VrrpAuth = { readonly type: 'none' } | { readonly type: 'pass'; readonly password: string };

export const VRRP_DEFAULTS = {
  priority: 100,
  advertIntMs: 1000,
  mcastGroup4: '224.0.0.18',
  version: 2 as VrrpVersion,
  garpMasterDelayMs: 5000,
  garpMasterRepeat: 5,
  /** 0: no periodic refresh. */
  garpMasterRefreshMs: 0,
  garpMasterRefreshRepeat: 1,
  scriptIntervalMs: 1000,
  scriptWeight: 0,
  scriptRise: 1,
  scriptFall: 1,
} as const;

/** One line of `virtual_ipaddress { 10.0.0.100/24 dev eth0 label eth0:1 }`. */
export interface VirtualAddress {
  readonly at: SourceRef;
  readonly address: string;
  readonly prefixLength: number;
  /** Default: the instance's interface. */
  readonly dev?: string;
  readonly label?: string;
  readonly broadcast?: string;
  /** `scope global|site|link|host|nowhere` (or a number 0-255, see `scopeNumber`); default global. */
  readonly scope?: string;
}

/** rtnetlink's numbers for the scope names of ip-address(8). */
const SCOPES: Readonly<Record<string, number>> = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 };

/** The rtnetlink scope of a `scope` word: a name or a number 0-255; undefined when it is neither. */
export function scopeNumber(scope: string): number | undefined {
  const n = SCOPES[scope] ?? (/^\d+$/.test(scope) ? Number(scope) : undefined);
  return n !== undefined && n <= 255 ? n : undefined;
}

export interface TrackedInterface {
  readonly name: string;
  /** 0: the instance goes to FAULT when the link is down; otherwise the priority changes by this much. */
  readonly weight: number;
}

export interface TrackedScript {
  readonly name: string;
  /** Overrides the script's own weight when given. */
  readonly weight?: number;
}

export interface VrrpScriptConfig {
  readonly at: SourceRef;
  readonly name: string;
  readonly script: string;
  readonly intervalMs: number;
  /** 0: the interval. */
  readonly timeoutMs: number;
  /** > 0: added while the script succeeds; < 0: added while it fails; 0: failing puts the instance in FAULT. */
  readonly weight: number;
  readonly rise: number;
  readonly fall: number;
  readonly user?: string;
  /** `init_fail`: the script starts failed instead of succeeded (the config loader always sets it). */
  readonly initFail?: boolean;
}

export interface VrrpNotify {
  readonly master?: string;
  readonly backup?: string;
  readonly fault?: string;
  readonly stop?: string;
  /** `notify`: called with `INSTANCE|GROUP NAME STATE PRIORITY`. */
  readonly any?: string;
}

export interface VrrpInstanceConfig {
  readonly at: SourceRef;
  readonly name: string;
  /** `state MASTER`: after start, wait one advert interval for another master instead of three. */
  readonly wantMaster: boolean;
  readonly interface: string;
  readonly virtualRouterId: number;
  readonly priority: number;
  readonly advertIntMs: number;
  readonly version: VrrpVersion;
  readonly preempt: boolean;
  readonly preemptDelayMs: number;
  readonly auth: VrrpAuth;
  readonly addresses: readonly VirtualAddress[];
  /** Added and removed with the others but not carried in adverts. */
  readonly excludedAddresses: readonly VirtualAddress[];
  /** The adverts' source; default the interface's primary IPv4 address. */
  readonly unicastSource?: string;
  readonly unicastPeers: readonly string[];
  readonly mcastGroup: string;
  readonly trackInterfaces: readonly TrackedInterface[];
  readonly trackScripts: readonly TrackedScript[];
  readonly notify: VrrpNotify;
  readonly garpMasterDelayMs: number;
  readonly garpMasterRepeat: number;
  readonly garpMasterRefreshMs: number;
  readonly garpMasterRefreshRepeat: number;
  readonly skipCheckAdvAddr: boolean;
  readonly lowerPriorityNoAdvert: boolean;
  /** `garp_lower_prio_delay` / `garp_lower_prio_repeat` (default: the global `vrrp_garp_lower_prio_*`, else none). The config loader always sets them. */
  readonly garpLowerPrioDelayMs?: number;
  readonly garpLowerPrioRepeat?: number;
  /** `dont_track_primary`: the interface's link state does not force FAULT (the config loader always sets it). */
  readonly dontTrackPrimary?: boolean;
}

export interface VrrpSyncGroupConfig {
  readonly at: SourceRef;
  readonly name: string;
  readonly instances: readonly string[];
  readonly notify: VrrpNotify;
}

/** `lvs_sync_daemon IFACE INSTANCE [id N]` (or the older `lvs_sync_daemon_interface`). */
export interface LvsSyncDaemonConfig {
  readonly interface: string;
  /** The instance whose state decides master or backup; undefined with the old keyword (the first instance). */
  readonly instance?: string;
  readonly syncId: number;
}

export interface VrrpConfig {
  readonly instances: readonly VrrpInstanceConfig[];
  readonly scripts: ReadonlyMap<string, VrrpScriptConfig>;
  readonly syncGroups: readonly VrrpSyncGroupConfig[];
  readonly lvsSyncDaemon?: LvsSyncDaemonConfig;
  readonly routerId?: string;
}
