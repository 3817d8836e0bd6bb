/**
 * `tsipvs keepalived`, `tsipvs keepalived status` and `tsipvs exporter` through main(), against the
 * fake kernel, with a test-double director (the real one is another module's) and a tiny stand-in
 * parser whose files name virtual servers and real servers, one a line.
 */
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressFamily, Protocol, type IpvsApi, type ServiceKey } from '@tsipvs/ipvs-core';
import type {
  ConfigMessage, Director, DirectorStatus, HealthMonitor, KeepalivedConfig, MonitorFactory, RealServer, ReconcileReport, VirtualServer,
} from '@tsipvs/keepalived';
import type { DaemonHooks, DaemonSignal, KeepalivedDaemonDeps } from '../src/environment';
import type { RunResult } from '../src/main';
import { FakeKernel, runWithFake, safeguardsOf } from './support/environment';

/** The process of a long-running command: its live stderr lines, and signals sent by the test. */
class TestProcess implements DaemonHooks {
  readonly lines: string[] = [];
  private readonly handlers = new Set<(signal: DaemonSignal) => void>();
  private readonly events = new EventEmitter();

  constructor(readonly variables: Record<string, string | undefined> = { JOURNAL_STREAM: '8:1234' }) {}

  log(text: string): void {
    this.lines.push(text);
    this.events.emit('line');
  }

  onSignal(handler: (signal: DaemonSignal) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  send(signal: DaemonSignal): void {
    for (const handler of this.handlers) handler(signal);
  }

  get listening(): number {
    return this.handlers.size;
  }

  /** Resolves with the first line (from `from` on) that matches. */
  waitFor(pattern: RegExp, from = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      const look = (): boolean => {
        const found = this.lines.slice(from).find((line) => pattern.test(line));
        if (found !== undefined) resolve(found);
        return found !== undefined;
      };
      if (look()) return;
      const timer = setTimeout(() => reject(new Error(`no line matched ${pattern}:\n${this.lines.join('')}`)), 5000);
      const listener = () => {
        if (!look()) return;
        clearTimeout(timer);
        this.events.off('line', listener);
      };
      this.events.on('line', listener);
    });
  }
}

const at = (file: string, line: number) => ({ file, line });

/**
 * The stand-in parser: `virtual_server ADDR PORT` and `real_server ADDR PORT` (of the virtual server
 * above it), `! ...` a note; anything else is an error at its line.
 */
async function loadConfig(file: string): Promise<KeepalivedConfig> {
  const virtualServers: Array<VirtualServer & { realServers: RealServer[] }> = [];
  const messages: ConfigMessage[] = [];
  const errors: ConfigMessage[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((text, index) => {
    const words = text.trim().split(/\s+/);
    const where = at(file, index + 1);
    if (words[0] === 'virtual_server') {
      const target = { kind: 'address', family: AddressFamily.IPv4, address: words[1]!, port: Number(words[2]) } as const;
      virtualServers.push({ at: where, target, realServers: [] as RealServer[], quorum: 1 } as unknown as VirtualServer & { realServers: RealServer[] });
    } else if (words[0] === 'real_server' && virtualServers.length > 0) {
      virtualServers.at(-1)!.realServers.push({ at: where, family: AddressFamily.IPv4, address: words[1]!, port: Number(words[2]), weight: 1, checkers: [] } as unknown as RealServer);
    } else if (words[0] === '!') {
      messages.push({ severity: 'warning', at: where, text: words.slice(1).join(' ') });
    } else if (text.trim() !== '') {
      errors.push({ severity: 'error', at: where, text: `unknown keyword "${words[0]}"` });
    }
  });
  if (errors.length > 0) throw Object.assign(new Error('configuration errors'), { messages: errors });
  return { file, virtualServers, groups: new Map(), messages, vrrp: { instances: [], scripts: new Map(), syncGroups: [] } };
}

function keyOf(vs: VirtualServer): ServiceKey {
  const t = vs.target as { address: string; port: number };
  return { family: AddressFamily.IPv4, protocol: Protocol.TCP, address: t.address, port: t.port };
}

/** The director's double: adds the configured services through the API it was given, reports as the real one does. */
class FakeDirector extends EventEmitter implements Director {
  readonly calls: string[] = [];
  readonly monitors: HealthMonitor[] = [];
  private last: ReconcileReport | undefined;

  constructor(private readonly ipvs: IpvsApi, private config: KeepalivedConfig, readonly options: { monitorFactory: MonitorFactory; drainTimeoutMs?: number }) {
    super();
  }

  async start(): Promise<void> {
    this.calls.push('start');
    for (const vs of this.config.virtualServers) for (const rs of vs.realServers) this.monitors.push(this.options.monitorFactory(rs, vs));
    await this.reconcile();
  }

  async reload(config: KeepalivedConfig): Promise<void> {
    this.calls.push('reload');
    this.config = config;
    await this.reconcile();
  }

  async reconcile(): Promise<ReconcileReport> {
    const existing = new Set((await this.ipvs.getServices()).map((s) => JSON.stringify(s.key)));
    let changes = 0;
    try {
      for (const vs of this.config.virtualServers) {
        if (existing.has(JSON.stringify(keyOf(vs)))) continue;
        await this.ipvs.addService(keyOf(vs), { scheduler: 'rr' });
        changes++;
      }
      this.last = { at: new Date(0), changes };
    } catch (error) {
      this.last = { at: new Date(0), changes: 0, error: (error as Error).message };
    }
    this.emit('reconcile', this.last);
    if (this.last.error) throw new Error(this.last.error);
    return this.last;
  }

  async stop(options: { readonly flush?: boolean } = {}): Promise<void> {
    this.calls.push(options.flush ? 'stop flush' : 'stop');
    if (options.flush) for (const vs of this.config.virtualServers) await this.ipvs.deleteService(keyOf(vs));
  }

  status(): DirectorStatus {
    return {
      configFile: this.config.file,
      startedAt: new Date(0),
      ...(this.last ? { lastReconcile: this.last } : {}),
      virtualServers: this.config.virtualServers.map((vs) => ({
        name: `${(vs.target as { address: string }).address}:${(vs.target as { port: number }).port}`,
        at: vs.at,
        services: [keyOf(vs)],
        quorum: { required: 1, hysteresis: 0, upWeight: vs.realServers.length, met: vs.realServers.length > 0 },
        realServers: vs.realServers.map((rs) => ({
          address: rs.address, port: rs.port, at: rs.at, configuredWeight: 1, wantedWeight: 1, state: 'up' as const,
          health: { up: true, checkers: [] },
        })),
      })),
    };
  }
}

class FakeMonitor extends EventEmitter implements HealthMonitor {
  readonly state = { up: true, checkers: [] };
  start(): void {}
  async stop(): Promise<void> {}
}

interface Daemon {
  readonly process: TestProcess;
  readonly directors: FakeDirector[];
  readonly done: Promise<RunResult>;
}

describe('tsipvs keepalived', () => {
  let dir: string;
  let kernel: FakeKernel;
  let conf: string;
  let socket: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsipvs-keepalived-'));
    kernel = new FakeKernel();
    conf = join(dir, 'keepalived.conf');
    socket = join(dir, 'keepalived.sock');
    writeFileSync(conf, 'virtual_server 192.0.2.1 80\nreal_server 192.0.2.10 80\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function deps(directors: FakeDirector[] = []): KeepalivedDaemonDeps {
    return {
      loadConfig,
      formatMessage: (m) => `${m.at.file}:${m.at.line}: ${m.severity}: ${m.text}`,
      createDirector: (ipvs, config, options) => {
        const director = new FakeDirector(ipvs, config, options);
        directors.push(director);
        return director;
      },
      monitorFactory: () => new FakeMonitor(),
      // these files have no vrrp_instance: VRRP must never start
      startVrrp: () => {
        throw new Error('VRRP started for a file without vrrp_instance');
      },
    };
  }

  function run(argv: readonly string[], process?: TestProcess, directors: FakeDirector[] = []): Promise<RunResult> {
    return runWithFake(kernel, argv, { keepalived: deps(directors), ...(process ? { daemon: process } : {}) });
  }

  async function startDaemon(extra: readonly string[] = [], process = new TestProcess()): Promise<Daemon> {
    const directors: FakeDirector[] = [];
    const done = run(['keepalived', '-f', conf, '--status-socket', socket, ...extra], process, directors);
    await Promise.race([process.waitFor(/running: status on /), done.then((r) => Promise.reject(new Error(`exited ${r.status}: ${r.stderr}`)))]);
    return { process, directors, done };
  }

  const services = () => kernel.services().map((s) => ('address' in s.key ? `${s.key.address}:${s.key.port}` : ''));

  test('-t: a valid file exits 0 with its warnings; a broken one exits 1 with each error at its line', async () => {
    writeFileSync(conf, 'virtual_server 192.0.2.1 80\n! old keyword\nreal_server 192.0.2.10 80\n');
    expect(await run(['keepalived', '-t', '-f', conf])).toEqual({
      status: 0,
      stdout: `${conf}: configuration OK: 1 virtual server, 1 real server\n`,
      stderr: `${conf}:2: warning: old keyword\n`,
    });
    writeFileSync(conf, 'virtual_server 192.0.2.1 80\nbogus 1\nlb_algo rr\n');
    expect(await run(['keepalived', '--config-test', '--use-file', conf])).toEqual({
      status: 1,
      stdout: '',
      stderr: `${conf}:2: error: unknown keyword "bogus"\n${conf}:3: error: unknown keyword "lb_algo"\n`,
    });
    expect(kernel.services()).toEqual([]);
  });

  test('-P with -C is a usage error; a build without the parser and director says so', async () => {
    const both = await run(['keepalived', '-P', '-C', '-f', conf]);
    expect(both).toEqual({ status: 2, stdout: '', stderr: '-P/--vrrp and -C/--check exclude each other (neither runs both halves)\n' });
    const bare = await runWithFake(kernel, ['keepalived', '-f', conf]);
    expect(bare).toEqual({ status: 1, stdout: '', stderr: 'tsipvs keepalived: this build has no configuration parser, checkers and director\n' });
    expect((await run(['keepalived', '--drain-timeout', 'x'])).stderr).toBe('--drain-timeout: expected whole seconds up to 86400, got "x"\n');
    expect((await run(['keepalived', '--metrics-listen', 'nowhere'])).status).toBe(2);
    expect(await run(['keepalived', '-I', '--flush-on-exit'])).toEqual({ status: 2, stdout: '', stderr: '-I/--dont-release-ipvs and --flush-on-exit exclude each other\n' });
  });

  test('a broken file at start: its errors with line numbers, exit 1, nothing applied', async () => {
    writeFileSync(conf, 'virtual_server 192.0.2.1 80\nweight x\n');
    const result = await run(['keepalived', '-f', conf, '--status-socket', socket], new TestProcess());
    expect(result).toEqual({ status: 1, stdout: '', stderr: `${conf}:2: error: unknown keyword "weight"\n` });
    expect(kernel.services()).toEqual([]);
  });

  test('lifecycle: start, status, SIGHUP with a good file and a broken one, SIGTERM leaves the table', async () => {
    const pid = join(dir, 'keepalived.pid');
    const daemon = await startDaemon(['--pid', pid, '--drain-timeout', '30']);
    const [director] = daemon.directors;
    expect(director!.options.drainTimeoutMs).toBe(30_000);
    expect(services()).toEqual(['192.0.2.1:80']);
    expect(readFileSync(pid, 'utf8')).toBe(`${process.pid}\n`);
    expect(daemon.process.lines.slice(0, 3)).toEqual([
      `<6>starting: ${conf}: 1 virtual server, 1 real server\n`,
      '<6>reconciled: 1 change applied\n',
      `<6>running: status on ${socket}\n`,
    ]);

    const status = await run(['keepalived', 'status', '--status-socket', socket]);
    expect(status.status).toBe(0);
    expect(status.stdout).toContain(`tsipvs keepalived (pid ${process.pid}), ${conf}, running since 1970-01-01T00:00:00Z, last reconcile 1970-01-01T00:00:00Z: 1 change\n`);
    expect(status.stdout).toContain(`192.0.2.1:80  (${conf}:1)  quorum met (up weight 1, needs 1)\n`);
    expect(status.stdout).toContain('  192.0.2.10:80  up     1/1     0         no checker (always up)\n');
    const json = await run(['keepalived', 'status', '--json', '--status-socket', socket]);
    expect(JSON.parse(json.stdout)).toEqual({ version: 1, pid: process.pid, status: JSON.parse(JSON.stringify(director!.status())) });

    writeFileSync(conf, 'virtual_server 192.0.2.1 80\nvirtual_server 192.0.2.2 443\n');
    let from = daemon.process.lines.length;
    daemon.process.send('SIGHUP');
    await daemon.process.waitFor(/reloaded/, from);
    expect(daemon.process.lines.slice(from)).toEqual([
      `<6>SIGHUP: reloading ${conf}\n`,
      '<6>reconciled: 1 change applied\n',
      `<6>reloaded ${conf}: 2 virtual servers, 0 real servers\n`,
    ]);
    expect(services().sort()).toEqual(['192.0.2.1:80', '192.0.2.2:443']);

    writeFileSync(conf, 'virtual_server 192.0.2.3 80\nbogus\n');
    from = daemon.process.lines.length;
    daemon.process.send('SIGHUP');
    await daemon.process.waitFor(/reload failed/, from);
    expect(daemon.process.lines.slice(from)).toEqual([
      `<6>SIGHUP: reloading ${conf}\n`,
      `<3>error: ${conf}:2: error: unknown keyword "bogus"\n`,
      '<3>error: reload failed: the running configuration stays\n',
    ]);
    expect(director!.calls).toEqual(['start', 'reload']);
    expect(services().sort()).toEqual(['192.0.2.1:80', '192.0.2.2:443']);

    daemon.process.send('SIGTERM');
    const result = await daemon.done;
    expect(result).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(daemon.process.lines.slice(-2)).toEqual(['<6>SIGTERM: stopping, leaving the table as it is\n', '<6>stopped\n']);
    expect(director!.calls).toEqual(['start', 'reload', 'stop']);
    expect(services().sort()).toEqual(['192.0.2.1:80', '192.0.2.2:443']);
    expect(existsSync(pid)).toBe(false);
    expect(existsSync(socket)).toBe(false);
    expect(daemon.process.listening).toBe(0);
  });

  test('SIGINT with --flush-on-exit deletes the services of the configuration', async () => {
    const daemon = await startDaemon(['--flush-on-exit']);
    expect(services()).toEqual(['192.0.2.1:80']);
    daemon.process.send('SIGINT');
    expect((await daemon.done).status).toBe(0);
    expect(daemon.directors[0]!.calls).toEqual(['start', 'stop flush']);
    expect(daemon.process.lines).toContain('<6>SIGINT: stopping, deleting the services of the configuration\n');
    expect(kernel.services()).toEqual([]);
  });

  test('writes take the table lock of -R and apply: none while an operator holds it', async () => {
    const daemon = await startDaemon();
    safeguardsOf(kernel).locked = true;
    writeFileSync(conf, 'virtual_server 192.0.2.1 80\nvirtual_server 192.0.2.2 80\n');
    const from = daemon.process.lines.length;
    daemon.process.send('SIGHUP');
    await daemon.process.waitFor(/reload failed/, from);
    expect(daemon.process.lines.slice(from).join('')).toContain('<3>error: reconcile failed, nothing of it stayed: ');
    expect(services()).toEqual(['192.0.2.1:80']);
    safeguardsOf(kernel).locked = false;
    daemon.process.send('SIGTERM');
    expect((await daemon.done).status).toBe(0);
  });

  test('-D logs every check result; outside the journal each line starts with the time', async () => {
    const daemon = await startDaemon(['-D'], new TestProcess({}));
    const [monitor] = daemon.directors[0]!.monitors;
    const from = daemon.process.lines.length;
    monitor!.emit('result', { kind: 'TCP_CHECK', up: false, failuresInRow: 2, last: { ok: false, detail: 'connection refused', at: new Date(0) } });
    daemon.directors[0]!.emit('health', { virtualServer: daemon.directors[0]!.status().virtualServers[0], realServer: { address: '192.0.2.10', port: 80 }, state: { up: false, checkers: [] } });
    daemon.directors[0]!.emit('log', { level: 'detail', text: 'a detail of the director' });
    expect(daemon.process.lines.slice(from)).toEqual([
      '1970-01-01T00:00:00.000Z TCP_CHECK 192.0.2.10:80 of 192.0.2.1:80: failed: connection refused (2 in a row)\n',
      '1970-01-01T00:00:00.000Z warning: real server 192.0.2.10:80 of 192.0.2.1:80 is down\n',
      '1970-01-01T00:00:00.000Z a detail of the director\n',
    ]);
    daemon.process.send('SIGTERM');
    expect((await daemon.done).status).toBe(0);
  });

  test('--metrics-listen serves the table and the director status', async () => {
    const daemon = await startDaemon(['--metrics-listen', '127.0.0.1:0']);
    const line = await daemon.process.waitFor(/serving metrics on/);
    const url = /http:\/\/\S+/.exec(line)![0];
    const scrape = await fetchText(url);
    expect(scrape.status).toBe(200);
    expect(scrape.body).toContain('ipvs_service_connections_total{family="ipv4",proto="TCP",local_address="192.0.2.1",local_port="80",local_mark=""} 0');
    expect(scrape.body).toContain('ipvs_real_server_up{virtual_server="192.0.2.1:80",remote_address="192.0.2.10",remote_port="80"} 1');
    daemon.process.send('SIGTERM');
    expect((await daemon.done).status).toBe(0);
  });

  test('a second daemon on the same status socket is refused and leaves the table alone', async () => {
    const first = await startDaemon();
    const directors: FakeDirector[] = [];
    const second = await run(['keepalived', '-f', conf, '--status-socket', socket], new TestProcess(), directors);
    expect(directors[0]!.calls).toEqual(['stop']);
    expect(second.status).toBe(1);
    expect(second.stderr).toBe(`--status-socket: another daemon answers on the status socket ${socket} (--status-socket names another)\n`);
    expect((await run(['keepalived', 'status', '--status-socket', socket])).status).toBe(0);
    first.process.send('SIGTERM');
    expect((await first.done).status).toBe(0);
  });

  test('status without a daemon: a clear error, exit 1', async () => {
    expect(await run(['keepalived', 'status', '--status-socket', socket])).toEqual({
      status: 1,
      stdout: '',
      stderr: `no tsipvs keepalived answers on ${socket}: the socket does not exist (is the daemon running? --status-socket names another)\n`,
    });
  });
});

describe('tsipvs exporter', () => {
  test('serves /metrics until SIGTERM', async () => {
    const kernel = new FakeKernel();
    const process = new TestProcess();
    const done = runWithFake(kernel, ['exporter', '--listen', '127.0.0.1:0'], { daemon: process });
    const line = await process.waitFor(/serving metrics on/);
    const url = /http:\/\/\S+/.exec(line)![0];
    const scrape = await fetchText(url);
    expect(scrape.status).toBe(200);
    expect(scrape.body).toContain('# TYPE ipvs_service_connections_total counter');
    expect((await fetchText(url.replace('/metrics', '/'))).status).toBe(404);
    process.send('SIGHUP');
    await process.waitFor(/SIGHUP: nothing to reload/);
    process.send('SIGTERM');
    expect(await done).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(process.lines.at(-1)).toBe('<6>SIGTERM: stopping\n');
  });

  test('usage errors: a missing or malformed --listen', async () => {
    const kernel = new FakeKernel();
    const missing = await runWithFake(kernel, ['exporter'], { daemon: new TestProcess() });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain("required option '--listen <address>' not specified");
    const bad = await runWithFake(kernel, ['exporter', '--listen', 'localhost:9165'], { daemon: new TestProcess() });
    expect(bad).toEqual({ status: 2, stdout: '', stderr: '--listen: "localhost" in "localhost:9165" is not an IP address\n' });
  });
});

function fetchText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}
