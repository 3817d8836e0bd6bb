/**
 * The progress line of long restores and applies: drawn on stderr only when it is a terminal and the
 * input is large, erased when the command ends. It never goes into the command's output (stdout and
 * the messages are written when the command is over), so it changes neither them nor the exit status.
 * cli-progress draws it, and is loaded only when a line is shown.
 */
import type { IpvsApi } from '@tsipvs/ipvs-core';
import type { SingleBar } from 'cli-progress';
import type { CliEnvironment, TerminalOutput } from './environment';

/** Inputs of more lines (or rules) than this get a progress line. */
export const PROGRESS_MIN_LINES = 5000;

/** How far a command has come, told step by step. */
export interface Progress {
  /** A step that counts up to `total`: `reached` says how far it is. */
  count(label: string, total: number): void;
  reached(done: number): void;
  /** A step that cannot be counted: its label and the seconds it has taken are shown. */
  wait(label: string): void;
  /** Erases the line: the command is over. */
  stop(): void;
}

/** What commands get when no line is shown. */
const NO_PROGRESS: Progress = { count() {}, reached() {}, wait() {}, stop() {} };

/** The number of lines of `text` (a last line without a newline counts). */
export function lineCount(text: string): number {
  let lines = 0;
  for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', newline + 1)) lines++;
  return text.length > 0 && !text.endsWith('\n') ? lines + 1 : lines;
}

/**
 * The progress line of the command `title` ("tsipvs -R") when `env` has a terminal and its input has
 * more than PROGRESS_MIN_LINES lines; otherwise one that shows nothing.
 */
export async function startProgress(env: CliEnvironment, title: string, inputLines: number): Promise<Progress> {
  if (inputLines <= PROGRESS_MIN_LINES) return NO_PROGRESS;
  const terminal = env.stderrTerminal?.();
  if (!terminal) return NO_PROGRESS;
  const { SingleBar, Format } = await import('cli-progress');
  return new TerminalProgress(title, (format) => {
    return new SingleBar({
      stream: terminal,
      // cut to the terminal's width: a wrapped line could not be redrawn in place
      format: (options, params, payload) => Format.Formatter({ ...options, format }, params, payload).slice(0, params.maxWidth - 1),
      barsize: 20,
      clearOnComplete: true,
      // leave the terminal's line wrapping and cursor alone, so an interrupted command leaves nothing to restore
      linewrap: true,
      hideCursor: false,
    });
  });
}

/** Each step is a bar of its own, made by `newBar` with that step's format. */
class TerminalProgress implements Progress {
  private bar: SingleBar | undefined;
  private total = 0;
  /** `reached` updates the bar about a thousand times a step, not once a line. */
  private updateEvery = 1;
  private updatedAt = 0;

  constructor(
    private readonly title: string,
    private readonly newBar: (format: string) => SingleBar,
  ) {}

  count(label: string, total: number): void {
    this.show(`${this.title}: ${label} [{bar}] {percentage}% {value}/{total}`, total);
    this.updateEvery = Math.max(1, Math.floor(total / 1000));
  }

  reached(done: number): void {
    if (done - this.updatedAt < this.updateEvery && done < this.total) return;
    this.updatedAt = done;
    this.bar?.update(done);
  }

  wait(label: string): void {
    this.show(`${this.title}: ${label} ({duration}s)`, 0);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  private show(format: string, total: number): void {
    this.stop();
    this.total = total;
    this.updatedAt = 0;
    this.bar = this.newBar(format);
    this.bar.start(total, 0);
  }
}

/**
 * `api`, with apply's long steps shown on `progress`: reading the kernel's table (counted by service)
 * and sending changes.
 */
export function showingTableProgress(api: IpvsApi, progress: Progress): IpvsApi {
  let servicesRead = 0;
  const watched: Partial<IpvsApi> = {
    getServices: async () => {
      progress.wait("reading the kernel's services");
      const services = await api.getServices();
      progress.count("reading the kernel's table (services)", services.length);
      return services;
    },
    getDestinations: async (service) => {
      const destinations = await api.getDestinations(service);
      progress.reached(++servicesRead);
      return destinations;
    },
    batch: (operations, options) => {
      progress.wait(`sending ${operations.length} changes`);
      return api.batch(operations, options);
    },
  };
  return new Proxy(api, { get: (target, name, receiver) => (watched as Record<PropertyKey, unknown>)[name] ?? Reflect.get(target, name, receiver) });
}
