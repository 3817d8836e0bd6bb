/** Rules tables for the in-VM tests, as ipvsadm -S -n lines, and a reproducible random sequence. */

/** A deterministic pseudo-random sequence in [0, 1) (xorshift32): tests must be reproducible. */
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/**
 * `services` services (172.16.x.y:80, from number `base`, rr and wlc in turn) with `servers` masquerading
 * real servers each (10.x.y.d:80); `weight(d)` gives the d-th server's weight (1-based).
 */
export function ruleLines(services: number, servers: number, base = 0, weight: (d: number) => number = (d) => d): string[] {
  const lines: string[] = [];
  for (let s = base; s < base + services; s++) {
    const vip = `172.16.${s >> 8}.${s & 255}:80`;
    lines.push(`-A -t ${vip} -s ${s % 2 ? 'rr' : 'wlc'}`);
    for (let d = 1; d <= servers; d++) lines.push(`-a -t ${vip} -r 10.${1 + (s >> 8)}.${s & 255}.${d}:80 -m -w ${weight(d)}`);
  }
  return lines;
}
