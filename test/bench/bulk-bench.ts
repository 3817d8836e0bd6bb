/**
 * Bulk-rules benchmark, run inside the VM (`npm run bench`). First BENCH_CALLS (40) single `-A` calls
 * and where a call's start-up goes, then BENCH_WRITE_RUNS restores of 22k lines in a row (with the
 * moby/ipvs peer). Then, for each table, on fresh tables in
 * fresh namespaces: ipvsadm -R vs tsipvs -R (wall, user, sys CPU, peak memory; tsipvs on both
 * transports), listing (-Ln, -Ln --stats) and save (-S -n) of the loaded table by both and moby/ipvs's
 * listing (the peers built from test/bench/peers, when present), best of BENCH_RUNS taking turns in
 * each round, the library's `readTableSync` in-process (once, and three times in one process: what V8's
 * warming up costs the first), `tsipvs apply` of the same file (expected: zero writes) and of a
 * file with 1% of its lines changed. Prints tables with ratios from this same run.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const IP = '/usr/sbin/ip';
const TSIPVS = path.resolve(__dirname, '../../../packages/ipvs-cli/bin/tsipvs');
const CORE = path.resolve(__dirname, '../../../packages/ipvs-core/dist/src/index.js');
/** The moby/ipvs peers, built by run-bench on the host (absent: their rows are left out). */
const PEERS = path.resolve(__dirname, 'peers-bin');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** Restores in a row in the writes table (default BENCH_RUNS). */
const WRITE_RUNS = Number(process.env.BENCH_WRITE_RUNS ?? RUNS);
/** Single calls per row of the single-call table. */
const CALLS = Number(process.env.BENCH_CALLS ?? 40);

interface Measure {
  readonly wall: number;
  readonly user: number;
  readonly sys: number;
  /** Peak resident set size in MB. */
  readonly rssMb: number;
  readonly stdout: string;
}

/** Runs a command in a namespace under busybox `time -v`, returns its figures and output. */
function measure(ns: string, argv: readonly string[], inputFile?: string, env: Record<string, string> = {}): Measure {
  const timing = `/tmp/time-${process.pid}.txt`;
  const fd = inputFile ? fs.openSync(inputFile, 'r') : 'ignore';
  const r = spawnSync(IP, ['netns', 'exec', ns, 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'time', '-v', '-o', timing, ...argv], {
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

/** One part of a table: `services` services with `servers` real servers each. */
type Part = readonly [services: number, servers: number];

/** The rules file of a table (its parts one after the other), in ipvsadm's save format. */
function rulesFile(parts: readonly Part[], changedPercent = 0): string {
  const lines: string[] = [];
  let serverLines = 0;
  let s = 0;
  for (const [services, servers] of parts) {
    for (let end = s + services; s < end; s++) {
      const vip = `172.${16 + (s >> 16)}.${(s >> 8) & 255}.${s & 255}:80`;
      lines.push(`-A -t ${vip} -s ${s % 3 === 0 ? 'rr' : 'wlc'}`);
      for (let d = 0; d < servers; d++) {
        serverLines++;
        let weight = 1 + (d % 5);
        if (changedPercent > 0 && serverLines % Math.round(100 / changedPercent) === 0) weight += 10;
        lines.push(`-a -t ${vip} -r 10.${100 + (s >> 8)}.${s & 255}.${d + 1}:80 ${d % 2 ? '-m' : '-g'} -w ${weight}`);
      }
    }
  }
  const file = `/tmp/rules-${parts.map((p) => p.join('x')).join('+')}-${changedPercent}.txt`;
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

function printTable(title: string, header: readonly string[], body: readonly string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  process.stdout.write(`\n${title}\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${body.map(line).join('\n')}\n`);
}

function printRows(title: string, rows: readonly Row[]): void {
  const header = ['measure', 'ipvsadm wall s', 'user', 'sys', 'MB', 'tsipvs wall s', 'user', 'sys', 'MB', 'tsipvs/ipvsadm', 'note'];
  printTable(title, header, rows.map((r) => [
    r.label,
    r.ipvsadm ? f2(r.ipvsadm.wall) : '',
    r.ipvsadm ? f2(r.ipvsadm.user) : '',
    r.ipvsadm ? f2(r.ipvsadm.sys) : '',
    r.ipvsadm ? r.ipvsadm.rssMb.toFixed(0) : '',
    f2(r.tsipvs.wall),
    f2(r.tsipvs.user),
    f2(r.tsipvs.sys),
    r.tsipvs.rssMb.toFixed(0),
    r.ipvsadm ? `${(r.tsipvs.wall / r.ipvsadm.wall).toFixed(2)}x` : '',
    r.note ?? '',
  ]));
}

/** The fastest of `RUNS` runs (what the machine can do; the others met noise). */
function best(run: () => Measure): Measure {
  let fastest: Measure | undefined;
  for (let i = 0; i < RUNS; i++) {
    const m = run();
    if (!fastest || m.wall < fastest.wall) fastest = m;
  }
  return fastest!;
}

/**
 * The fastest of RUNS runs of each command, the commands taking turns in every round: a change of the
 * host's load weighs on every row alike instead of on whichever ran during it.
 */
function bestInTurns(runs: ReadonlyArray<() => Measure>): Measure[] {
  const fastest: Array<Measure | undefined> = runs.map(() => undefined);
  for (let i = 0; i < RUNS; i++) {
    runs.forEach((run, k) => {
      const m = run();
      if (!fastest[k] || m.wall < fastest[k]!.wall) fastest[k] = m;
    });
  }
  return fastest.map((m) => m!);
}

const peer = (name: string): string | undefined => (fs.existsSync(path.join(PEERS, name)) ? path.join(PEERS, name) : undefined);
const vs = (m: Measure, base: Measure): string => `${(m.wall / base.wall).toFixed(2)}x of ipvsadm`;

/**
 * The library in-process: `readTableSync()` of the whole table `count` times in one process; prints
 * the services and real servers of the last read, then each read's own ms. The first read runs mostly
 * in V8's interpreter and baseline code, later ones in optimized code: the difference is what warming
 * up costs a one-shot listing (under emulation, where compiled code is many times faster).
 */
const libraryReads = (count: number): string => `const c=require(${JSON.stringify(CORE)});const ms=[];let l=[];`
  + `for(let i=0;i<${count};i++){const t=process.hrtime.bigint();l=c.readTableSync();ms.push(Number(process.hrtime.bigint()-t)/1e6)}`
  + `let n=0;for(const s of l)n+=s.destinations.length;`
  + `process.stdout.write([l.length,n,...ms.map((m)=>m.toFixed(0))].join(' ')+'\\n')`;

/** What a `libraryReads` process printed: its real servers, its first and last read's ms; its service count checked. */
function readsOf(m: Measure, services: number): { servers: number; firstMs: number; lastMs: number } {
  const [listed, servers, firstMs, ...later] = m.stdout.trim().split(' ').map(Number) as [number, number, number, ...number[]];
  if (listed !== services) throw new Error(`readTableSync read ${listed} services, not ${services}`);
  return { servers, firstMs, lastMs: later.at(-1) ?? firstMs };
}

function benchTable(parts: readonly Part[]): void {
  const file = rulesFile(parts);
  const changed = rulesFile(parts, 1);
  const lineCount = parts.reduce((n, [services, servers]) => n + services * (servers + 1), 0);
  const name = parts.map(([a, b]) => `${a} x ${b}`).join(' + ');
  const a = freshNamespace('bench-ipvsadm');
  const ipvsadmRestore = measure(a, ['ipvsadm', '-R'], file);
  const b = freshNamespace('bench-tsipvs');
  const tsRestore = measure(b, [process.execPath, TSIPVS, '-R'], file);
  const mobyPeer = peer('mobylist');
  // the same rules in both namespaces; every listing, moby/ipvs's too, in turns
  const [ipvsadmList, tsList, ipvsadmStats, tsStats, ipvsadmSave, tsSave, mobyList] = bestInTurns([
    () => measure(a, ['ipvsadm', '-Ln']),
    () => measure(b, [process.execPath, TSIPVS, '-Ln']),
    () => measure(a, ['ipvsadm', '-Ln', '--stats']),
    () => measure(b, [process.execPath, TSIPVS, '-Ln', '--stats']),
    () => measure(a, ['ipvsadm', '-S', '-n']),
    () => measure(b, [process.execPath, TSIPVS, '-S', '-n']),
    ...(mobyPeer ? [() => measure(b, [mobyPeer])] : []),
  ]) as [Measure, Measure, Measure, Measure, Measure, Measure, Measure | undefined];
  const asyncList = measure(b, [process.execPath, TSIPVS, '-Ln'], undefined, { TSIPVS_TRANSPORT: 'async' });
  if (tsList.stdout !== ipvsadmList.stdout) throw new Error('tsipvs -Ln and ipvsadm -Ln differ on the same rules');
  if (tsStats.stdout !== ipvsadmStats.stdout) throw new Error('tsipvs -Ln --stats and ipvsadm -Ln --stats differ on the same rules');
  if (tsSave.stdout !== ipvsadmSave.stdout) throw new Error('tsipvs -S -n and ipvsadm -S -n differ on the same rules');
  if (asyncList.stdout !== ipvsadmList.stdout) throw new Error('tsipvs -Ln (async transport) and ipvsadm -Ln differ on the same rules');
  const serviceCount = parts.reduce((n, p) => n + p[0], 0);
  const library = best(() => measure(b, [process.execPath, '-e', libraryReads(1)]));
  const { servers: libServers, firstMs: readMs } = readsOf(library, serviceCount);
  const warm = measure(b, [process.execPath, '-e', libraryReads(3)]);
  const { firstMs: coldMs, lastMs: warmMs } = readsOf(warm, serviceCount);
  const noop = measure(b, [process.execPath, TSIPVS, 'apply', '--json', file]);
  const onePercent = measure(b, [process.execPath, TSIPVS, 'apply', '--json', changed]);
  const writes = (m: Measure) => {
    const plan = JSON.parse(m.stdout) as { summary: Record<string, number> };
    return Object.values(plan.summary).reduce((x, y) => x + y, 0);
  };
  const again = measure(b, [process.execPath, TSIPVS, 'apply', '--dry-run', '--json', changed]);
  if (writes(again) !== 0) throw new Error(`applying the changed file left ${writes(again)} differences`);
  const c = freshNamespace('bench-async');
  const asyncRestore = measure(c, [process.execPath, TSIPVS, '-R'], file, { TSIPVS_TRANSPORT: 'async' });
  spawnSync(IP, ['netns', 'del', c]);
  const rows: Row[] = [
    { label: 'restore (-R)', ipvsadm: ipvsadmRestore, tsipvs: tsRestore, note: `${(ipvsadmRestore.wall / tsRestore.wall).toFixed(2)}x faster than ipvsadm` },
    { label: 'restore (-R), async transport', ipvsadm: ipvsadmRestore, tsipvs: asyncRestore, note: 'TSIPVS_TRANSPORT=async (npm netlink, pipelined)' },
    { label: 'list (-Ln)', ipvsadm: ipvsadmList, tsipvs: tsList },
    { label: 'list (-Ln --stats)', ipvsadm: ipvsadmStats, tsipvs: tsStats },
    { label: 'save (-S -n)', ipvsadm: ipvsadmSave, tsipvs: tsSave },
    { label: 'list (-Ln), async transport', ipvsadm: ipvsadmList, tsipvs: asyncList, note: 'TSIPVS_TRANSPORT=async, one run' },
    { label: 'library readTableSync()', ipvsadm: ipvsadmList, tsipvs: library, note: `in-process ${readMs} ms for ${libServers} real servers (${(readMs * 10000 / Math.max(1, libServers)).toFixed(0)} ms per 10k)` },
    {
      label: 'library readTableSync() x 3, one process', tsipvs: warm,
      note: `first read ${coldMs} ms, third ${warmMs} ms (${(warmMs * 10000 / Math.max(1, libServers)).toFixed(0)} ms per 10k): V8 warming up`,
    },
  ];
  if (mobyList) rows.push({ label: 'moby/ipvs list (peer)', ipvsadm: ipvsadmList, tsipvs: mobyList, note: `tsipvs -Ln: ${(tsList.wall / mobyList.wall).toFixed(2)}x of moby/ipvs` });
  else rows.push({ label: 'moby/ipvs list (peer)', tsipvs: library, note: 'peers not built (no Go toolchain on the host): row left out' });
  rows.push(
    { label: 'apply, same file', tsipvs: noop, note: `${writes(noop)} writes; ${(noop.wall / tsList.wall).toFixed(2)}x of one tsipvs -Ln` },
    { label: 'apply, 1% changed', tsipvs: onePercent, note: `${writes(onePercent)} writes` },
  );
  printRows(`${name} real servers (${lineCount} lines), fresh tables; listings best of ${RUNS}, taking turns`, rows.filter((r) => !(r.label.startsWith('moby') && !mobyList)));
  if (!mobyList) process.stdout.write('moby/ipvs rows left out: the peers were not built (see test/bench/peers)\n');
  const bare = measure(b, [process.execPath, '-e', '0']);
  process.stdout.write(`node's own start (node -e 0) in this run: ${f2(bare.wall)} s wall, ${bare.rssMb.toFixed(0)} MB\n`);
  spawnSync(IP, ['netns', 'del', a]);
  spawnSync(IP, ['netns', 'del', b]);
}

/** Restores of 2k x 10 (22k lines) on fresh tables, `WRITE_RUNS` times in a row: ipvsadm, tsipvs (both transports), moby/ipvs. */
function benchWrites(): void {
  const file = rulesFile([[2000, 10]]);
  const body: string[][] = [];
  for (let run = 1; run <= WRITE_RUNS; run++) {
    const time = (argv: string[], input?: string, env?: Record<string, string>): Measure => {
      const ns = freshNamespace('bench-writes');
      const m = measure(ns, argv, input, env);
      spawnSync(IP, ['netns', 'del', ns]);
      return m;
    };
    const ipvsadm = time(['ipvsadm', '-R'], file);
    const sync = time([process.execPath, TSIPVS, '-R'], file);
    const pipelined = time([process.execPath, TSIPVS, '-R'], file, { TSIPVS_TRANSPORT: 'async' });
    const moby = peer('mobyrestore') ? time([peer('mobyrestore')!, '2000']) : undefined;
    const faster = (m: Measure) => `${f2(m.wall)} s (${(ipvsadm.wall / m.wall).toFixed(2)}x faster)`;
    body.push([`${run}`, `${f2(ipvsadm.wall)} s`, faster(sync), faster(pipelined), moby ? faster(moby) : 'not built']);
  }
  printTable('restore of 2,000 x 10 (22,000 lines) on fresh tables, runs in a row', ['run', 'ipvsadm -R', 'tsipvs -R (sync)', 'tsipvs -R (async)', 'moby/ipvs one by one'], body);
}

const BUNDLE = path.join(path.dirname(TSIPVS), '../dist/tsipvs.js');
/** bin/tsipvs's loading of the bundle (code cache checked against the build line), without the call. */
const LOAD_WITH_CACHE = `const fs=require('fs'),m=require('module'),{Script}=require('vm');const f=${JSON.stringify(BUNDLE)};`
  + `const s=fs.readFileSync(f,'utf8'),c=fs.readFileSync(f.replace(/js$/,'cache')),n=s.indexOf('\\n')+1;`
  + `const b={exports:{}};const sc=new Script(m.wrap(s),{filename:f,cachedData:c.toString('latin1',0,n)===s.slice(0,n)?c.subarray(n):undefined});`
  + `if(sc.cachedDataRejected!==false)throw new Error('code cache not used');sc.runInThisContext()(b.exports,m.createRequire(f),b,f,require('path').dirname(f))`;

/**
 * `CALLS` single `-A` calls of each tool (40 unless BENCH_CALLS), and what a call's start-up is made of
 * (each step as often, alone in a fresh node). The rows take turns, one call each per round, so that
 * a change of the host's load over the minutes this takes weighs on every row alike.
 */
function benchSingleCalls(): void {
  const ns = freshNamespace('bench-single');
  const alone = (what: string) => (): string[] => [process.execPath, '-e', what];
  const rows: Array<{ readonly label: string; readonly argv: (i: number) => string[]; readonly env?: Record<string, string>; ms: number }> = [
    { label: 'node -e 0', argv: () => [process.execPath, '-e', '0'], ms: 0 },
    { label: 'ipvsadm -A', argv: (i) => ['ipvsadm', '-A', '-t', `10.1.${i >> 8}.${i & 255}:80`], ms: 0 },
    { label: 'tsipvs -A', argv: (i) => [process.execPath, TSIPVS, '-A', '-t', `10.2.${i >> 8}.${i & 255}:80`], ms: 0 },
    { label: 'tsipvs -A, async transport', argv: (i) => [process.execPath, TSIPVS, '-A', '-t', `10.3.${i >> 8}.${i & 255}:80`], env: { TSIPVS_TRANSPORT: 'async' }, ms: 0 },
    { label: 'load the bundle (dist/tsipvs.js) by require, no code cache, no call', argv: alone(`require(${JSON.stringify(BUNDLE)})`), ms: 0 },
    { label: 'load the bundle with its code cache as bin/tsipvs does, no call', argv: alone(LOAD_WITH_CACHE), ms: 0 },
    {
      label: "load koffi's addon as libc.ts does, and libc",
      argv: alone(`require('@koromix/koffi-${process.platform}-${process.arch}/${process.platform}_${process.arch}/koffi.node').load('libc.so.6')`),
      ms: 0,
    },
    { label: "load koffi through its package's loader, and libc", argv: alone("require('koffi').load('libc.so.6')"), ms: 0 },
    { label: 'load npm netlink (its raw socket)', argv: alone("require('netlink/dist/raw')"), ms: 0 },
    { label: 'load commander', argv: alone("require('commander')"), ms: 0 },
    { label: 'core library (dist modules) + openIpvsSync(): socket, family lookup', argv: alone(`require(${JSON.stringify(CORE)}).openIpvsSync().close()`), ms: 0 },
  ];
  for (let i = 1; i <= CALLS; i++) {
    for (const row of rows) {
      const argv = row.argv(i);
      const started = process.hrtime.bigint();
      const r = spawnSync(IP, ['netns', 'exec', ns, 'env', ...Object.entries(row.env ?? {}).map(([k, v]) => `${k}=${v}`), ...argv], { encoding: 'latin1' });
      row.ms += Number(process.hrtime.bigint() - started) / 1e6 / CALLS;
      if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
    }
  }
  const bare = rows[0]!.ms;
  printTable(`${CALLS} single calls of each, taking turns (ms per call)`, ['call', 'ms', 'x node -e 0'],
    rows.slice(0, 4).map((r) => [r.label, r.ms.toFixed(1), `${(r.ms / bare).toFixed(2)}x`]));
  printTable('start-up: each step alone, in a fresh node (ms per process; minus node -e 0 is its cost)', ['step', 'ms', 'cost'],
    [rows[0]!, ...rows.slice(4)].map((r) => [r.label, r.ms.toFixed(1), (r.ms - bare).toFixed(1)]));
  spawnSync(IP, ['netns', 'del', ns]);
}

const tables = (process.env.BENCH_SIZES ?? '16000x1+2000x10,2000x10,10000x10').split(',').filter((table) => table !== '')
  .map((table) => table.split('+').map((part) => part.split('x').map(Number) as unknown as Part));
// the short parts first: single calls and restores in a row
benchSingleCalls();
if (process.env.BENCH_WRITES !== '0') benchWrites();
for (const parts of tables) benchTable(parts);
