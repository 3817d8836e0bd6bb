import type { IpvsApi } from '@tsipvs/ipvs-core';
import { CliError, EXIT_USAGE, messageOf } from './errors';
import type { NameResolver } from './names/resolver';

/** Everything the CLI touches outside itself; injected so tests run without a kernel. */
export interface CliEnvironment {
  /** Name used in help, version and "Try ..." texts. */
  readonly program: string;
  /** Opens the IPVS client (called at most once, only by commands that need the kernel). */
  openApi(): Promise<IpvsApi>;
  readonly resolver: NameResolver;
  readStdin(): Promise<string>;
  /** Contents of /proc/net/ip_vs_conn, or undefined when it cannot be opened. */
  readConnections(): Promise<string | undefined>;
}

/** Collected output of one run. */
export class Output {
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

/** Opens the API on first use (failing to open is ipvsadm's "Can't initialize ipvs", exit 2). */
class LazyApi {
  private opened: Promise<IpvsApi> | undefined;

  constructor(private readonly open: () => Promise<IpvsApi>) {}

  get(): Promise<IpvsApi> {
    return (this.opened ??= this.open().catch((error: unknown) => {
      throw new CliError(
        `Can't initialize ipvs: ${messageOf(error)}\nAre you sure that IP Virtual Server is built in the kernel or as module?`,
        EXIT_USAGE,
      );
    }));
  }

  async close(): Promise<void> {
    if (!this.opened) return;
    try {
      (await this.opened).close();
    } catch {
      // opening failed: nothing to close
    }
  }
}

/** What a command needs while running: the (lazily opened) API, names and output. */
export class CommandContext {
  constructor(
    readonly env: CliEnvironment,
    readonly output: Output,
    private readonly lazyApi = new LazyApi(() => env.openApi()),
  ) {}

  api(): Promise<IpvsApi> {
    return this.lazyApi.get();
  }

  /** A context that writes to `output` and shares this one's API. */
  withOutput(output: Output): CommandContext {
    return new CommandContext(this.env, output, this.lazyApi);
  }

  close(): Promise<void> {
    return this.lazyApi.close();
  }
}
