import type { Stats } from '../model';
import { Attributes } from '../netlink/attributes';
import { StatsAttr } from './constants';

const ZERO = BigInt(0);

/** All-zero counters (an object the kernel sent without any statistics). */
const EMPTY_STATS: Stats = {
  connections: ZERO, packetsIn: ZERO, packetsOut: ZERO, bytesIn: ZERO, bytesOut: ZERO,
  connectionsPerSecond: ZERO, packetsInPerSecond: ZERO, packetsOutPerSecond: ZERO,
  bytesInPerSecond: ZERO, bytesOutPerSecond: ZERO, wide: false,
};

function readStats(nest: Attributes, wide: boolean): Stats {
  return {
    connections: nest.counter(StatsAttr.Conns) ?? ZERO,
    packetsIn: nest.counter(StatsAttr.InPkts) ?? ZERO,
    packetsOut: nest.counter(StatsAttr.OutPkts) ?? ZERO,
    bytesIn: nest.counter(StatsAttr.InBytes) ?? ZERO,
    bytesOut: nest.counter(StatsAttr.OutBytes) ?? ZERO,
    connectionsPerSecond: nest.counter(StatsAttr.Cps) ?? ZERO,
    packetsInPerSecond: nest.counter(StatsAttr.InPps) ?? ZERO,
    packetsOutPerSecond: nest.counter(StatsAttr.OutPps) ?? ZERO,
    bytesInPerSecond: nest.counter(StatsAttr.InBps) ?? ZERO,
    bytesOutPerSecond: nest.counter(StatsAttr.OutBps) ?? ZERO,
    wide,
  };
}

const noStats = (): Stats => EMPTY_STATS;

/** Where the counters of an object lie (STATS64 when present, 4.1+, else STATS), or undefined when it has none. */
function statsPlace(object: Attributes, stats64Type: number, statsType: number): { wide: boolean; type: number; start: number } | undefined {
  const wide = object.offset(stats64Type) >= 0;
  const type = wide ? stats64Type : statsType;
  const start = object.offset(type);
  return start < 0 ? undefined : { wide, type, start };
}

/** The table `decodeStats` reads through: it decodes every counter before it returns, so one serves all. */
const eagerNest = new Attributes(StatsAttr.Pad, '');

/** The counters of a service or real server, decoded now (a view read once: see `DestinationView`). */
export function decodeStats(object: Attributes, stats64Type: number, statsType: number): Stats {
  const place = statsPlace(object, stats64Type, statsType);
  if (!place) return EMPTY_STATS;
  const { start, type } = place;
  return readStats(eagerNest.load(object.source, start, start + object.length(type), object.childPlace(type)), place.wide);
}

/**
 * The counters of a service or real server as a function that checks and decodes them on first
 * call: a listing of 100k real servers that never shows counters creates no BigInts and walks no
 * nest of counters. The function keeps the received bytes, never `object` (a dump reuses that table
 * for the next message).
 */
export function statsReader(object: Attributes, stats64Type: number, statsType: number): () => Stats {
  const at = statsPlace(object, stats64Type, statsType);
  if (!at) return noStats;
  const buffer = object.source;
  const { start, type, wide } = at;
  const end = start + object.length(type);
  const place = object.childPlace(type);
  let stats: Stats | undefined;
  return () => (stats ??= readStats(Attributes.parse(buffer, start, end, StatsAttr.Pad, place), wide));
}
