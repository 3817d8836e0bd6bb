import type { Info, IpvsApi, IpvsTableLock, LockOptions, NetnsHandle } from '@tsipvs/ipvs-core';
import type { ConfigMessage, Director, KeepalivedConfig, MonitorFactory, VrrpOptions, VrrpRuntime } from '@tsipvs/keepalived';
import type { NetworkInterfaces, SysctlTree } from '@tsipvs/sysctl';
import { CliError, EXIT_USAGE, messageOf } from './errors';
import type { NameResolver } from './names/resolver';

/** SIGINT, SIGTERM and SIGHUP while a bulk change runs: `signal` is aborted with the first one's name. */
export interface SignalWatch {
  readonly signal: AbortSignal;
  /** Stops listening: the signals do what they did before. */
  release(): void;
}

/** Where a run writes its standard output and error. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

/** What `tsipvs version` prints besides the kernel's IPVS version. */
export interface RuntimeVersions {
  /** The version in this package's package.json. */
  readonly tsipvs: string;
  /** Node.js's version as it names itself ("v20.19.2"). */
  readonly node: string;
}

/** A terminal's output stream, where a progress line is drawn (with escape codes, `columns` wide). */
export interface TerminalOutput extends NodeJS.WritableStream {
  readonly isTTY: boolean;
  readonly columns?: number;
}

/** The signals a long-running command (`tsipvs keepalived`, `tsipvs exporter`) handles itself. */
export type DaemonSignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP';

/** What a long-running command needs of its process besides the environment's one-shot members. */
export interface DaemonHooks {
  /** Writes to stderr now (`output` is written only when the command is over). */
  log(text: string): void;
  /** Calls `handler` on each SIGTERM, SIGINT and SIGHUP (their default actions are off) until the returned function is called. */
  onSignal(handler: (signal: DaemonSignal) => void): () => void;
  /** The process's environment variables (JOURNAL_STREAM tells that stderr goes to the journal). */
  readonly variables: Readonly<Record<string, string | undefined>>;
}

/**
 * The parts of @tsipvs/keepalived that `tsipvs keepalived` runs, passed in (commands/keepalived-wiring.ts
 * names the real ones; tests pass doubles).
 */
export interface KeepalivedDaemonDeps {
  /** Reads keepalived.conf; throws an error with `messages` (file:line) when it is broken. */
  loadConfig(file: string): Promise<KeepalivedConfig>;
  /** `FILE:LINE: warning|error|note: TEXT`. */
  formatMessage(message: ConfigMessage): string;
  createDirector(ipvs: IpvsApi, config: KeepalivedConfig, options: { readonly monitorFactory: MonitorFactory; readonly drainTimeoutMs?: number }): Director;
  monitorFactory: MonitorFactory;
  /** Starts the VRRP instances of the configuration (raw sockets, rtnetlink). */
  startVrrp(config: KeepalivedConfig['vrrp'], options: VrrpOptions): VrrpRuntime;
}

/** Everything the CLI touches outside itself; injected so tests run without a kernel. */
export interface CliEnvironment {
  /** Name used in help, version and "Try ..." texts. */
  readonly program: string;
  readonly output: CliOutput;
  /** Opens the IPVS client (called at most once, only by commands that need the kernel). */
  /** `eventLoop`: a long-running command (keepalived, exporter) that must never block the event loop. */
  openApi(options?: { readonly eventLoop?: boolean }): Promise<IpvsApi>;
  /**
   * Asks the kernel to load ip_vs, as ipvsadm runs `modprobe -- ip_vs` when IPVS cannot be opened.
   * Resolves to what modprobe printed (shown on stderr, as ipvsadm's child shows it), whatever
   * happened: the retry that follows reports.
   */
  loadIpvsModule(): Promise<string>;
  readonly resolver: NameResolver;
  readStdin(): Promise<string>;
  /** A file's text, read as latin1 (apply's rules). */
  readFile(path: string): Promise<string>;
  /** Contents of /proc/net/ip_vs_conn, or undefined when it cannot be opened. */
  readConnections(): Promise<string | undefined>;
  readonly clock: { now(): Date };
  /** Versions of the package and of Node.js (read only by `tsipvs version`). */
  runtimeVersions(): RuntimeVersions;
  /**
   * stderr when it is a terminal: long restores and applies draw a progress line there while they run
   * (`output` is written when the command is over). Undefined (or absent) when stderr is a pipe or a
   * file. A function: finding out loads node:tty and the stream modules, which most commands never need.
   */
  stderrTerminal?(): TerminalOutput | undefined;
  /** Takes this namespace's table lock for a bulk change (`lockIpvsTable`). */
  lockTable(options: LockOptions): Promise<IpvsTableLock>;
  /** This process's id, recorded in the intent journal. */
  readonly pid: number;
  /** Where this namespace's intent journal lives (`journalFile`). */
  journalFile(): Promise<string>;
  /** Starts treating SIGINT, SIGTERM and SIGHUP as a request to stop a bulk change (see bulk-change.ts). */
  watchSignals(): SignalWatch;
  /** Live stderr, signals and variables of long-running commands (absent: they refuse to run). */
  readonly daemon?: DaemonHooks;
  /** Loads the config parser, checkers and director of `tsipvs keepalived` (absent: this build has none). */
  loadKeepalived?(): Promise<KeepalivedDaemonDeps>;
  /**
   * The sysctl tree and network interfaces of sysctl, realserver and director (default: the system's),
   * or the namespace whose /proc/sys and links they use.
   */
  readonly sysctl?: { readonly tree?: SysctlTree; readonly network?: NetworkInterfaces; readonly netns?: NetnsHandle };
  /**
   * Opens the network namespace of `--netns SPEC` (a name under /run/netns or a path) and gives the
   * parts of the environment bound to it. Throws (a NetnsError) when it cannot be opened: nothing
   * has been done yet.
   */
  bindNetns(spec: string): Promise<NetnsBinding>;
}

/** What `--netns` changes: every part of the environment that reaches per-namespace kernel state. */
export type NamespaceBound = Pick<CliEnvironment, 'openApi' | 'readConnections' | 'lockTable' | 'journalFile' | 'sysctl'>;

/** The environment's parts bound to one namespace, and the descriptor they hold until `close`. */
export interface NetnsBinding {
  readonly bound: NamespaceBound;
  close(): void;
}

/** Output kept in memory, read when the run is over. */
export class Output implements CliOutput {
  private readonly outChunks: string[] = [];
  private readonly errChunks: string[] = [];

  out(text: string): void {
    this.outChunks.push(text);
  }

  err(text: string): void {
    this.errChunks.push(text);
  }

  get stdout(): string {
    return this.outChunks.join('');
  }

  get stderr(): string {
    return this.errChunks.join('');
  }
}

interface OpenedApi {
  readonly api: IpvsApi;
  readonly info: Info;
}

/** The one error of every command that needs IPVS and cannot have it, even after modprobe (ipvsadm's text, exit 2). */
export function ipvsUnavailable(reason: string): CliError {
  return new CliError(`Can't initialize ipvs: ${reason}\nAre you sure that IP Virtual Server is built in the kernel or as module?`, EXIT_USAGE);
}

/**
 * Opens the API on first use and asks for the IPVS info, as ipvsadm's start-up does (so an
 * unprivileged user gets the same "Can't initialize ipvs: ..." and exit 2 for every command).
 */
class LazyApi {
  private opened: Promise<OpenedApi> | undefined;
  /** Set by long-running commands before the first use: the library's asynchronous transport. */
  eventLoop = false;

  constructor(
    private readonly open: (eventLoop: boolean) => Promise<IpvsApi>,
    private readonly loadModule: () => Promise<void>,
  ) {}

  get(): Promise<OpenedApi> {
    return (this.opened ??= this.openWithInfo());
  }

  private async openWithInfo(): Promise<OpenedApi> {
    try {
      return await this.tryOpen();
    } catch {
      await this.loadModule();
    }
    try {
      return await this.tryOpen();
    } catch (error) {
      throw ipvsUnavailable(messageOf(error));
    }
  }

  private async tryOpen(): Promise<OpenedApi> {
    let api: IpvsApi | undefined;
    try {
      api = await this.open(this.eventLoop);
      return { api, info: await api.getInfo() };
    } catch (error) {
      api?.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    if (!this.opened) return;
    try {
      (await this.opened).api.close();
    } catch {
      // opening failed: nothing to close
    }
  }
}

/** Loads ip_vs (see CliEnvironment.loadIpvsModule) and shows what modprobe said. */
export async function loadIpvsModule(env: CliEnvironment, output: CliOutput): Promise<void> {
  const said = await env.loadIpvsModule();
  if (said) output.err(said);
}

/** What a command runs with: the environment, its output and the (lazily opened) API. */
export class CommandContext {
  constructor(
    readonly env: CliEnvironment,
    readonly output: CliOutput = env.output,
    private readonly lazyApi = new LazyApi((eventLoop) => env.openApi({ eventLoop }), () => loadIpvsModule(env, output)),
  ) {}

  async api(): Promise<IpvsApi> {
    return (await this.lazyApi.get()).api;
  }

  /**
   * For commands that run on (keepalived, exporter): the API they get is the library's asynchronous
   * one, never the blocking transport of one-shot commands (a blocked event loop would delay checks,
   * VRRP adverts and scrapes). Call before the first `api()`.
   */
  runsOn(): void {
    this.lazyApi.eventLoop = true;
  }

  /** GET_INFO as read when the API was opened. */
  async info(): Promise<Info> {
    return (await this.lazyApi.get()).info;
  }

  /** A context that writes to `output` and shares this one's API. */
  withOutput(output: CliOutput): CommandContext {
    return new CommandContext(this.env, output, this.lazyApi);
  }

  close(): Promise<void> {
    return this.lazyApi.close();
  }
}
