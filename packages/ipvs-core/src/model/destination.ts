import type { AddressFamily, ForwardingMethod, TunnelType } from './enums';
import type { Stats } from './stats';

/** Identifies a real server inside a service. */
export interface DestinationKey {
  readonly address: string;
  readonly port: number;
  /** Family of the real server's address; may differ from the service's only for tunnels. */
  readonly family: AddressFamily;
}

/**
 * The settings of a real server as `addDestination` / `editDestination` take them: each one left
 * out gets ipvsadm's default (`destinationSettings` fills them in). An edit replaces every setting,
 * so what it leaves out goes back to its default.
 */
export interface DestinationOptions {
  /** Default `ForwardingMethod.DirectRoute` (ipvsadm's "gatewaying", used when no -g/-m/-i is given). */
  readonly forwarding?: ForwardingMethod | undefined;
  /** 0..2³¹−1. Default 1. */
  readonly weight?: number | undefined;
  /** Most connections before the server counts as overloaded; 0 (default) for no limit. */
  readonly upperThreshold?: number | undefined;
  /**
   * Connections below which an overloaded server takes new ones again. Default 0: below three
   * quarters of the upper threshold. The kernel refuses a lower threshold above the upper one.
   */
  readonly lowerThreshold?: number | undefined;
  /** Encapsulation of tunnel forwarding. Default `TunnelType.IPIP`. */
  readonly tunnelType?: TunnelType | undefined;
  /** GUE destination port (0, the default, when unused). */
  readonly tunnelPort?: number | undefined;
  /** Tunnel checksum flags: bit 0x1 checksum, 0x2 remote checksum offload. Default 0. */
  readonly tunnelFlags?: number | undefined;
}

/** Every setting of a real server: what the kernel reports, and what a `Ruleset` holds. */
export interface DestinationSettings extends DestinationOptions {
  readonly forwarding: ForwardingMethod;
  readonly weight: number;
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
  readonly tunnelType: TunnelType;
  readonly tunnelPort: number;
  readonly tunnelFlags: number;
}

/** A real server as the kernel reports it. */
export interface Destination extends DestinationSettings {
  readonly key: DestinationKey;
  readonly activeConnections: number;
  readonly inactiveConnections: number;
  readonly persistentConnections: number;
  readonly stats: Stats;
}
