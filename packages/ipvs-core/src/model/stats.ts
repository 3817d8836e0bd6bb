/**
 * Traffic counters and estimator rates of a service or real server (or the global totals).
 * 64-bit values are bigint so nothing is lost; they come from STATS64 when the kernel sends it
 * (4.1+) and from the 32-bit STATS otherwise (`wide` tells which).
 */
export interface Stats {
  readonly connections: bigint;
  readonly packetsIn: bigint;
  readonly packetsOut: bigint;
  readonly bytesIn: bigint;
  readonly bytesOut: bigint;
  readonly connectionsPerSecond: bigint;
  readonly packetsInPerSecond: bigint;
  readonly packetsOutPerSecond: bigint;
  readonly bytesInPerSecond: bigint;
  readonly bytesOutPerSecond: bigint;
  /** True when the values came from the 64-bit STATS64 attribute set. */
  readonly wide: boolean;
}
