import type { AddressFamily, Protocol } from './enums';
import type { Stats } from './stats';

/** Identifies one virtual service: either protocol/address/port, or a firewall mark. */
export type ServiceKey =
  | { readonly family: AddressFamily; readonly protocol: Protocol; readonly address: string; readonly port: number }
  | { readonly family: AddressFamily; readonly fwmark: number };

/** Names of the scheduler flag bits as ipvsadm shows them (meaning depends on the scheduler). */
export type SchedulerFlag = 'flag-1' | 'flag-2' | 'flag-3' | 'sh-fallback' | 'sh-port' | 'mh-fallback' | 'mh-port';

/** The settings of a service, as sent in NEW_SERVICE / SET_SERVICE. */
export interface ServiceOptions {
  /** Scheduler module name (rr, wrr, lc, wlc, ..., or "none"). */
  readonly scheduler: string;
  /** Persistence timeout in seconds; set together with `persistent`. */
  readonly timeout: number;
  /**
   * Persistence granularity: an IPv4 netmask in dotted form ("255.255.255.0") for IPv4 services,
   * a prefix length (1..128) for IPv6 services.
   */
  readonly netmask: string | number;
  /** Raw service flag word (IP_VS_SVC_F_*), HASHED excluded. */
  readonly flags: number;
  /** Persistence engine name ("sip"), or undefined for none. */
  readonly persistenceEngine?: string | undefined;
}

/** A virtual service as the kernel reports it. */
export interface Service extends ServiceOptions {
  readonly key: ServiceKey;
  readonly stats: Stats;
}
