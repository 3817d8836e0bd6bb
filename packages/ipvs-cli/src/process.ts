import { existsSync, fstatSync, promises as fsPromises, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CliEnvironment, DaemonHooks, DaemonSignal, NetnsBinding, RuntimeVersions, SignalWatch } from './environment';
import { runCollected } from './main';
import { FilesResolver } from './names/files';

export { runCollected };

/**
 * All of stdin. A regular file (`< rules`) is read at once: a stream would read it 64 KiB at a time
 * through the thread pool. Pipes and terminals are streamed.
 */
async function readStdin(): Promise<string> {
  return fstatSync(0).isFile() ? readFileSync(0, 'latin1') : readAll(process.stdin);
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    stream.on('error', reject);
  });
}

/** ipvsadm's way: `/sbin/modprobe -- ip_vs` (through PATH where /sbin has no modprobe), its messages passed on. */
async function loadIpvsModule(): Promise<string> {
  const modprobe = existsSync('/sbin/modprobe') ? '/sbin/modprobe' : 'modprobe';
  // loaded here only: child_process costs every command's start-up a few ms natively, ten times that emulated
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    // a modprobe that cannot run says nothing, as ipvsadm's child that fails to exec
    execFile(modprobe, ['--', 'ip_vs'], { encoding: 'latin1' }, (_error, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
}

/**
 * The version in the nearest package.json above this file: the package's own, whether this runs
 * as the bundle (dist/tsipvs.js) or as compiled modules (dist/src/process.js).
 */
function packageVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

function runtimeVersions(): RuntimeVersions {
  return { tsipvs: packageVersion(), node: process.version };
}

const STOPPING_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * While a bulk change runs, the stopping signals abort it (it then rolls back and exits 128 + the
 * signal's number) instead of killing the process half-way. Later signals are ignored: the rollback
 * must finish (SIGKILL still stops it; the journal then remains for `tsipvs recover`).
 */
function watchSignals(): SignalWatch {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) controller.abort(signal);
  };
  for (const signal of STOPPING_SIGNALS) process.on(signal, onSignal);
  return {
    signal: controller.signal,
    release: () => {
      for (const signal of STOPPING_SIGNALS) process.off(signal, onSignal);
    },
  };
}

const DAEMON_SIGNALS: readonly DaemonSignal[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/** stderr written at once, the signals handed to the command, the environment variables. */
const daemonHooks: DaemonHooks = {
  log: (text) => void process.stderr.write(text),
  onSignal: (handler) => {
    for (const signal of DAEMON_SIGNALS) process.on(signal, handler);
    return () => {
      for (const signal of DAEMON_SIGNALS) process.off(signal, handler);
    };
  },
  variables: process.env,
};

/**
 * `--netns`: the namespace opened once, its descriptor kept until the run ends. Sockets (the client's,
 * the table lock's, rtnetlink's) are created with the main thread switched into it; files whose
 * content depends on the namespace (ip_vs_conn, /proc/sys/net) are opened synchronously while switched:
 * the thread pool behind fs's asynchronous calls never is.
 */
async function bindNetns(spec: string): Promise<NetnsBinding> {
  const core = await import('@tsipvs/ipvs-core');
  const netns = core.openNetns(spec);
  return {
    bound: {
      openApi: async (options) => (options?.eventLoop || process.env['TSIPVS_TRANSPORT'] === 'async' ? core.openIpvs({ netns }) : core.openIpvsSync({ netns })),
      readConnections: async () => netns.enter(() => {
        try {
          return readFileSync('/proc/thread-self/net/ip_vs_conn', 'latin1');
        } catch {
          return undefined;
        }
      }),
      lockTable: (options) => core.lockIpvsTable({ ...options, netns }),
      journalFile: async () => core.journalFile(undefined, netns),
      sysctl: { netns },
    },
    close: () => netns.close(),
  };
}

/**
 * The system's side of the environment: the kernel, /etc files and DNS, stdin, files, the clock.
 * Exported with `runCollected` for the build, which runs commands through both to fill the bundle's
 * code cache (scripts/code-cache.js).
 */
export function processEnvironment(): Omit<CliEnvironment, 'output'> {
  return {
    program: 'tsipvs',
    // One-shot commands block on the kernel anyway: the blocking transport (koffi) skips a round of
    // libuv callbacks per datagram and never loads npm `netlink`. Long-running ones (keepalived,
    // exporter) and TSIPVS_TRANSPORT=async get the library's default transport (benchmarks compare the two).
    openApi: async (options) => {
      const core = await import('@tsipvs/ipvs-core');
      return options?.eventLoop || process.env['TSIPVS_TRANSPORT'] === 'async' ? core.openIpvs() : core.openIpvsSync();
    },
    loadIpvsModule,
    resolver: new FilesResolver({ systemLookup: true }),
    readStdin,
    // fs.promises is loaded on first use (node:fs/promises brings the stream modules)
    readFile: (path) => fsPromises.readFile(path, 'latin1'),
    readConnections: () => fsPromises.readFile('/proc/net/ip_vs_conn', 'latin1').catch(() => undefined),
    clock: { now: () => new Date() },
    runtimeVersions,
    pid: process.pid,
    lockTable: async (options) => (await import('@tsipvs/ipvs-core')).lockIpvsTable(options),
    journalFile: async () => (await import('@tsipvs/ipvs-core')).journalFile(),
    watchSignals,
    daemon: daemonHooks,
    loadKeepalived: async () => (await import('./commands/keepalived-wiring')).KEEPALIVED_DEPS,
    bindNetns,
    stderrTerminal: () => (stderrIsTerminal() ? process.stderr : undefined),
  };
}

/**
 * Whether stderr is a terminal, without `process.stderr`: creating that stream loads node:tty or
 * node:net and the stream modules, a large part of a short command's start-up under emulation. Only a
 * character device can be a terminal, so tty is loaded only then.
 */
function stderrIsTerminal(): boolean {
  try {
    if (!fstatSync(2).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:tty') as typeof import('node:tty')).isatty(2);
}

/**
 * All of `text` on fd 1 or 2, written synchronously (for the same reason as `stderrIsTerminal`). What
 * a non-blocking or failing descriptor does not take (EAGAIN, EPIPE) goes through the process's stream,
 * which waits or reports as before.
 */
function writeFully(fd: 1 | 2, text: string): void {
  if (text === '') return;
  const data = Buffer.from(text);
  let offset = 0;
  try {
    while (offset < data.length) offset += writeSync(fd, data, offset);
  } catch {
    (fd === 1 ? process.stdout : process.stderr).write(data.subarray(offset));
  }
}

/** The bin entry, the only code that touches the process: argv, stdin, stdout, stderr, exit status. */
export async function runProcess(): Promise<void> {
  const result = await runCollected(process.argv.slice(2), processEnvironment());
  writeFully(1, result.stdout);
  writeFully(2, result.stderr);
  process.exitCode = result.status;
}
