import type { AddressFamily, ForwardingMethod, TunnelType } from './enums';
import type { Stats } from './stats';

/** Identifies a real server inside a service. */
export interface DestinationKey {
  readonly address: string;
  readonly port: number;
  /** Family of the real server's address; may differ from the service's only for tunnels. */
  readonly family: AddressFamily;
}

/** The settings of a real server, as sent in NEW_DEST / SET_DEST. */
export interface DestinationOptions {
  readonly forwarding: ForwardingMethod;
  readonly weight: number;
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
  readonly tunnelType: TunnelType;
  /** GUE destination port (0 when unused). */
  readonly tunnelPort: number;
  /** Tunnel checksum flags: bit 0x1 checksum, 0x2 remote checksum offload. */
  readonly tunnelFlags: number;
}

/** A real server as the kernel reports it. */
export interface Destination extends DestinationOptions {
  readonly key: DestinationKey;
  readonly activeConnections: number;
  readonly inactiveConnections: number;
  readonly persistentConnections: number;
  readonly stats: Stats;
}
