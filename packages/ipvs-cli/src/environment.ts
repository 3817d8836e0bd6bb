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

/** What a command needs while running: the (lazily opened) API, names and output. */
export class CommandContext {
  private apiPromise: Promise<IpvsApi> | undefined;

  constructor(
    readonly env: CliEnvironment,
    readonly output: Output,
  ) {}

  /** The API; failing to open it is ipvsadm's "Can't initialize ipvs" (exit 2). */
  api(): Promise<IpvsApi> {
    return (this.apiPromise ??= this.env.openApi().catch((error: unknown) => {
      throw new CliError(
        `Can't initialize ipvs: ${messageOf(error)}\nAre you sure that IP Virtual Server is built in the kernel or as module?`,
        EXIT_USAGE,
      );
    }));
  }

  /** A context that writes to `output` and shares this one's API. */
  withOutput(output: Output): CommandContext {
    const context = new CommandContext(this.env, output);
    context.apiPromise = this.apiPromise ?? this.api();
    return context;
  }

  /** Closes the API if it was opened. */
  async close(): Promise<void> {
    if (!this.apiPromise) return;
    try {
      (await this.apiPromise).close();
    } catch {
      // opening failed: nothing to close
    }
  }
}
