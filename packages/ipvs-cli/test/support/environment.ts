import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliEnvironment, KeepalivedDaemonDeps, NamespaceBound, TerminalOutput } from '../../src/environment';
import { FilesResolver } from '../../src/names/files';
import { runCollected, type RunResult } from '../../src/main';
import { IpvsTableBusyError, NetnsError, netnsPath } from '@tsipvs/ipvs-core';
import { FakeKernel, openFakeIpvs, type FaultPlan } from '@tsipvs/ipvs-core/testing';

/** The /etc/hosts of the oracle's recording guest (oracle README). */
export const ORACLE_HOSTS = `127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
192.0.2.1\tvip1.example.test
192.0.2.10\trs1.example.test
192.0.2.11\trs2.example.test
2001:db8::1\tvip6.example.test
2001:db8::10\trs6.example.test
`;

const EMPTY_CONNECTIONS = 'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n';

/** The versions `tsipvs version` reports in tests. */
export const TEST_VERSIONS = { tsipvs: '0.0.0-test', node: 'v0.0.0-test' } as const;

let hostsPath: string | undefined;

function oracleHostsFile(): string {
  if (!hostsPath) {
    hostsPath = join(mkdtempSync(join(tmpdir(), 'tsipvs-hosts-')), 'hosts');
    writeFileSync(hostsPath, ORACLE_HOSTS);
  }
  return hostsPath;
}

export interface FakeRunOptions {
  readonly stdin?: string;
  readonly connections?: string | undefined;
  /** Files `readFile` finds, by path. */
  readonly files?: Readonly<Record<string, string>>;
  /** The tree and network of the sysctl, realserver and director commands. */
  readonly sysctl?: CliEnvironment['sysctl'];
  /** What `modprobe ip_vs` does; by default it registers the fake kernel's IPVS family and says nothing. */
  readonly modprobe?: () => string;
  /** A terminal standing for stderr (absent: stderr is a pipe). */
  readonly stderrTerminal?: TerminalOutput;
  /** How long the client waits for the fake kernel's answers (openFakeIpvs's 500 ms unless given): large batches on a busy machine need more. */
  readonly kernelTimeoutMs?: number;
  /** Transport failures to inject (see FaultPlan); with `kernelTimeoutMs` for faults of kind `deadline`. */
  readonly faults?: FaultPlan;
  /** stdin cannot be read: readStdin rejects with this. */
  readonly stdinError?: Error;
  /** Stands for SIGINT/SIGTERM/SIGHUP: a bulk change watching signals gets this (abort it with the signal's name). */
  readonly signal?: AbortSignal;
  /** Live stderr, signals and variables of long-running commands (keepalived, exporter). */
  readonly daemon?: CliEnvironment['daemon'];
  /** The parser, checkers and director `tsipvs keepalived` runs. */
  readonly keepalived?: KeepalivedDaemonDeps;
  /** Other network namespaces `--netns NAME` finds, each with its own kernel (sysctl: the same as `sysctl`). */
  readonly namespaces?: Readonly<Record<string, FakeKernel>>;
}

/** The fake kernel's table lock and journal: each kernel has its own, as each network namespace does. */
interface KernelSafeguards {
  locked: boolean;
  readonly journal: string;
}

const safeguards = new WeakMap<FakeKernel, KernelSafeguards>();
let journalDirectory: string | undefined;

/** The lock and journal file of `kernel` (the journal in a temporary folder of this test process). */
export function safeguardsOf(kernel: FakeKernel): KernelSafeguards {
  let found = safeguards.get(kernel);
  if (!found) {
    journalDirectory ??= mkdtempSync(join(tmpdir(), 'tsipvs-journal-'));
    found = { locked: false, journal: join(journalDirectory, `kernel-${Math.random().toString(36).slice(2)}.journal`) };
    safeguards.set(kernel, found);
  }
  return found;
}

export { FakeKernel };

/** What one namespace's fake kernel gives the environment: its client, connections, lock and journal. */
function kernelBound(kernel: FakeKernel, options: FakeRunOptions): NamespaceBound {
  return {
    openApi: () => openFakeIpvs(kernel, {
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.kernelTimeoutMs === undefined ? {} : { timeoutMs: options.kernelTimeoutMs }),
    }),
    readConnections: async () => ('connections' in options ? options.connections : EMPTY_CONNECTIONS),
    lockTable: async ({ waitMs }) => {
      const held = safeguardsOf(kernel);
      if (held.locked) throw new IpvsTableBusyError(waitMs ? waitMs : undefined);
      held.locked = true;
      return { release: async () => void (held.locked = false) };
    },
    journalFile: async () => safeguardsOf(kernel).journal,
    ...(options.sysctl ? { sysctl: options.sysctl } : {}),
  };
}

/** Runs tsipvs against the fake `kernel` (the real client over it) with deterministic names (oracle hosts, this system's /etc/services). */
export function runWithFake(kernel: FakeKernel, argv: readonly string[], options: FakeRunOptions = {}): Promise<RunResult> {
  const env: Omit<CliEnvironment, 'output'> = {
    program: 'tsipvs',
    ...kernelBound(kernel, options),
    loadIpvsModule: async () => {
      if (options.modprobe) return options.modprobe();
      kernel.familyRegistered = true;
      return '';
    },
    resolver: new FilesResolver({ hostsPath: oracleHostsFile(), servicesPath: '/etc/services' }),
    readStdin: async () => {
      if (options.stdinError) throw options.stdinError;
      return options.stdin ?? '';
    },
    readFile: async (path) => {
      const text = options.files?.[path];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return text;
    },
    clock: { now: () => new Date(0) },
    runtimeVersions: () => TEST_VERSIONS,
    pid: process.pid,
    watchSignals: () => ({ signal: options.signal ?? new AbortController().signal, release: () => undefined }),
    ...(options.daemon ? { daemon: options.daemon } : {}),
    ...(options.keepalived ? { loadKeepalived: async () => options.keepalived! } : {}),
    bindNetns: async (spec) => {
      const other = options.namespaces?.[spec];
      if (!other) throw new NetnsError('not-found', spec, netnsPath(spec), 'No such file or directory', 'ENOENT');
      return { bound: kernelBound(other, options), close: () => undefined };
    },
    ...(options.stderrTerminal ? { stderrTerminal: () => options.stderrTerminal } : {}),
  };
  return runCollected(argv, env);
}
