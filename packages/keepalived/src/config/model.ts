/**
 * keepalived.conf's checker half as plain data: what `parseKeepalivedConfig` produces and what the
 * checkers and the director consume. Every default is keepalived's (its keepalived.conf(5) and
 * check/check_data.c, check_parser.c); docs/keepalived.md lists them. Durations are milliseconds.
 */
import type { AddressFamily } from '@tsipvs/ipvs-core';
import type { SourceRef } from './source-ref';
import type { VrrpConfig } from './vrrp-model';

export type { SourceRef };

/** A warning (unknown keyword, ignored block) or an error found while reading the configuration. */
export interface ConfigMessage {
  readonly severity: 'warning' | 'error' | 'note';
  readonly at: SourceRef;
  readonly text: string;
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type ForwardingMethod = 'NAT' | 'DR' | 'TUN';
export type TunnelType = 'ipip' | 'gue' | 'gre';

/** `lb_kind` / `lvs_method`, with the tunnel settings of TUN. */
export interface Forwarding {
  readonly method: ForwardingMethod;
  /** TUN only; default ipip. */
  readonly tunnelType?: TunnelType;
  /** TUN type gue: the UDP port. */
  readonly tunnelPort?: number;
  /** TUN type gue/gre: `nocsum` | `csum` | `remcsum`. */
  readonly tunnelChecksum?: 'nocsum' | 'csum' | 'remcsum';
}

/** What a `virtual_server` line names. */
export type VirtualServerTarget =
  | { readonly kind: 'address'; readonly family: AddressFamily; readonly address: string; readonly port: number }
  | { readonly kind: 'fwmark'; readonly family: AddressFamily; readonly mark: number }
  | { readonly kind: 'group'; readonly name: string };

/** One member of a `virtual_server_group`: an address (with keepalived's `A.B.C.D-E` range expanded) or a mark. */
export type GroupMember =
  | { readonly kind: 'address'; readonly family: AddressFamily; readonly address: string; readonly port: number }
  | { readonly kind: 'fwmark'; readonly family: AddressFamily; readonly mark: number };

export interface VirtualServerGroup {
  readonly name: string;
  readonly at: SourceRef;
  readonly members: readonly GroupMember[];
}

/** Settings every checker has (`connect_*`, `bindto`, retries, `warmup`, its own `delay_loop`). */
export interface CheckerCommon {
  readonly at: SourceRef;
  /** Default: the real server's address. */
  readonly connectIp?: string;
  /**
   * Always set for TCP_CHECK, HTTP_GET and SSL_GET: `connect_port`, else the port written on the
   * `real_server` line (keepalived takes it before it clears the port of a DR/TUN fwmark service).
   * Unset for MISC_CHECK.
   */
  readonly connectPort?: number;
  readonly bindTo?: string;
  readonly bindPort?: number;
  readonly connectTimeoutMs: number;
  /** `retry` / `nb_get_retry`: failures tolerated before down is retry + 1 in a row. */
  readonly retry: number;
  readonly delayBeforeRetryMs: number;
  /** Random delay up to this before the first check (keepalived's `warmup`); 0 for none. */
  readonly warmupMs: number;
  /** The checker's own `delay_loop`, else the virtual server's. */
  readonly delayLoopMs: number;
  /** `alpha`: start down (inherited from the virtual server unless set on the checker). */
  readonly alpha: boolean;
}

export interface TcpCheck extends CheckerCommon {
  readonly kind: 'TCP_CHECK';
}

export interface UrlCheck {
  readonly at: SourceRef;
  readonly path: string;
  /** Accepted status codes; empty means keepalived's default (any 2xx). */
  readonly statusCodes: readonly number[];
  /** MD5 of the body, lower-case hex. */
  readonly digest?: string;
  /** Host header for this URL, else the checker's `virtualhost`, else the virtual server's. */
  readonly virtualhost?: string;
}

export interface HttpCheck extends CheckerCommon {
  readonly kind: 'HTTP_GET' | 'SSL_GET';
  readonly urls: readonly UrlCheck[];
  /** The checker's `virtualhost`, else the real server's, else the virtual server's. */
  readonly virtualhost?: string;
  /** `http_protocol`: 1.0, 1.1, or 1.0C (1.0 with `Connection: close`); the loader always sets it; absent means 1.0. */
  readonly httpProtocol?: '1.0' | '1.1' | '1.0C';
  /** SSL_GET `enable_sni`: send the virtualhost as SNI; the loader always sets it; absent means false. */
  readonly enableSni?: boolean;
}

export interface MiscCheck extends CheckerCommon {
  readonly kind: 'MISC_CHECK';
  /** The command line, quoted for /bin/sh -c (the words of `args`). */
  readonly path: string;
  /** The program and its arguments after keepalived's quoting and escapes (`args[0]` is the program); the loader always sets it. */
  readonly args?: readonly string[];
  /** `misc_timeout` (whole seconds); default: the virtual server's delay_loop, as in keepalived. */
  readonly timeoutMs: number;
  /** Exit 0 up, 1 down, 2..255 up with weight exit-2 (keepalived's misc_dynamic). */
  readonly dynamic: boolean;
  readonly user?: string;
  readonly group?: string;
}

export type CheckerConfig = TcpCheck | HttpCheck | MiscCheck;

export interface RealServer {
  readonly at: SourceRef;
  readonly family: AddressFamily;
  readonly address: string;
  /** 0 for fwmark services written without a port. */
  readonly port: number;
  readonly weight: number;
  /** Real servers may override the virtual server's method (keepalived 2's `lvs_method` in `real_server`). */
  readonly forwarding: Forwarding;
  readonly inhibitOnFailure: boolean;
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
  /** `notify_up` / `notify_down`: command lines for /bin/sh -c (keepalived's quoting already applied). */
  readonly notifyUp?: string;
  readonly notifyDown?: string;
  /** All must pass for the server to be up; none means always up. */
  readonly checkers: readonly CheckerConfig[];
}

export interface SorryServer {
  readonly at: SourceRef;
  readonly family: AddressFamily;
  readonly address: string;
  readonly port: number;
  readonly forwarding: Forwarding;
  /** `sorry_server_inhibit`: keep it at weight 0 instead of deleting it. */
  readonly inhibit: boolean;
}

export interface SchedulerFlags {
  readonly shPort?: boolean;
  readonly shFallback?: boolean;
  readonly mhPort?: boolean;
  readonly mhFallback?: boolean;
  readonly flag1?: boolean;
  readonly flag2?: boolean;
  readonly flag3?: boolean;
}

export interface VirtualServer {
  readonly at: SourceRef;
  readonly target: VirtualServerTarget;
  readonly delayLoopMs: number;
  readonly scheduler: string;
  readonly forwarding: Forwarding;
  /** Meaningless for a fwmark service (keepalived ignores `protocol` there): 'TCP'. */
  readonly protocol: Protocol;
  /** Seconds; undefined when not persistent. */
  readonly persistenceTimeout?: number;
  /** An IPv4 netmask (`255.255.255.0`) or an IPv6 prefix length (`64`). */
  readonly persistenceGranularity?: string;
  readonly persistenceEngine?: string;
  readonly onePacketScheduling: boolean;
  readonly schedulerFlags: SchedulerFlags;
  readonly quorum: number;
  readonly hysteresis: number;
  /** Command lines for /bin/sh -c, like `notifyUp`. */
  readonly quorumUp?: string;
  readonly quorumDown?: string;
  readonly alpha: boolean;
  readonly omega: boolean;
  readonly inhibitOnFailure: boolean;
  readonly sorryServer?: SorryServer;
  readonly haSuspend: boolean;
  readonly virtualhost?: string;
  readonly realServers: readonly RealServer[];
}

export interface KeepalivedConfig {
  /** The main file (includes are resolved relative to it). */
  readonly file: string;
  readonly virtualServers: readonly VirtualServer[];
  readonly groups: ReadonlyMap<string, VirtualServerGroup>;
  /** The VRRP half (`global_defs`, `vrrp_instance`, `vrrp_script`, `vrrp_sync_group`); empty lists without VRRP blocks. */
  readonly vrrp: VrrpConfig;
  /** Warnings and notes (errors make parsing fail). */
  readonly messages: readonly ConfigMessage[];
}
