/**
 * `tsipvs keepalived [-f FILE] ...`: the checker half of keepalived as a foreground daemon. It loads
 * keepalived.conf, lets the director check the real servers and reconcile the kernel's table, serves
 * its status on a Unix socket and, with --metrics-listen, Prometheus metrics; SIGHUP reloads the file
 * (a broken one is reported and the running configuration stays), SIGTERM/SIGINT stop it (the table
 * stays unless --flush-on-exit). Each write to the table takes the table lock of -R and apply, so a
 * reconcile never interleaves with an operator's bulk change.
 *
 * `tsipvs keepalived status [--json]` reads the status socket.
 */
import { rmSync, readFileSync, writeFileSync } from 'node:fs';
import type { IpvsApi } from '@tsipvs/ipvs-core';
import {
  DEFAULT_STATUS_SOCKET, formatStatus, hostPort, virtualServerName, IpvsExporter, readStatus, startMetricsServer, startStatusServer, StatusUnavailableError,
  type ConfigMessage, type Director, type HealthMonitor, type KeepalivedConfig, type MonitorFactory, type MetricsServer, type StatusServer, type VirtualServer, type VrrpRuntime,
} from '@tsipvs/keepalived';
import type { Command } from 'commander';
import type { CommandOf } from '../argv/command';
import { describeIntent, lockTable, unfinishedChange } from '../bulk-change';
import type { CommandContext, KeepalivedDaemonDeps } from '../environment';
import { CliError, messageOf } from '../errors';
import { daemonHooks, listenOption, makeLog, secondsOption, stopSignal, type Log } from './long-running';
import { runCommander } from './subcommand';

export const DEFAULT_CONFIG_FILE = '/etc/keepalived/keepalived.conf';
/** How long a reconcile waits for an operator's -R or apply to release the table. */
const LOCK_WAIT_MS = 60_000;

interface DaemonFlags {
  readonly useFile: string;
  readonly configTest?: boolean;
  readonly logDetail?: boolean;
  readonly check?: boolean;
  readonly vrrp?: boolean;
  readonly dontFork?: boolean;
  readonly logConsole?: boolean;
  readonly logFacility?: string;
  readonly dontReleaseIpvs?: boolean;
  readonly flushOnExit?: boolean;
  readonly drainTimeout?: string;
  readonly metricsListen?: string;
  readonly statusSocket: string;
  readonly pid?: string;
}

interface StatusFlags {
  readonly json?: boolean;
  readonly statusSocket: string;
}

/** The `keepalived` command's words and options (also read by shell completion). */
export function defineKeepalivedCommand(program: Command): Command {
  const keepalived = program
    .command('keepalived')
    .description('run the checker half of keepalived: health checks keep the IPVS table of keepalived.conf reconciled')
    .option('-f, --use-file <file>', 'the configuration file', DEFAULT_CONFIG_FILE)
    .option('-t, --config-test', 'check the configuration file and exit: 0 when it is valid, else 1 with its messages')
    .option('-D, --log-detail', 'also log every check result and every reconcile')
    .option('-C, --check', 'run the checkers only (default: both halves, VRRP when the file has vrrp_instance blocks)')
    .option('-P, --vrrp', 'run VRRP only (the vrrp_instance blocks)')
    .option('-n, --dont-fork', 'accepted: tsipvs keepalived always runs in the foreground')
    .option('-l, --log-console', 'accepted: tsipvs keepalived always logs to stderr')
    .option('-S, --log-facility <facility>', 'accepted and ignored: the log goes to stderr (the journal under systemd)')
    .option('-I, --dont-release-ipvs', 'accepted: leaving the table on exit is the default here (see --flush-on-exit)')
    .option('--flush-on-exit', 'on SIGTERM/SIGINT, delete the services the configuration names (default: leave the table)')
    .option('--drain-timeout <seconds>', 'drained real servers leave at the latest after this long')
    .option('--metrics-listen <address>', 'serve Prometheus metrics on ADDR:PORT (/metrics)')
    .option('--status-socket <file>', 'the Unix socket of `keepalived status`', DEFAULT_STATUS_SOCKET)
    .option('--pid <file>', 'write the process id to this file while running');
  keepalived
    .command('status')
    .description('show what the running daemon thinks: virtual and real servers, checks, weights, quorum, sorry server')
    .option('--json', 'print the status as JSON')
    .option('--status-socket <file>', 'the Unix socket of the daemon', DEFAULT_STATUS_SOCKET);
  return keepalived;
}

export function run(command: CommandOf<'keepalived'>, context: CommandContext): Promise<number> {
  return runCommander(command, context, (program, exit) => {
    const keepalived = defineKeepalivedCommand(program);
    keepalived.action(async (flags: DaemonFlags) => exit(await daemon(flags, context)));
    keepalived.commands
      .find((c) => c.name() === 'status')!
      .action(async (_flags: StatusFlags, status: Command) => exit(await showStatus(status.optsWithGlobals<StatusFlags>(), context)));
  });
}

async function showStatus(flags: StatusFlags, context: CommandContext): Promise<number> {
  try {
    const report = await readStatus(flags.statusSocket);
    context.output.out(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
    return 0;
  } catch (error) {
    if (error instanceof StatusUnavailableError) throw new CliError(error.message, 1);
    throw error;
  }
}

/** The parts the integrator wires in (commands/keepalived-wiring.ts); a build without them says so. */
async function loadDeps(context: CommandContext): Promise<KeepalivedDaemonDeps> {
  const { env } = context;
  if (!env.loadKeepalived) throw new CliError(`${env.program} keepalived: this build has no configuration parser, checkers and director`, 1);
  return env.loadKeepalived();
}

/** The messages of a broken configuration (ConfigError's), else undefined. */
function configMessages(error: unknown): readonly ConfigMessage[] | undefined {
  const messages = (error as { messages?: unknown } | undefined)?.messages;
  return Array.isArray(messages) ? (messages as ConfigMessage[]) : undefined;
}

/** Loads the file; a broken one throws its messages, one per line. Warnings and notes go to `report`. */
async function loadConfig(deps: KeepalivedDaemonDeps, file: string, report: (message: ConfigMessage) => void): Promise<KeepalivedConfig> {
  let config: KeepalivedConfig;
  try {
    config = await deps.loadConfig(file);
  } catch (error) {
    const messages = configMessages(error);
    const text = messages && messages.length > 0 ? messages.map((m) => deps.formatMessage(m)).join('\n') : `${file}: ${messageOf(error)}`;
    throw new CliError(text, 1);
  }
  for (const message of config.messages) report(message);
  return config;
}

function counts(config: KeepalivedConfig): string {
  const realServers = config.virtualServers.reduce((n, vs) => n + vs.realServers.length, 0);
  return `${config.virtualServers.length} virtual server${config.virtualServers.length === 1 ? '' : 's'}, ${realServers} real server${realServers === 1 ? '' : 's'}`;
}

async function daemon(flags: DaemonFlags, context: CommandContext): Promise<number> {
  const { env } = context;
  if (flags.dontReleaseIpvs && flags.flushOnExit) throw new CliError('-I/--dont-release-ipvs and --flush-on-exit exclude each other', 2);
  if (flags.vrrp && flags.check) throw new CliError('-P/--vrrp and -C/--check exclude each other (neither runs both halves)', 2);
  const drainTimeoutMs = flags.drainTimeout === undefined ? undefined : secondsOption('--drain-timeout', flags.drainTimeout) * 1000;
  const listen = flags.metricsListen === undefined ? undefined : listenOption('--metrics-listen', flags.metricsListen);
  const deps = await loadDeps(context);
  if (flags.configTest) {
    const config = await loadConfig(deps, flags.useFile, (m) => context.output.err(`${deps.formatMessage(m)}\n`));
    context.output.out(`${flags.useFile}: configuration OK: ${counts(config)}\n`);
    return 0;
  }
  const hooks = daemonHooks(env, 'keepalived');
  const log = makeLog(hooks, env.clock, flags.logDetail ?? false);
  const warn = (m: ConfigMessage) => log(m.severity === 'note' ? 'info' : m.severity === 'error' ? 'error' : 'warning', deps.formatMessage(m));
  // -P: VRRP only (the director owns nothing); -C: the checkers only
  const checkersOf = (c: KeepalivedConfig): KeepalivedConfig => (flags.vrrp ? { ...c, virtualServers: [] } : c);
  const vrrpOf = (c: KeepalivedConfig): KeepalivedConfig['vrrp'] | undefined => (flags.check || c.vrrp.instances.length === 0 ? undefined : c.vrrp);
  const config = await loadConfig(deps, flags.useFile, warn);
  context.runsOn();
  const api = await context.api();
  const writes = lockedWrites(api, context);
  const monitorFactory = flags.logDetail ? loggingResults(deps.monitorFactory, log) : deps.monitorFactory;
  const vrrpLog = (level: 'info' | 'detail' | 'warning', text: string) => log(level, text);
  let vrrpConfig = vrrpOf(config);
  let vrrp: VrrpRuntime | undefined;
  const director = deps.createDirector(writes, checkersOf(config), {
    monitorFactory,
    ...(drainTimeoutMs === undefined ? {} : { drainTimeoutMs }),
  });
  logEvents(director, log);

  let reloads = Promise.resolve();
  const reload = async (): Promise<void> => {
    log('info', `SIGHUP: reloading ${flags.useFile}`);
    try {
      const next = await loadConfig(deps, flags.useFile, warn);
      await director.reload(checkersOf(next));
      const nextVrrp = vrrpOf(next);
      if (vrrpIdentity(nextVrrp) !== vrrpIdentity(vrrpConfig)) {
        // VRRP has no partial reload here: its instances restart (a master hands over and takes back)
        log('warning', 'the VRRP configuration changed: restarting the VRRP instances');
        await vrrp?.stop();
        vrrp = nextVrrp ? deps.startVrrp(nextVrrp, { ipvs: writes, log: vrrpLog }) : undefined;
        vrrpConfig = nextVrrp;
      }
      log('info', `reloaded ${flags.useFile}: ${counts(next)}`);
    } catch (error) {
      log('error', messageOf(error));
      log('error', 'reload failed: the running configuration stays');
    }
  };
  const signals = stopSignal(hooks, () => (reloads = reloads.then(reload)));
  let status: StatusServer | undefined;
  let metrics: MetricsServer | undefined;
  let running = false;
  try {
    // the socket first: a second daemon on it stops here, before touching the table
    status = await startStatusServer(flags.statusSocket, env.pid, () => director.status(), () => vrrp?.status()).catch((error: unknown) => {
      throw new CliError(`--status-socket: ${messageOf(error)}`, 1);
    });
    log('info', `starting: ${flags.useFile}: ${flags.vrrp ? 'VRRP only' : counts(config)}${vrrpConfig ? `, ${vrrpConfig.instances.length} VRRP instance${vrrpConfig.instances.length === 1 ? '' : 's'}` : ''}`);
    if (vrrpConfig) vrrp = deps.startVrrp(vrrpConfig, { ipvs: writes, log: vrrpLog });
    await director.start();
    if (listen) {
      metrics = await startMetricsServer(new IpvsExporter(api, { director, vrrp: () => vrrp?.status().instances }), listen).catch((error: unknown) => {
        throw new CliError(`--metrics-listen ${flags.metricsListen}: cannot listen: ${messageOf(error)}`, 1);
      });
      log('info', `serving metrics on http://${metrics.address}/metrics`);
    }
    if (flags.pid) writeFileSync(flags.pid, `${env.pid}\n`);
    running = true;
    log('info', `running: status on ${status.path}`);
    const signal = await signals.stopped;
    log('info', `${signal}: stopping, ${flags.flushOnExit ? 'deleting the services of the configuration' : 'leaving the table as it is'}`);
    await reloads;
    return 0;
  } finally {
    signals.release();
    // VRRP first: a master's priority-0 advert lets the backup take over at once
    await vrrp?.stop();
    await status?.close();
    await metrics?.close();
    // a start that failed half-way leaves the table to the next start, whatever --flush-on-exit says
    await director.stop(running && flags.flushOnExit ? { flush: true } : {});
    if (flags.pid) removePidFile(flags.pid, env.pid);
    log('info', 'stopped');
  }
}

/** The VRRP configuration without source positions: equal when a reload changes nothing of VRRP. */
function vrrpIdentity(config: KeepalivedConfig['vrrp'] | undefined): string {
  return JSON.stringify(config ?? null, (key, value: unknown) => (key === 'at' ? undefined : value instanceof Map ? [...value.entries()] : value));
}

/** Removes the pid file if it still names this process. */
function removePidFile(file: string, pid: number): void {
  try {
    if (readFileSync(file, 'utf8').trim() === String(pid)) rmSync(file, { force: true });
  } catch {
    // gone already
  }
}

/** Health changes, quorum, reconciles and the director's own lines, keepalived's way: one line each. */
function logEvents(director: Director, log: Log): void {
  director.on('log', (event: { level: 'info' | 'detail' | 'warning' | 'error'; text: string }) => log(event.level, event.text));
  director.on('health', (event: { virtualServer: unknown; realServer: unknown; state: { up: boolean; dynamicWeight?: number } }) => {
    const weight = event.state.dynamicWeight === undefined ? '' : ` (weight ${event.state.dynamicWeight} from MISC_CHECK)`;
    log(event.state.up ? 'info' : 'warning', `real server ${nameOf(event.realServer)} of ${nameOf(event.virtualServer)} is ${event.state.up ? 'up' : 'down'}${weight}`);
  });
  director.on('quorum', (event: { virtualServer: unknown; met: boolean }) =>
    log(event.met ? 'info' : 'warning', `${nameOf(event.virtualServer)}: quorum ${event.met ? 'gained' : 'lost'}`));
  director.on('reconcile', (report: { changes: number; error?: string }) => {
    if (report.error !== undefined) log('error', `reconcile failed, nothing of it stayed: ${report.error}`);
    else if (report.changes > 0) log('info', `reconciled: ${report.changes} change${report.changes === 1 ? '' : 's'} applied`);
    else log('detail', 'reconciled: the table was as wanted');
  });
}

/** How a virtual or real server is named in the log, whichever form the event carries (status or configuration). */
function nameOf(server: unknown): string {
  if (typeof server === 'string') return server;
  const s = server as { name?: string; address?: string; port?: number; target?: VirtualServer['target'] };
  if (typeof s?.name === 'string') return s.name;
  if (s?.target) return virtualServerName({ target: s.target });
  if (typeof s?.address === 'string') return hostPort(s.address, s.port ?? 0);
  return String(server);
}

/** -D: every check result, from each monitor the director makes. */
function loggingResults(factory: MonitorFactory, log: Log): MonitorFactory {
  return (realServer, virtualServer) => {
    const monitor: HealthMonitor = factory(realServer, virtualServer);
    const where = `${hostPort(realServer.address, realServer.port)} of ${nameOf(virtualServer)}`;
    monitor.on('result', (checker: { kind: string; failuresInRow: number; last?: { ok: boolean; detail: string } }) => {
      const last = checker.last;
      if (!last) return;
      const row = !last.ok && checker.failuresInRow > 0 ? ` (${checker.failuresInRow} in a row)` : '';
      log('detail', `${checker.kind} ${where}: ${last.ok ? 'ok' : 'failed'}: ${last.detail}${row}`);
    });
    return monitor;
  };
}

/**
 * The API the director writes through: each change takes the table lock of -R and apply (waiting
 * for an operator's bulk change to end), and none is sent while an unfinished one left its journal.
 */
function lockedWrites(api: IpvsApi, context: CommandContext): IpvsApi {
  const locked = async <T>(write: () => Promise<T>): Promise<T> => {
    const lock = await lockTable(context, LOCK_WAIT_MS);
    try {
      const { file, intent } = await unfinishedChange(context);
      if (intent) throw new CliError(`not changing the table: an unfinished change ${describeIntent(file, intent)} (see "${context.env.program} recover")`, 4);
      return await write();
    } finally {
      await lock.release();
    }
  };
  return {
    getInfo: () => api.getInfo(),
    getTimeouts: () => api.getTimeouts(),
    getServices: () => api.getServices(),
    getService: (key) => api.getService(key),
    getDestinations: (service) => api.getDestinations(service),
    visitDestinations: (service, visit) => api.visitDestinations(service, visit),
    getDaemons: () => api.getDaemons(),
    setTimeouts: (timeouts) => locked(() => api.setTimeouts(timeouts)),
    addService: (key, options) => locked(() => api.addService(key, options)),
    editService: (key, options) => locked(() => api.editService(key, options)),
    deleteService: (key) => locked(() => api.deleteService(key)),
    addDestination: (service, destination, options) => locked(() => api.addDestination(service, destination, options)),
    editDestination: (service, destination, options) => locked(() => api.editDestination(service, destination, options)),
    deleteDestination: (service, destination) => locked(() => api.deleteDestination(service, destination)),
    zero: (service) => locked(() => api.zero(service)),
    flush: () => locked(() => api.flush()),
    startDaemon: (config) => locked(() => api.startDaemon(config)),
    stopDaemon: (state) => locked(() => api.stopDaemon(state)),
    batch: (operations, options) => locked(() => api.batch(operations, options)),
    close: () => api.close(),
  };
}
