/**
 * Guest-side building blocks of the LVS labs: named network namespaces joined by veth pairs and a
 * bridge, small HTTP servers that answer with their own name, a client that records who answered,
 * and tsipvs run inside a namespace. Used by the in-VM lab tests and by the demo.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { context, IPROUTE2 as IP, TSIPVS_BIN, type RunResult as CommandResult } from '../harness/guest';

const run = (file: string, args: readonly string[], input = ''): CommandResult => context.run(file, args, { input });

function check(what: string, r: CommandResult): string {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** The HTTP server each real server runs: answers every request with its name and a newline. */
const SERVER_SCRIPT = `
const http = require('http');
const [name, ...ports] = process.argv.slice(1);
for (const port of ports) {
  http.createServer((req, res) => { res.setHeader('connection', 'close'); res.end(name + '\\n'); })
    .listen(Number(port), '0.0.0.0', () => process.stdout.write('listening ' + port + '\\n'));
}`;

/**
 * The client: sends COUNT sequential requests (a new connection each) and prints one JSON array with
 * the name that answered each, or "ERR:<code>" for a request that failed within the timeout.
 */
const CLIENT_SCRIPT = `
const http = require('http');
const [url, count, timeout, pause] = process.argv.slice(1);
const one = () => new Promise((resolve) => {
  const req = http.get(url, { agent: false, timeout: Number(timeout) }, (res) => {
    let body = ''; res.on('data', (d) => body += d); res.on('end', () => resolve(body.trim()));
  });
  req.on('timeout', () => { req.destroy(new Error('timeout')); });
  req.on('error', (e) => resolve('ERR:' + (e.code || e.message)));
});
(async () => {
  const answers = [];
  for (let i = 0; i < Number(count); i++) {
    answers.push(await one());
    if (Number(pause) > 0) await new Promise((r) => setTimeout(r, Number(pause)));
  }
  process.stdout.write(JSON.stringify(answers) + '\\n');
})();`;

export interface FetchOptions {
  readonly timeoutMs?: number;
  /** Pause between requests, to let a concurrent change happen mid-stream. */
  readonly pauseMs?: number;
}

/** One lab: namespaces named `<prefix>-<role>`, all removed by `destroy()`. */
export class Lab {
  private readonly namespaces: string[] = [];
  private readonly processes: ChildProcess[] = [];
  /** Presets set up through tsipvs, torn down by `destroy` (their state files outlive namespaces). */
  private readonly presets: Array<{ ns: string; role: string }> = [];
  readonly prefix: string;

  constructor(prefix = `lab${process.pid}`) {
    this.prefix = prefix;
  }

  /** Creates a namespace with lo up; returns its full name. */
  namespace(role: string): string {
    const name = `${this.prefix}-${role}`;
    check(`netns add ${name}`, run(IP, ['netns', 'add', name]));
    this.namespaces.push(name);
    this.ip(name, 'link set lo up');
    return name;
  }

  /** `ip <args>` inside a namespace. */
  ip(ns: string, args: string): string {
    return check(`ip -n ${ns} ${args}`, run(IP, ['-n', ns, ...args.split(/\s+/)]));
  }

  /** Runs a program inside a namespace. */
  exec(ns: string, file: string, args: readonly string[], input = ''): CommandResult {
    return run(IP, ['netns', 'exec', ns, file, ...args], input);
  }

  /** Runs tsipvs inside a namespace (preset state files are per namespace by default). */
  tsipvs(ns: string, args: readonly string[], input = ''): CommandResult {
    return this.exec(ns, process.execPath, [TSIPVS_BIN, ...args], input);
  }

  /** Runs tsipvs and throws on a non-zero exit. */
  mustTsipvs(ns: string, args: readonly string[], input = ''): string {
    const out = check(`tsipvs ${args.join(' ')} (in ${ns})`, this.tsipvs(ns, args, input));
    const [role, action] = args;
    if ((role === 'director' || role === 'realserver') && action === 'setup' && !args.includes('--dry-run')) this.presets.push({ ns, role });
    return out;
  }

  /** A veth pair between two namespaces (or one end into a bridge namespace). */
  link(nsA: string, ifA: string, nsB: string, ifB: string): void {
    check('veth', run(IP, ['link', 'add', `${this.prefix.slice(-6)}${ifA}`, 'type', 'veth', 'peer', 'name', `${this.prefix.slice(-6)}${ifB}p`]));
    check('move A', run(IP, ['link', 'set', `${this.prefix.slice(-6)}${ifA}`, 'netns', nsA, 'name', ifA]));
    check('move B', run(IP, ['link', 'set', `${this.prefix.slice(-6)}${ifB}p`, 'netns', nsB, 'name', ifB]));
    this.ip(nsA, `link set ${ifA} up`);
    this.ip(nsB, `link set ${ifB} up`);
  }

  /**
   * One /24 segment on a bridge in `sw`: `attach` links a namespace's eth0 to a new bridge port and
   * gives it an address; `bridge` then makes the bridge `br0` of every attached port.
   */
  segment(sw: string): { attach(ns: string, port: string, address: string): void; bridge(): void } {
    const ports: string[] = [];
    return {
      attach: (ns, port, address) => {
        this.link(ns, 'eth0', sw, port);
        ports.push(port);
        this.ip(ns, `addr add ${address}/24 dev eth0`);
      },
      bridge: () => this.bridge(sw, 'br0', ports),
    };
  }

  /** A bridge in `ns` with the given member interfaces (already in `ns`). */
  bridge(ns: string, name: string, members: readonly string[]): void {
    this.ip(ns, `link add ${name} type bridge`);
    for (const m of members) this.ip(ns, `link set ${m} master ${name}`);
    this.ip(ns, `link set ${name} up`);
  }

  /** Starts an HTTP server in `ns` answering with `name` on each port; resolves once it listens. */
  async httpServer(ns: string, name: string, ports: readonly number[]): Promise<void> {
    const child = spawn(IP, ['netns', 'exec', ns, process.execPath, '-e', SERVER_SCRIPT, name, ...ports.map(String)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.processes.push(child);
    await new Promise<void>((resolve, reject) => {
      let seen = 0;
      let err = '';
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout?.on('data', (d: Buffer) => {
        seen += d.toString().split('listening').length - 1;
        if (seen >= ports.length) resolve();
      });
      child.on('exit', (code) => reject(new Error(`http server ${name} in ${ns} exited ${code}: ${err}`)));
    });
  }

  /** Sends `count` requests from `ns` and returns who answered each (in order). */
  fetch(ns: string, url: string, count: number, options: FetchOptions = {}): string[] {
    const out = check(
      `client in ${ns}`,
      this.exec(ns, process.execPath, ['-e', CLIENT_SCRIPT, url, String(count), String(options.timeoutMs ?? 3000), String(options.pauseMs ?? 0)]),
    );
    return JSON.parse(out) as string[];
  }

  /** The same client, started in the background; resolves with the answers. */
  fetchInBackground(ns: string, url: string, count: number, options: FetchOptions = {}): Promise<string[]> {
    const child = spawn(
      IP,
      ['netns', 'exec', ns, process.execPath, '-e', CLIENT_SCRIPT, url, String(count), String(options.timeoutMs ?? 3000), String(options.pauseMs ?? 0)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    return new Promise((resolve, reject) => {
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`client exited ${code}`))));
    });
  }

  destroy(): void {
    for (const p of this.processes) p.kill('SIGKILL');
    // preset records are keyed by namespace inode, which the kernel reuses once a namespace is gone
    for (const { ns, role } of this.presets.reverse()) this.tsipvs(ns, [role, 'teardown']);
    for (const ns of this.namespaces.reverse()) run(IP, ['netns', 'del', ns]);
  }
}

/** Counts how often each name appears. */
export function tally(answers: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) counts[a] = (counts[a] ?? 0) + 1;
  return counts;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
