/**
 * VRRP failover benchmark, run inside the VM (`npm run bench:vrrp`): the two-director lab of
 * test/lab/vrrp-lab.ts (MASTER d1 priority 100, BACKUP d2 priority 80, advert_int 1, LVS-DR behind the
 * VIP), Debian's keepalived on both directors and then tsipvs keepalived on both, VRRP_BENCH_TRIALS (20)
 * trials each. A trial takes d1's link down and measures, from the moment `ip link set eth0 down`
 * returned (the link went down a few milliseconds earlier, so the figures are that much low):
 * - VIP on d2: until `ip addr` on d2 shows the VIP (polled every 50 ms);
 * - answered: until the client, sending a request every 50 ms (200 ms timeout each, a new connection
 *   each), gets the first answer to a request sent after the link went down.
 * Then d1's link comes back, d1 preempts, and the next trial starts once the client is answered again.
 * The RFC's bound for the VIP is d2's Master_Down_Interval: 3 × 1 s + (256 - 80)/256 s = 3,688 ms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { IPROUTE2 as IP } from '../harness/guest';
import { IMPLEMENTATIONS, KeepalivedLab, unavailableReason, writeFile, type Implementation } from '../lab/keepalived-lab';
import { sleep } from '../lab/lab';
import { holdsVip, masterDownMs, pairLab, VIP, vrrpConfig, waitForMaster, type Pair } from '../lab/vrrp-lab';

const TRIALS = Number(process.env.VRRP_BENCH_TRIALS ?? 20);
if (!Number.isInteger(TRIALS) || TRIALS < 1 || TRIALS > 1000) throw new Error(`VRRP_BENCH_TRIALS must be 1..1000, not ${process.env.VRRP_BENCH_TRIALS}`);

/** The client: requests VIP every 50 ms; prints "START END" (epoch ms) of each answered request. */
const PROBE = `
const http = require('http');
const one = () => {
  const start = Date.now();
  const req = http.get('http://${VIP}/', { agent: false, timeout: 200 }, (res) => {
    res.resume();
    res.on('end', () => process.stdout.write(start + ' ' + Date.now() + '\\n'));
  });
  req.on('timeout', () => req.destroy());
  req.on('error', () => {});
};
setInterval(one, 50);`;

class Probe {
  private readonly child: ChildProcess;
  private readonly answers: Array<{ start: number; end: number }> = [];

  constructor(ns: string) {
    this.child = spawn(IP, ['netns', 'exec', ns, process.execPath, '-e', PROBE], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buffer = '';
    this.child.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const [start, end] = buffer.slice(0, nl).split(' ').map(Number);
        buffer = buffer.slice(nl + 1);
        this.answers.push({ start: start!, end: end! });
      }
    });
  }

  /** Resolves with the end of the first answer to a request sent at or after `since`. */
  async answeredAfter(since: number, deadlineMs: number): Promise<number> {
    for (const end = Date.now() + deadlineMs; Date.now() < end; await sleep(20)) {
      const answer = this.answers.find((a) => a.start >= since);
      if (answer) return answer.end;
    }
    throw new Error(`no answer within ${deadlineMs} ms`);
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}

interface Trial {
  readonly vipMs: number;
  readonly answeredMs: number;
}

async function trials(p: Pair, impl: Implementation): Promise<Trial[]> {
  const { ka } = p;
  const m = ka.startDaemon(impl, p.d1, writeFile(`${ka.dir}/d1-${impl}.conf`, vrrpConfig({ state: 'MASTER', priority: 100 })), [], undefined, 'both');
  const b = ka.startDaemon(impl, p.d2, writeFile(`${ka.dir}/d2-${impl}.conf`, vrrpConfig({ state: 'BACKUP', priority: 80 })), [], undefined, 'both');
  const daemons = [m, b];
  const probe = new Probe(p.client);
  try {
    for (const [ns, daemon] of [[p.d1, m], [p.d2, b]] as const) await ka.waitForTable(ns, (t) => t.includes('10.0.0.20:80'), 60_000, `${impl} running`, daemon);
    await waitForMaster(p, p.d1, 60_000, `${impl}: d1 MASTER at start`, daemons);
    await probe.answeredAfter(Date.now(), 10_000);
    const results: Trial[] = [];
    for (let i = 0; i < TRIALS; i++) {
      await sleep(1500);
      ka.sh(p.d1, 'ip link set eth0 down');
      // after the command returned: requests sent while `ip` was starting went through d1 and count not
      const down = Date.now();
      let vipAt = 0;
      for (const end = down + 15_000; !vipAt; await sleep(50)) {
        if (holdsVip(ka, p.d2)) vipAt = Date.now();
        else if (Date.now() > end) throw new Error(`${impl} trial ${i + 1}: the VIP never reached d2\n${b.tail()}`);
      }
      const answered = await probe.answeredAfter(down, 15_000);
      results.push({ vipMs: vipAt - down, answeredMs: answered - down });
      process.stdout.write(`${impl} trial ${i + 1}: VIP on d2 after ${vipAt - down} ms, answered after ${answered - down} ms\n`);
      ka.sh(p.d1, 'ip link set eth0 up');
      await waitForMaster(p, p.d1, 20_000, `${impl} trial ${i + 1}: d1 preempts`, daemons, 50);
      await probe.answeredAfter(Date.now(), 10_000);
    }
    return results;
  } finally {
    probe.stop();
    await Promise.all([m.stop(), b.stop()]);
  }
}

function summary(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return [sorted[0]!, at(0.5), Math.round(mean), at(0.9), sorted.at(-1)!].map((v) => v.toLocaleString('en-US')).join(' | ');
}

async function main(): Promise<void> {
  const ka = new KeepalivedLab('vrrpbench');
  const rows: string[] = [];
  try {
    const p = await pairLab(ka);
    for (const impl of IMPLEMENTATIONS) {
      const why = unavailableReason(impl);
      if (why) {
        process.stdout.write(`${impl}: skipped (${why})\n`);
        continue;
      }
      const results = await trials(p, impl);
      const name = impl === 'debian' ? "Debian's keepalived" : 'tsipvs keepalived';
      rows.push(`| ${name} | VIP on the BACKUP | ${summary(results.map((r) => r.vipMs))} |`);
      rows.push(`| ${name} | client answered | ${summary(results.map((r) => r.answeredMs))} |`);
    }
  } finally {
    await ka.destroy();
  }
  process.stdout.write(
    `\nVRRP failover, link down on the MASTER, ${TRIALS} trials each (ms); kernel ${fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}, ` +
      `node ${process.version}; RFC bound for the VIP ${Math.round(masterDownMs(80))} ms\n\n` +
      `| implementation | until | min | median | mean | p90 | max |\n|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
