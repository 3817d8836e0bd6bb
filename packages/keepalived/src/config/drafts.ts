/**
 * What a configuration says before keepalived's defaults and checks are applied: filled by the
 * keepalived.conf grammar (parser.ts) and by the JSON form (json.ts), turned into the model by
 * finalize.ts, so both forms get the same defaults. Times are microseconds, as in keepalived;
 * undefined means "not written" (keepalived's UINT_MAX/ULONG_MAX markers).
 */
import type { AddressFamily } from '@tsipvs/ipvs-core';
import type { Forwarding, GroupMember, Protocol, SourceRef } from './model';
import type { VirtualAddress } from './vrrp-model';

export interface DraftServer {
  readonly at: SourceRef;
  readonly family: AddressFamily;
  readonly address: string;
  /** As written; 0 when absent. */
  readonly port: number;
  /** Own method, else the virtual server's at the time the server was written (keepalived copies it then). */
  forwarding?: Forwarding;
}

export interface DraftSorry extends DraftServer {
  inhibit: boolean;
}

export interface DraftUrl {
  readonly at: SourceRef;
  path?: string;
  statusCodes: number[];
  digest?: string;
  virtualhost?: string;
}

export interface DraftChecker {
  readonly at: SourceRef;
  readonly kind: 'TCP_CHECK' | 'HTTP_GET' | 'SSL_GET' | 'MISC_CHECK';
  connectIp?: string;
  connectIpFamily?: AddressFamily;
  connectPort?: number;
  bindTo?: string;
  bindToFamily?: AddressFamily;
  bindPort?: number;
  connectTimeout?: number;
  retry?: number;
  delayBeforeRetry?: number;
  warmup?: number;
  delayLoop?: number;
  alpha?: boolean;
  // HTTP_GET / SSL_GET
  urls: DraftUrl[];
  virtualhost?: string;
  httpProtocol: '1.0' | '1.1' | '1.0C';
  enableSni: boolean;
  // MISC_CHECK
  miscArgs?: string[];
  /** Whole seconds; 0: the virtual server's delay_loop. */
  miscTimeout: number;
  miscDynamic: boolean;
  user?: string;
  group?: string;
}

export interface DraftRealServer extends DraftServer {
  weight?: number;
  inhibit?: boolean;
  alpha?: boolean;
  upperThreshold: number;
  lowerThreshold: number;
  notifyUp?: string;
  notifyDown?: string;
  connectTimeout?: number;
  retry?: number;
  delayBeforeRetry?: number;
  warmup?: number;
  delayLoop?: number;
  virtualhost?: string;
  readonly checkers: DraftChecker[];
}

export type DraftTarget =
  | { readonly kind: 'address'; readonly family: AddressFamily; readonly address: string; readonly port: number }
  | { readonly kind: 'fwmark'; readonly mark: number }
  | { readonly kind: 'group'; readonly name: string };

export interface DraftVirtualServer {
  readonly at: SourceRef;
  readonly target: DraftTarget;
  /** `ip_family`, or learnt from the address, persistence_granularity or the servers (keepalived's vs->af). */
  family?: AddressFamily;
  delayLoop: number;
  scheduler?: string;
  forwarding?: Forwarding;
  protocol?: Protocol;
  persistenceTimeout?: number;
  persistenceGranularity?: string;
  persistenceEngine?: string;
  onePacket: boolean;
  readonly flags: { shPort?: boolean; shFallback?: boolean; mhPort?: boolean; mhFallback?: boolean; flag1?: boolean; flag2?: boolean; flag3?: boolean };
  quorum: number;
  hysteresis: number;
  quorumUp?: string;
  quorumDown?: string;
  alpha: boolean;
  omega: boolean;
  inhibit: boolean;
  sorry?: DraftSorry;
  haSuspend: boolean;
  virtualhost?: string;
  connectTimeout: number;
  retry?: number;
  delayBeforeRetry?: number;
  warmup?: number;
  /** `weight`: the default weight of its real servers. */
  weight: number;
  readonly realServers: DraftRealServer[];
}

/** A group member whose fwmark family was not written takes the family of the servers behind it. */
export type DraftGroupMember = GroupMember | { readonly kind: 'fwmark'; readonly family?: undefined; readonly mark: number };

export interface DraftGroup {
  readonly name: string;
  readonly at: SourceRef;
  readonly members: DraftGroupMember[];
}

export interface DraftNotify {
  master?: string;
  backup?: string;
  fault?: string;
  stop?: string;
  any?: string;
}

/** Gratuitous ARP and advert settings, global (global_defs) or per instance. */
export interface DraftAdvertSettings {
  /** Seconds. */
  garpDelay?: number;
  garpRepeat?: number;
  garpRefresh?: number;
  garpRefreshRepeat?: number;
  garpLowerPrioDelay?: number;
  garpLowerPrioRepeat?: number;
  skipCheckAdvAddr?: boolean;
  lowerPrioNoAdvert?: boolean;
}

export interface DraftVrrpInstance extends DraftAdvertSettings {
  readonly at: SourceRef;
  readonly name: string;
  state?: 'MASTER' | 'BACKUP';
  interface?: string;
  vrid?: number;
  priority?: number;
  /** Microseconds. */
  advertInt?: number;
  version?: 2 | 3;
  nopreempt: boolean;
  /** Microseconds. */
  preemptDelay: number;
  authType?: 'PASS';
  authPass?: string;
  readonly addresses: VirtualAddress[];
  readonly excluded: VirtualAddress[];
  source?: string;
  /** A unicast keyword was written (`unicast_src_ip`, `unicast_peer`). */
  unicast: boolean;
  readonly peers: string[];
  mcastGroup?: string;
  readonly trackInterfaces: { at: SourceRef; name: string; weight: number }[];
  readonly trackScripts: { at: SourceRef; name: string; weight?: number }[];
  readonly notify: DraftNotify;
  dontTrackPrimary: boolean;
}

export interface DraftVrrpScript {
  readonly at: SourceRef;
  readonly name: string;
  script?: string;
  /** Seconds. */
  interval?: number;
  timeout?: number;
  weight?: number;
  rise?: number;
  fall?: number;
  user?: string;
  initFail: boolean;
}

export interface DraftSyncGroup {
  readonly at: SourceRef;
  readonly name: string;
  readonly members: { at: SourceRef; name: string }[];
  readonly notify: DraftNotify;
}

/** `global_defs` (the VRRP keywords) and the VRRP blocks. */
export interface DraftVrrp extends DraftAdvertSettings {
  routerId?: string;
  mcastGroup4?: string;
  version?: 2 | 3;
  lvsSync?: { at: SourceRef; interface: string; instance?: string; syncId?: number };
  readonly instances: DraftVrrpInstance[];
  readonly scripts: DraftVrrpScript[];
  readonly syncGroups: DraftSyncGroup[];
}

export interface Drafts {
  readonly virtualServers: DraftVirtualServer[];
  readonly groups: DraftGroup[];
  /** Absent in the JSON form (it has no VRRP half). */
  readonly vrrp?: DraftVrrp;
}

export function newVrrpInstance(at: SourceRef, name: string): DraftVrrpInstance {
  return {
    at, name, nopreempt: false, preemptDelay: 0, addresses: [], excluded: [], unicast: false, peers: [],
    trackInterfaces: [], trackScripts: [], notify: {}, dontTrackPrimary: false,
  };
}

export const SECOND = 1_000_000;

export function newVirtualServer(at: SourceRef, target: DraftTarget): DraftVirtualServer {
  return {
    at, target, family: target.kind === 'address' ? target.family : undefined,
    delayLoop: 60 * SECOND, onePacket: false, flags: {}, quorum: 1, hysteresis: 0, alpha: false, omega: false, inhibit: false,
    haSuspend: false, connectTimeout: 5 * SECOND, weight: 1, realServers: [],
  };
}

export function newRealServer(at: SourceRef, family: AddressFamily, address: string, port: number, vs: DraftVirtualServer): DraftRealServer {
  return { at, family, address, port, forwarding: vs.forwarding, upperThreshold: 0, lowerThreshold: 0, checkers: [] };
}

export function newChecker(at: SourceRef, kind: DraftChecker['kind']): DraftChecker {
  return { at, kind, urls: [], httpProtocol: '1.0', enableSni: false, miscTimeout: 0, miscDynamic: false };
}
