/**
 * Bulk-rules benchmark, run inside the VM (`npm run bench`). For each table size, on fresh tables in
 * fresh namespaces: ipvsadm -R vs tsipvs -R (wall, user, sys CPU, peak memory), listing (-Ln) and
 * save (-S -n) of the loaded table by both, `tsipvs apply` of the same file (expected: zero writes)
 * and of a file with 1% of its lines changed. Prints one table with ratios from this same run.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const IP = '/usr/sbin/ip';
const TSIPVS = path.resolve(__dirname, '../../../packages/ipvs-cli/bin/tsipvs');

interface Measure {
  readonly wall: number;
  readonly user: number;
  readonly sys: number;
  /** Peak resident set size in MB. */
  readonly rssMb: number;
  readonly stdout: string;
}

/** Runs a command in a namespace under busybox `time -v`, returns its figures and output. */
function measure(ns: string, argv: readonly string[], inputFile?: string): Measure {
  const timing = `/tmp/time-${process.pid}.txt`;
  const fd = inputFile ? fs.openSync(inputFile, 'r') : 'ignore';
  const r = spawnSync(IP, ['netns', 'exec', ns, 'time', '-v', '-o', timing, ...argv], {
    stdio: [fd, 'pipe', 'pipe'],
    maxBuffer: 1024 * 1024 * 1024,
    encoding: 'latin1',
  });
  if (typeof fd === 'number') fs.closeSync(fd);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  const t = fs.readFileSync(timing, 'utf8');
  const num = (re: RegExp) => Number(re.exec(t)?.[1] ?? NaN);
  const wallText = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+)h )?(?:(\d+)m )?([\d.]+)s/.exec(t);
  const wall = wallText ? Number(wallText[1] ?? 0) * 3600 + Number(wallText[2] ?? 0) * 60 + Number(wallText[3]) : NaN;
  return {
    wall,
    user: num(/User time \(seconds\): ([\d.]+)/),
    sys: num(/System time \(seconds\): ([\d.]+)/),
    // busybox's time converts ru_maxrss from pages to KiB although Linux reports it in KiB already,
    // so its figure is 4 times too large on 4 KiB pages
    rssMb: num(/Maximum resident set size \(kbytes\): (\d+)/i) / 4 / 1024,
    stdout: r.stdout,
  };
}

/** A namespace with a dummy interface so every 10.0.0.0/8 real server is unicast-routable. */
function freshNamespace(name: string): string {
  spawnSync(IP, ['netns', 'del', name]);
  for (const args of [
    ['netns', 'add', name],
    ['-n', name, 'link', 'set', 'lo', 'up'],
    ['-n', name, 'link', 'add', 'd0', 'type', 'dummy'],
    ['-n', name, 'link', 'set', 'd0', 'up'],
    ['-n', name, 'addr', 'add', '10.0.0.1/8', 'dev', 'd0'],
  ]) {
    const r = spawnSync(IP, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  }
  return name;
}

/** The rules file: `services` services with `servers` real servers each, in ipvsadm's save format. */
function rulesFile(services: number, servers: number, changedPercent = 0): string {
  const lines: string[] = [];
  let serverLines = 0;
  for (let s = 0; s < services; s++) {
    const vip = `172.${16 + (s >> 16)}.${(s >> 8) & 255}.${s & 255}:80`;
    lines.push(`-A -t ${vip} -s ${s % 3 === 0 ? 'rr' : 'wlc'}`);
    for (let d = 0; d < servers; d++) {
      serverLines++;
      let weight = 1 + (d % 5);
      if (changedPercent > 0 && serverLines % Math.round(100 / changedPercent) === 0) weight += 10;
      lines.push(`-a -t ${vip} -r 10.${100 + (s >> 8)}.${s & 255}.${d + 1}:80 ${d % 2 ? '-m' : '-g'} -w ${weight}`);
    }
  }
  const file = `/tmp/rules-${services}x${servers}-${changedPercent}.txt`;
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

interface Row {
  readonly label: string;
  readonly ipvsadm?: Measure | undefined;
  readonly tsipvs: Measure;
  readonly note?: string;
}

const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');

function printTable(title: string, rows: readonly Row[]): void {
  const header = ['measure', 'ipvsadm wall s', 'user', 'sys', 'MB', 'tsipvs wall s', 'user', 'sys', 'MB', 'ratio', 'note'];
  const body = rows.map((r) => [
    r.label,
    r.ipvsadm ? f2(r.ipvsadm.wall) : '',
    r.ipvsadm ? f2(r.ipvsadm.user) : '',
    r.ipvsadm ? f2(r.ipvsadm.sys) : '',
    r.ipvsadm ? r.ipvsadm.rssMb.toFixed(0) : '',
    f2(r.tsipvs.wall),
    f2(r.tsipvs.user),
    f2(r.tsipvs.sys),
    r.tsipvs.rssMb.toFixed(0),
    r.ipvsadm ? `${(r.ipvsadm.wall / r.tsipvs.wall).toFixed(2)}x` : '',
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  process.stdout.write(`\n${title}\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${body.map(line).join('\n')}\n`);
}

function benchSize(services: number, servers: number): void {
  const file = rulesFile(services, servers);
  const changed = rulesFile(services, servers, 1);
  const lineCount = services * (servers + 1);
  const a = freshNamespace('bench-ipvsadm');
  const ipvsadmRestore = measure(a, ['ipvsadm', '-R'], file);
  const ipvsadmList = measure(a, ['ipvsadm', '-Ln']);
  const ipvsadmSave = measure(a, ['ipvsadm', '-S', '-n']);
  const b = freshNamespace('bench-tsipvs');
  const tsRestore = measure(b, [process.execPath, TSIPVS, '-R'], file);
  const tsList = measure(b, [process.execPath, TSIPVS, '-Ln']);
  const tsSave = measure(b, [process.execPath, TSIPVS, '-S', '-n']);
  if (tsList.stdout !== ipvsadmList.stdout) throw new Error('tsipvs -Ln and ipvsadm -Ln differ on the same rules');
  if (tsSave.stdout !== ipvsadmSave.stdout) throw new Error('tsipvs -S -n and ipvsadm -S -n differ on the same rules');
  const noop = measure(b, [process.execPath, TSIPVS, 'apply', '--json', file]);
  const onePercent = measure(b, [process.execPath, TSIPVS, 'apply', '--json', changed]);
  const writes = (m: Measure) => {
    const plan = JSON.parse(m.stdout) as { summary: Record<string, number> };
    return Object.values(plan.summary).reduce((x, y) => x + y, 0);
  };
  const again = measure(b, [process.execPath, TSIPVS, 'apply', '--dry-run', '--json', changed]);
  if (writes(again) !== 0) throw new Error(`applying the changed file left ${writes(again)} differences`);
  printTable(`${services} services x ${servers} real servers (${lineCount} lines), fresh tables`, [
    { label: 'restore (-R)', ipvsadm: ipvsadmRestore, tsipvs: tsRestore },
    { label: 'list (-Ln)', ipvsadm: ipvsadmList, tsipvs: tsList },
    { label: 'save (-S -n)', ipvsadm: ipvsadmSave, tsipvs: tsSave },
    { label: 'apply, same file', tsipvs: noop, note: `${writes(noop)} writes; ${(noop.wall / tsList.wall).toFixed(2)}x of one tsipvs -Ln` },
    { label: 'apply, 1% changed', tsipvs: onePercent, note: `${writes(onePercent)} writes` },
  ]);
  const bare = measure(b, [process.execPath, '-e', '0']);
  process.stdout.write(`node's own start (node -e 0) in this run: ${f2(bare.wall)} s wall, ${bare.rssMb.toFixed(0)} MB\n`);
  spawnSync(IP, ['netns', 'del', a]);
  spawnSync(IP, ['netns', 'del', b]);
}

const sizes = (process.env.BENCH_SIZES ?? '2000x10,10000x10').split(',').map((s) => s.split('x').map(Number) as [number, number]);
for (const [services, servers] of sizes) benchSize(services, servers);
