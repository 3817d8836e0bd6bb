/**
 * The keepalived lab, in the VM: an LVS-DR cluster as in the operator's setup (docs/keepalived.md)
 * with a client, a director and real servers on one bridge, HTTP servers that can be stopped and
 * started, the sorry server on the director, and a keepalived implementation running in the director's
 * namespace: Debian's `keepalived` (the reference) or `tsipvs keepalived`. Tests drive events and wait
 * for the director's table (`ipvsadm -S -n`) to reach an expected state.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IPROUTE2 as IP, TSIPVS_BIN } from '../harness/guest';
import { Lab, sleep } from './lab';

export type Implementation = 'debian' | 'tsipvs';
/** Which halves a daemon runs: the checkers (-C, the lab's default), VRRP (-P) or both. */
export type Halves = 'checkers' | 'vrrp' | 'both';
export const IMPLEMENTATIONS: readonly Implementation[] = ['debian', 'tsipvs'];
export const DEBIAN_KEEPALIVED = '/usr/sbin/keepalived';

/**
 * Debian's keepalived 2.2.7 as the lab runs it: checkers only (-C, no VRRP), in the foreground (-n),
 * log to stdout (-l) and not to syslog (-G: the guest has no /dev/log), detailed (-D). Its parent
 * starts the checker child and relays SIGHUP (reload) and SIGTERM (stop: it removes its services,
 * unless -I) to it. The pid files (parent -p, checker child -c) must differ between instances: a
 * second keepalived with the same files refuses to start.
 */
export function debianArgs(config: string, pidPrefix: string): string[] {
  return ['--check', '--dont-fork', '--log-console', '--no-syslog', '--log-detail', '-f', config, '-p', `${pidPrefix}.pid`, '-c', `${pidPrefix}-checkers.pid`];
}

/** Why `impl` cannot run in this build, or undefined when it can. */
export function unavailableReason(impl: Implementation): string | undefined {
  if (impl === 'debian') return fs.existsSync(DEBIAN_KEEPALIVED) ? undefined : `${DEBIAN_KEEPALIVED} is not in the guest image`;
  return undefined; // tsipvs keepalived is part of this build: never skipped
}

/**
 * What each HTTP agent runs: one process per namespace, commands on stdin (`listen PORT`, `close PORT`),
 * an `ok <command>` line on stdout once done. Every request gets the agent's name and a newline, with
 * `connection: close`; `POST /hold` answers the name at once and `done` when the request body ends, so a
 * client can keep one connection open across an event and prove it still reaches the same server.
 * `close` stops accepting (new connections are refused, as when the HTTP process is stopped) and keeps
 * open connections. `listen` answers one request to itself first: node's first request is slow under
 * TCG, and a checker with connect_timeout 1 must not see that.
 *
 * The same process is the client: `fetch URL COUNT TIMEOUT` sends COUNT requests (a new connection
 * each) and prints `ok fetch ...` followed by a JSON array of who answered each (or "ERR:<code>").
 */
const AGENT_SCRIPT = `
const http = require('http');
const name = process.argv[1];
const servers = new Map();
const handle = (req, res) => {
  if (req.method === 'POST' && req.url.startsWith('/hold')) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write(name + '\\n');
    req.resume();
    req.on('end', () => res.end('done\\n'));
    return;
  }
  req.resume();
  res.setHeader('connection', 'close');
  res.end(name + '\\n');
};
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, port] = line.trim().split(/\\s+/);
  if (cmd === 'listen') {
    const server = http.createServer(handle);
    servers.set(port, server);
    server.on('error', (e) => process.stdout.write('error ' + line + ' ' + e.message + '\\n'));
    server.listen(Number(port), '0.0.0.0', () => {
      const warm = http.get({ host: '127.0.0.1', port: Number(port), path: '/warm-up', agent: false }, (res) => {
        res.resume();
        res.on('end', () => process.stdout.write('ok ' + line + '\\n'));
      });
      warm.on('error', (e) => process.stdout.write('error ' + line + ' ' + e.message + '\\n'));
    });
  } else if (cmd === 'fetch') {
    const [, url, count, timeout] = line.trim().split(/\\s+/);
    const one = () => new Promise((resolve) => {
      const req = http.get(url, { agent: false, timeout: Number(timeout) }, (res) => {
        let body = ''; res.on('data', (d) => body += d); res.on('end', () => resolve(body.trim()));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve('ERR:' + (e.code || e.message)));
    });
    (async () => {
      const answers = [];
      for (let i = 0; i < Number(count); i++) answers.push(await one());
      process.stdout.write('ok ' + line + '\\n' + JSON.stringify(answers) + '\\n');
    })();
  } else if (cmd === 'close') {
    const server = servers.get(port);
    servers.delete(port);
    if (server) server.close();
    process.stdout.write('ok ' + line + '\\n');
  }
});
process.stdin.on('end', () => process.exit(0));`;

/** An HTTP agent: start and stop its listeners on demand. */
export class HttpAgent {
  private readonly waiting: Array<{ line: string; resolve: (payload: string) => void; reject: (e: Error) => void }> = [];
  /** A fetch whose answer line comes next. */
  private payloadFor?: (payload: string) => void;

  constructor(readonly name: string, private readonly child: ChildProcess) {
    let buffer = '';
    child.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (this.payloadFor) {
          this.payloadFor(line);
          this.payloadFor = undefined;
          continue;
        }
        const i = this.waiting.findIndex((w) => line === `ok ${w.line}` || line.startsWith(`error ${w.line} `));
        if (i < 0) continue;
        const [w] = this.waiting.splice(i, 1);
        if (line.startsWith('ok fetch ')) this.payloadFor = w!.resolve;
        else if (line.startsWith('ok ')) w!.resolve('');
        else w!.reject(new Error(`${name}: ${line}`));
      }
    });
  }

  private command(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ line, resolve, reject });
      this.child.stdin?.write(`${line}\n`);
    });
  }

  /** Starts answering on `port` (all addresses); resolves once it listens. */
  async start(port = 80): Promise<void> {
    await this.command(`listen ${port}`);
  }

  /** Sends `count` requests to `url` from the agent's namespace; who answered each, in order. */
  async fetch(url: string, count: number, timeoutMs = 2000): Promise<string[]> {
    return JSON.parse(await this.command(`fetch ${url} ${count} ${timeoutMs}`)) as string[];
  }

  /** Stops accepting on `port`: new connections are refused from now on. */
  async stop(port = 80): Promise<void> {
    await this.command(`close ${port}`);
  }
}

export interface DrServer {
  readonly name: string;
  readonly ns: string;
  readonly address: string;
  readonly http: HttpAgent;
}

export interface DrTopology {
  readonly client: string;
  /** The client's agent (no listener): `fetch` from the client namespace. */
  readonly clientAgent: HttpAgent;
  readonly director: string;
  readonly vip: string;
  readonly servers: readonly DrServer[];
  /** The director's own HTTP server (0.0.0.0), the sorry server at 127.0.0.1: DR to a local address delivers locally. */
  readonly sorry: HttpAgent;
}

/** A running keepalived implementation in a namespace. */
export class Daemon {
  private output = '';
  private exited?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** `statusSocket`: where `tsipvs keepalived status` reaches a tsipvs daemon. */
  constructor(readonly impl: Implementation, readonly child: ChildProcess, readonly statusSocket?: string) {
    const collect = (d: Buffer) => {
      if (this.output.length < 400_000) this.output += d.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve((this.exited = { code, signal }))));
  }

  get log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.exited === undefined;
  }

  /** The daemon's last log lines, for failure messages. */
  tail(lines = 25): string {
    return this.output.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Waits until the log shows `pattern` (a daemon started on a loaded emulated CPU takes seconds). */
  async waitForLog(pattern: RegExp, timeoutMs: number): Promise<void> {
    for (let waited = 0; !pattern.test(this.output); waited += 100) {
      if (waited > timeoutMs || !this.running) throw new Error(`${this.impl}: no ${pattern} in its log after ${waited} ms${this.running ? '' : ' (it exited)'}\n${this.tail()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Reload: SIGHUP. */
  reload(): void {
    this.child.kill('SIGHUP');
  }

  /** SIGTERM, then waits for the exit (SIGKILL after `timeoutMs`); resolves with how it ended. */
  async stop(timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exited) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const how = await this.exit;
    clearTimeout(timer);
    return how;
  }
}

/** Sorted non-empty lines of an `ipvsadm -S -n` output: equal for equal tables, whatever the order. */
export function normalizeTable(save: string): string {
  return save
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter(Boolean)
    .sort()
    .join('\n');
}

export function sameTable(a: string, b: string): boolean {
  return normalizeTable(a) === normalizeTable(b);
}

/** Writes text to a file (a lab config) and returns its path. */
export function writeFile(file: string, text: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/**
 * The lab: a `Lab` (namespaces, veth, bridge, the client) plus the HTTP agents and daemons it
 * started. `destroy()` stops them all and removes the namespaces.
 */
export class KeepalivedLab {
  readonly lab: Lab;
  /** Work folder of this lab (configs, pid files). */
  readonly dir: string;
  private readonly children: ChildProcess[] = [];
  private readonly daemons: Daemon[] = [];
  private daemonCount = 0;
  private readonly started = Date.now();

  constructor(prefix = `ka${process.pid}`) {
    this.lab = new Lab(prefix);
    this.dir = `/tmp/${prefix}`;
    fs.mkdirSync(this.dir, { recursive: true });
  }

  /** Prints a step with the seconds since the lab started (where a case spends its VM time). */
  step(what: string): void {
    process.stdout.write(`[+${((Date.now() - this.started) / 1000).toFixed(1)} s] ${what}\n`);
  }

  /** Stops the daemons still running (so their buffered log is flushed) and returns every daemon's log. */
  async logs(): Promise<string> {
    for (const d of this.daemons) if (d.running) await d.stop();
    return this.daemons.map((d, i) => `--- ${d.impl} #${i + 1} ---\n${d.log}`).join('');
  }

  /** Runs a shell line in a namespace (busybox sh; throws on failure). */
  sh(ns: string, script: string): string {
    const r = this.lab.exec(ns, 'sh', ['-c', `ip() { ${IP} "$@"; }\n${script}`]);
    if (r.status !== 0) throw new Error(`sh in ${ns} failed (${r.status}): ${script}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** Starts an HTTP agent in `ns` listening on `ports`. */
  async agent(ns: string, name: string, ports: readonly number[] = [80]): Promise<HttpAgent> {
    const child = spawn(IP, ['netns', 'exec', ns, process.execPath, '-e', AGENT_SCRIPT, name], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.children.push(child);
    const agent = new HttpAgent(name, child);
    for (const port of ports) await agent.start(port);
    return agent;
  }

  /**
   * The operator's DR cluster on 10.0.0.0/24: client .50, director .200 with the VIP on eth0 (where
   * VRRP would put it), real servers at `addresses` (default .10 and .20) holding the VIP on lo with
   * arp_ignore=1 and arp_announce=2 (the operator's script), each with an HTTP agent on `ports`
   * answering its name (rs1, rs2, ...). The sorry server answers "sorry" on the director.
   */
  async drCluster(addresses: readonly string[] = ['10.0.0.10', '10.0.0.20'], ports: readonly number[] = [80], vip = '10.0.0.100'): Promise<DrTopology> {
    const { lab } = this;
    const sw = lab.namespace('sw');
    const client = lab.namespace('client');
    const director = lab.namespace('dir');
    const { attach, bridge } = lab.segment(sw);
    attach(client, 'pc', '10.0.0.50');
    attach(director, 'pd', '10.0.0.200');
    lab.ip(director, `addr add ${vip}/24 dev eth0 label eth0:1`);
    const names = addresses.map((address, i) => {
      const ns = lab.namespace(`rs${i + 1}`);
      attach(ns, `p${i + 1}`, address);
      this.sh(
        ns,
        'for c in all lo; do echo 1 > /proc/sys/net/ipv4/conf/$c/arp_ignore; echo 2 > /proc/sys/net/ipv4/conf/$c/arp_announce; done\n' +
          `ip addr add ${vip}/32 dev lo label lo:1`,
      );
      return { name: `rs${i + 1}`, ns, address };
    });
    bridge();
    // node processes start side by side: most of a lab's setup time
    const [sorry, clientAgent, ...agents] = await Promise.all([
      this.agent(director, 'sorry', [80]),
      this.agent(client, 'client', []),
      ...names.map((s) => this.agent(s.ns, s.name, ports)),
    ]);
    const servers: DrServer[] = names.map((s, i) => ({ ...s, http: agents[i]! }));
    return { client, clientAgent, director, vip, servers, sorry };
  }

  /**
   * Starts `impl` in `ns` on `config`; `extraArgs` go after the lab's own flags. `fileLimit` raises the
   * open-files limit first (keepalived raises its own to what its checkers need; node does not).
   */
  startDaemon(impl: Implementation, ns: string, config: string, extraArgs: readonly string[] = [], fileLimit?: number, halves: Halves = 'checkers'): Daemon {
    const n = ++this.daemonCount;
    const files = `/run/${this.lab.prefix}-ka${n}`;
    const debian = debianArgs(config, files).filter((a) => a !== '--check');
    const debianHalves = { checkers: ['--check'], both: ['-r', `${files}-vrrp.pid`], vrrp: ['--vrrp', '-r', `${files}-vrrp.pid`] }[halves];
    const argv =
      impl === 'debian'
        ? [DEBIAN_KEEPALIVED, ...debianHalves, ...debian, ...extraArgs]
        : [process.execPath, TSIPVS_BIN, 'keepalived', ...{ checkers: ['-C'], both: [], vrrp: ['-P'] }[halves], '-f', config, '-D', '--status-socket', `${files}.sock`, ...extraArgs];
    const limited = fileLimit ? ['sh', '-c', `ulimit -n ${fileLimit} && exec "$@"`, 'sh', ...argv] : argv;
    const child = spawn(IP, ['netns', 'exec', ns, ...limited], { stdio: ['ignore', 'pipe', 'pipe'] });
    const daemon = new Daemon(impl, child, impl === 'tsipvs' ? `${files}.sock` : undefined);
    this.daemons.push(daemon);
    return daemon;
  }

  /** The director's table as `ipvsadm -S -n` prints it. */
  table(ns: string): string {
    const r = this.lab.exec(ns, 'ipvsadm', ['-S', '-n']);
    if (r.status !== 0) throw new Error(`ipvsadm -S -n in ${ns}: ${r.stderr}`);
    return r.stdout;
  }

  /**
   * Polls the table of `ns` every 250 ms until `wanted` holds (a predicate, or a table compared with
   * `sameTable`); returns the table and how long it took. Throws after `deadlineMs` with the last table
   * and the daemon's log.
   */
  async waitForTable(
    ns: string,
    wanted: string | ((table: string) => boolean),
    deadlineMs: number,
    what: string,
    daemon?: Daemon,
  ): Promise<{ table: string; ms: number }> {
    const test = typeof wanted === 'string' ? (t: string) => sameTable(t, wanted) : wanted;
    const started = Date.now();
    for (;;) {
      const table = this.table(ns);
      const ms = Date.now() - started;
      if (test(table)) return { table, ms };
      if (ms > deadlineMs || (daemon && !daemon.running)) {
        const expected = typeof wanted === 'string' ? `\nexpected:\n${normalizeTable(wanted)}` : '';
        throw new Error(
          `${what}: not reached after ${ms} ms${daemon && !daemon.running ? ' (the daemon exited)' : ''}\ntable:\n${normalizeTable(table)}${expected}` +
            (daemon ? `\n${daemon.impl} log:\n${daemon.tail()}` : ''),
        );
      }
      await sleep(250);
    }
  }

  /**
   * Opens one connection from `ns` to `url` with `POST /hold`: resolves `first` with the server that
   * answered once its name arrives; `finish()` sends the end of the request body (through the director
   * again) and resolves with the rest of the answer ("done" when the same connection still works).
   */
  hold(ns: string, url: string, timeoutMs = 30_000): { first: Promise<string>; finish: () => Promise<string> } {
    const script = `
const http = require('http');
const req = http.request(process.argv[1] + '/hold', { method: 'POST', agent: false, timeout: Number(process.argv[2]) });
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', (e) => { process.stdout.write('error ' + (e.code || e.message) + '\\n'); process.exit(0); });
req.write('x');
req.on('response', (res) => {
  let body = '', first = true;
  res.on('data', (d) => { body += d; if (first && body.includes('\\n')) { first = false; process.stdout.write('first ' + body.trim() + '\\n'); body = ''; } });
  res.on('end', () => { process.stdout.write('end ' + body.trim() + '\\n'); process.exit(0); });
  res.on('error', (e) => { process.stdout.write('error ' + (e.code || e.message) + '\\n'); process.exit(0); });
});
require('readline').createInterface({ input: process.stdin }).on('line', () => req.end('y'));`;
    const child = spawn(IP, ['netns', 'exec', ns, process.execPath, '-e', script, url, String(timeoutMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.children.push(child);
    let out = '';
    const lines: Array<(line: string) => void> = [];
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        lines.shift()?.(line);
      }
    });
    const next = () => new Promise<string>((resolve) => lines.push(resolve));
    const first = next().then((line) => line.replace(/^first /, ''));
    return {
      first,
      finish: async () => {
        const rest = next();
        child.stdin?.write('go\n');
        return (await rest).replace(/^end /, '');
      },
    };
  }

  async destroy(): Promise<void> {
    for (const d of this.daemons) if (d.running) await d.stop(5000);
    for (const c of this.children) c.kill('SIGKILL');
    this.lab.destroy();
  }
}

/** Runs `body` with a fresh lab, destroyed afterwards whatever happened. */
export async function withKeepalivedLab(body: (ka: KeepalivedLab) => Promise<void>): Promise<void> {
  const ka = new KeepalivedLab();
  try {
    await body(ka);
  } finally {
    await ka.destroy();
  }
}
