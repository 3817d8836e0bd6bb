/** Reads `tsipvs -Ln --stats --exact` into numbers: one entry per service and per real server line. */
export interface StatsLine {
  readonly conns: number;
  readonly inPkts: number;
  readonly outPkts: number;
  readonly inBytes: number;
  readonly outBytes: number;
}

export interface StatsTable {
  /** Keyed by the service text (e.g. "TCP  10.10.0.50:80", "FWM  1"). */
  readonly services: Map<string, StatsLine>;
  /** Keyed by "<service> -> <server address:port>". */
  readonly servers: Map<string, StatsLine>;
}

export function parseStats(text: string): StatsTable {
  const services = new Map<string, StatsLine>();
  const servers = new Map<string, StatsLine>();
  let current = '';
  for (const line of text.split('\n')) {
    const m = /^(\s*->\s+)?(\S.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/.exec(line);
    if (!m) continue;
    const values: StatsLine = { conns: +m[3]!, inPkts: +m[4]!, outPkts: +m[5]!, inBytes: +m[6]!, outBytes: +m[7]! };
    if (m[1]) servers.set(`${current} -> ${m[2]}`, values);
    else {
      current = m[2]!.replace(/\s+/g, ' ');
      services.set(current, values);
    }
  }
  return { services, servers };
}
