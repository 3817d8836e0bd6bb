import type { Stats } from '../model';
import { Attributes } from './attributes';
import { StatsAttr } from './constants';

const ZERO = BigInt(0);

/** All-zero counters (an object the kernel sent without any statistics). */
export const EMPTY_STATS: Stats = {
  connections: ZERO, packetsIn: ZERO, packetsOut: ZERO, bytesIn: ZERO, bytesOut: ZERO,
  connectionsPerSecond: ZERO, packetsInPerSecond: ZERO, packetsOutPerSecond: ZERO,
  bytesInPerSecond: ZERO, bytesOutPerSecond: ZERO, wide: false,
};

function readStats(nest: Attributes, wide: boolean): Stats {
  const get = (type: StatsAttr): bigint => nest.counter(type) ?? ZERO;
  return {
    connections: get(StatsAttr.Conns),
    packetsIn: get(StatsAttr.InPkts),
    packetsOut: get(StatsAttr.OutPkts),
    bytesIn: get(StatsAttr.InBytes),
    bytesOut: get(StatsAttr.OutBytes),
    connectionsPerSecond: get(StatsAttr.Cps),
    packetsInPerSecond: get(StatsAttr.InPps),
    packetsOutPerSecond: get(StatsAttr.OutPps),
    bytesInPerSecond: get(StatsAttr.InBps),
    bytesOutPerSecond: get(StatsAttr.OutBps),
    wide,
  };
}

const COUNTERS = [
  StatsAttr.Conns, StatsAttr.InPkts, StatsAttr.OutPkts, StatsAttr.InBytes, StatsAttr.OutBytes,
  StatsAttr.Cps, StatsAttr.InPps, StatsAttr.OutPps, StatsAttr.InBps, StatsAttr.OutBps,
];

/**
 * Checks a service's or real server's counters (STATS64 when present, 4.1+, else STATS) now and returns a function that decodes them on first
 * call: a listing of 100k real servers that never shows counters then creates no BigInts at all.
 */
export function statsReader(object: Attributes, stats64Type: number, statsType: number): () => Stats {
  const wide = object.lazyNested(stats64Type, StatsAttr.Pad, COUNTERS, 4);
  const nest = wide ?? object.lazyNested(statsType, StatsAttr.Pad, COUNTERS, 4);
  if (!nest) return () => EMPTY_STATS;
  let stats: Stats | undefined;
  return () => (stats ??= readStats(nest(), wide !== undefined));
}
