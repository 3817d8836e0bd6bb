import type { DaemonState } from './enums';

/** Options for starting a connection synchronisation daemon. */
export interface DaemonConfig {
  readonly state: DaemonState;
  /** Multicast interface name (max 15 characters). */
  readonly interface: string;
  readonly syncId: number;
  /** Max sync message payload; 0 or undefined lets the kernel derive it from the MTU. */
  readonly maxLength?: number | undefined;
  /** IPv4 or IPv6 multicast group; undefined lets the kernel use 224.0.0.81. */
  readonly group?: string | undefined;
  readonly port?: number | undefined;
  readonly ttl?: number | undefined;
}

/** A running sync daemon as the kernel reports it (kernels >= 4.3 fill every field). */
export interface Daemon {
  readonly state: DaemonState;
  readonly interface: string;
  readonly syncId: number;
  readonly maxLength?: number | undefined;
  readonly group?: string | undefined;
  readonly port?: number | undefined;
  readonly ttl?: number | undefined;
}
