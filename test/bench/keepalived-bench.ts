/**
 * keepalived benchmark, run inside the VM (`npm run bench:keepalived`): 1,000 real servers checked every
 * second (10 virtual servers × 100 real servers: 5 with TCP_CHECK, 5 with HTTP_GET), all answered by one
 * local server on 0.0.0.0:80 in the director's namespace, the real servers' addresses on a dummy
 * interface. Debian's keepalived and then `tsipvs keepalived` run on the same file, each for
 * KA_BENCH_SECONDS (60) after the table is complete: CPU seconds of the daemon's process tree
 * (utime + stime, reaped children included, from /proc/PID/stat), its peak RSS (VmHWM, summed over the
 * tree: keepalived runs a parent and a checker child), and the checks the server saw per second.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { IMPLEMENTATIONS, KeepalivedLab, unavailableReason, type Daemon, type Implementation } from '../lab/keepalived-lab';
import { sleep } from '../lab/lab';

const IP = '/usr/sbin/ip';
const SECONDS = Number(process.env.KA_BENCH_SECONDS ?? 60);
/** KA_BENCH_SIZE=VxR: V virtual servers of R real servers (default 10x100). */
const SIZE = /^(\d+)x(\d+)$/.exec(process.env.KA_BENCH_SIZE ?? '10x100');
if (!SIZE || Number(SIZE[1]) < 2 || Number(SIZE[1]) > 250 || Number(SIZE[2]) < 1 || Number(SIZE[2]) > 254)
  throw new Error(`KA_BENCH_SIZE must be VxR with 2 <= V <= 250 and 1 <= R <= 254, not ${process.env.KA_BENCH_SIZE}`);
const VIRTUAL_SERVERS = Number(SIZE[1]);
const PER_SERVICE = Number(SIZE[2]);
const TICKS_PER_SECOND = 100; // CLK_TCK on Linux x86-64
/** Open files for the server and both daemons: 1,000 checks at once need more than the default 1,024. */
const FILE_LIMIT = 65536;

/** The config: VS i at 10.2.0.(i+1):80, its real servers at 10.1.i.1..100:80. */
function config(): string {
  const blocks: string[] = [];
  for (let v = 0; v < VIRTUAL_SERVERS; v++) {
    const check =
      v < VIRTUAL_SERVERS / 2
        ? '        TCP_CHECK {\n            connect_timeout 1\n            retry 1\n            delay_before_retry 1\n        }'
        : '        HTTP_GET {\n            url {\n                path /index.html\n                status_code 200\n            }\n            connect_timeout 1\n            retry 1\n            delay_before_retry 1\n        }';
    blocks.push(`virtual_server 10.2.0.${v + 1} 80 {\n    delay_loop 1\n    lb_algo wrr\n    lb_kind DR\n    protocol TCP`);
    for (let r = 1; r <= PER_SERVICE; r++) blocks.push(`    real_server 10.1.${v}.${r} 80 {\n        weight 1\n${check}\n    }`);
    blocks.push('}');
  }
  return `${blocks.join('\n')}\n`;
}

/**
 * The local server: a raw TCP listener (cheaper than node's http module, so the server keeps up under
 * TCG) that answers the first data of each connection with a fixed HTTP 200 and closes; counts
 * connections, and prints the count on each stdin line. The backlog is large: the checkers of both
 * implementations fire in bursts, and a SYN dropped from a full backlog is a connect timeout.
 */
const SERVER = `
const net = require('net');
let connections = 0;
const reply = Buffer.from('HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 3\\r\\nConnection: close\\r\\n\\r\\nok\\n');
const server = net.createServer((socket) => {
  connections++;
  socket.on('error', () => {});
  socket.once('data', () => socket.end(reply));
});
server.listen({ port: 80, host: '0.0.0.0', backlog: 4096 }, () => process.stdout.write('listening\\n'));
require('readline').createInterface({ input: process.stdin }).on('line', () => process.stdout.write(connections + '\\n'));`;

class CountingServer {
  private readonly lines: Array<(l: string) => void> = [];
  constructor(private readonly child: ChildProcess) {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.lines.shift()?.(line);
      }
    });
  }
  next(): Promise<string> {
    return new Promise((resolve) => this.lines.push(resolve));
  }
  async connections(): Promise<number> {
    const line = this.next();
    this.child.stdin?.write('count\n');
    return Number(await line);
  }
}

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** utime + stime + cutime + cstime, in ticks. */
  readonly ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name (field 2) may hold spaces: the fields after it start past the last ')'
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): utime is field 14, so f[11]
  return { pid, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
}

/** The process and its descendants. */
function tree(root: number): ProcStat[] {
  const all = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map((n) => readStat(Number(n))).filter((s): s is ProcStat => s !== undefined);
  const found = all.filter((s) => s.pid === root);
  for (let i = 0; i < found.length; i++) found.push(...all.filter((s) => s.ppid === found[i]!.pid));
  return found;
}

const cpuSeconds = (root: number) => tree(root).reduce((sum, s) => sum + s.ticks, 0) / TICKS_PER_SECOND;

function peakRssMb(root: number): number {
  let kb = 0;
  for (const { pid } of tree(root)) {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    kb += Number(m?.[1] ?? 0);
  }
  return kb / 1024;
}

interface Row {
  readonly impl: Implementation;
  readonly skipped?: string;
  readonly settleS?: number;
  readonly cpuS?: number;
  readonly rssMb?: number;
  readonly processes?: number;
  readonly checksPerS?: number;
  readonly inTable?: number;
}

const countServers = (table: string) => table.split('\n').filter((l) => l.startsWith('-a ')).length;

async function measure(ka: KeepalivedLab, ns: string, server: CountingServer, impl: Implementation, file: string): Promise<Row> {
  const why = unavailableReason(impl);
  if (why) return { impl, skipped: why };
  spawnSync(IP, ['netns', 'exec', ns, 'ipvsadm', '-C']);
  const started = Date.now();
  const daemon: Daemon = ka.startDaemon(impl, ns, file, [], FILE_LIMIT);
  await ka.waitForTable(ns, (t) => countServers(t) === VIRTUAL_SERVERS * PER_SERVICE, 120_000, `${impl}: all real servers in`, daemon);
  const settleS = (Date.now() - started) / 1000;
  await sleep(5000); // the first round of checks
  const pid = daemon.child.pid!;
  const cpu0 = cpuSeconds(pid);
  const conns0 = await server.connections();
  const t0 = Date.now();
  await sleep(SECONDS * 1000);
  const cpu1 = cpuSeconds(pid);
  const conns1 = await server.connections();
  const elapsed = (Date.now() - t0) / 1000;
  const row: Row = {
    impl,
    settleS,
    cpuS: cpu1 - cpu0,
    rssMb: peakRssMb(pid),
    processes: tree(pid).length,
    checksPerS: (conns1 - conns0) / elapsed,
    inTable: countServers(ka.table(ns)),
  };
  await daemon.stop(30_000);
  return row;
}

async function main(): Promise<void> {
  const ka = new KeepalivedLab('kabench');
  try {
    const ns = ka.lab.namespace('dir');
    const batch = [`link add d0 type dummy`, `link set d0 up`];
    for (let v = 0; v < VIRTUAL_SERVERS; v++) {
      batch.push(`addr add 10.2.0.${v + 1}/32 dev d0`);
      for (let r = 1; r <= PER_SERVICE; r++) batch.push(`addr add 10.1.${v}.${r}/32 dev d0`);
    }
    const r = spawnSync(IP, ['-n', ns, '-batch', '-'], { input: `${batch.join('\n')}\n`, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip -batch: ${r.stderr}`);
    const child = spawn(IP, ['netns', 'exec', ns, 'sh', '-c', `ulimit -n ${FILE_LIMIT} && exec "$@"`, 'sh', process.execPath, '-e', SERVER], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const server = new CountingServer(child);
    if ((await server.next()) !== 'listening') throw new Error('the local server did not start');
    const file = `${ka.dir}/bench.conf`;
    fs.writeFileSync(file, config());
    const rows: Row[] = [];
    for (const impl of IMPLEMENTATIONS) {
      process.stderr.write(`[bench] ${impl}: ${SECONDS} s...\n`);
      rows.push(await measure(ka, ns, server, impl, file));
    }
    child.kill('SIGKILL');
    print(rows);
  } finally {
    await ka.destroy();
  }
}

function print(rows: readonly Row[]): void {
  const cpus = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length;
  process.stdout.write(
    `\n${VIRTUAL_SERVERS * PER_SERVICE} real servers (${VIRTUAL_SERVERS} virtual servers × ${PER_SERVICE}; half TCP_CHECK, half HTTP_GET), delay_loop 1, ` +
      `${SECONDS} s each after the table was complete; kernel ${fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}, ${cpus} vCPU, node ${process.version}\n\n`,
  );
  process.stdout.write('| implementation | CPU s | CPU % of one core | peak RSS MB | processes | checks/s seen | in table at end | table complete after s |\n');
  process.stdout.write('|---|---|---|---|---|---|---|---|\n');
  for (const r of rows) {
    const name = r.impl === 'debian' ? "Debian's keepalived 2.2.7" : 'tsipvs keepalived';
    if (r.skipped) process.stdout.write(`| ${name} | skipped: ${r.skipped} |||||||\n`);
    else
      process.stdout.write(
        `| ${name} | ${r.cpuS!.toFixed(2)} | ${((100 * r.cpuS!) / SECONDS).toFixed(1)} | ${r.rssMb!.toFixed(1)} | ${r.processes} | ${r.checksPerS!.toFixed(0)} | ${r.inTable} | ${r.settleS!.toFixed(1)} |\n`,
      );
  }
  const [debian, ours] = rows;
  if (debian?.cpuS !== undefined && ours?.cpuS !== undefined)
    process.stdout.write(`\ntsipvs / keepalived: CPU ${(ours.cpuS / debian.cpuS).toFixed(2)}x, peak RSS ${(ours.rssMb! / debian.rssMb!).toFixed(2)}x\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`keepalived bench failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
