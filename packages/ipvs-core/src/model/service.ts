import type { AddressFamily, Protocol } from './enums';
import type { Stats } from './stats';

/** Identifies one virtual service: either protocol/address/port, or a firewall mark. */
export type ServiceKey =
  | { readonly family: AddressFamily; readonly protocol: Protocol; readonly address: string; readonly port: number }
  | { readonly family: AddressFamily; readonly fwmark: number };

/** Names of the scheduler flag bits as ipvsadm shows them (meaning depends on the scheduler). */
export type SchedulerFlag = 'flag-1' | 'flag-2' | 'flag-3' | 'sh-fallback' | 'sh-port' | 'mh-fallback' | 'mh-port';

/**
 * The settings of a service as `addService` / `editService` take them: each one left out gets
 * ipvsadm's default (`serviceSettings` fills them in). An edit replaces every setting, so what it
 * leaves out goes back to its default.
 */
export interface ServiceOptions {
  /** Scheduler module name (rr, wrr, lc, wlc, ..., or "none"). Default `'wlc'`. */
  readonly scheduler?: string | undefined;
  /**
   * Persistence timeout in seconds. Default 360 (ipvsadm's `-p` without a value) when `flags` has
   * `ServiceFlags.Persistent`, else 0.
   */
  readonly timeout?: number | undefined;
  /**
   * Persistence granularity: an IPv4 netmask in dotted form ("255.255.255.0") for IPv4 services,
   * a prefix length (1..128) for IPv6 services. Default one client address: `'255.255.255.255'`, or
   * 128 for IPv6.
   */
  readonly netmask?: string | number | undefined;
  /** Raw service flag word (IP_VS_SVC_F_*), HASHED excluded. Default 0. */
  readonly flags?: number | undefined;
  /** Persistence engine name ("sip"). Default none. */
  readonly persistenceEngine?: string | undefined;
}

/** Every setting of a service: what the kernel reports, and what a `Ruleset` holds. */
export interface ServiceSettings extends ServiceOptions {
  readonly scheduler: string;
  readonly timeout: number;
  readonly netmask: string | number;
  readonly flags: number;
}

/** A virtual service as the kernel reports it. */
export interface Service extends ServiceSettings {
  readonly key: ServiceKey;
  readonly stats: Stats;
}
