/**
 * What `tsipvs keepalived` and `tsipvs exporter` share: they run until SIGTERM/SIGINT and log one
 * line per event to stderr as it happens. Under systemd (JOURNAL_STREAM set) a line carries no time
 * (the journal adds it) but a `<N>` syslog priority prefix, which journald reads as the level.
 */
import { parseListenAddress, type ListenAddress } from '@tsipvs/keepalived';
import type { CliEnvironment, DaemonHooks, DaemonSignal } from '../environment';
import { CliError } from '../errors';

export type LogLevel = 'error' | 'warning' | 'info' | 'detail';

const PRIORITY: Record<LogLevel, number> = { error: 3, warning: 4, info: 6, detail: 7 };

export type Log = (level: LogLevel, text: string) => void;

/** A logger on the live stderr of `hooks`; 'detail' lines only when `detail` (-D). */
export function makeLog(hooks: DaemonHooks, clock: CliEnvironment['clock'], detail: boolean): Log {
  const journal = hooks.variables.JOURNAL_STREAM !== undefined && hooks.variables.JOURNAL_STREAM !== '';
  return (level, text) => {
    if (level === 'detail' && !detail) return;
    const marked = level === 'error' || level === 'warning' ? `${level}: ${text}` : text;
    for (const line of marked.split('\n')) hooks.log(journal ? `<${PRIORITY[level]}>${line}\n` : `${clock.now().toISOString()} ${line}\n`);
  };
}

/** The hooks of a long-running command, or the error that it cannot run here. */
export function daemonHooks(env: CliEnvironment, command: string): DaemonHooks {
  if (!env.daemon) throw new CliError(`${env.program} ${command} needs a process of its own (signals, stderr): it cannot run here`, 1);
  return env.daemon;
}

/** Resolves with the first SIGTERM or SIGINT; SIGHUPs go to `onHangup`. Call `release` when done. */
export function stopSignal(hooks: DaemonHooks, onHangup: () => void): { readonly stopped: Promise<DaemonSignal>; release(): void } {
  let stop: (signal: DaemonSignal) => void = () => undefined;
  const stopped = new Promise<DaemonSignal>((resolve) => (stop = resolve));
  const release = hooks.onSignal((signal) => (signal === 'SIGHUP' ? onHangup() : stop(signal)));
  return { stopped, release };
}

/** An `ADDR:PORT` option, or a usage error naming it. */
export function listenOption(option: string, text: string): ListenAddress {
  try {
    return parseListenAddress(text);
  } catch (error) {
    throw new CliError(`${option}: ${(error as Error).message}`, 2);
  }
}

/** A whole number of seconds up to a day, or a usage error naming the option. */
export function secondsOption(option: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 86400) throw new CliError(`${option}: expected whole seconds up to 86400, got ${JSON.stringify(text)}`, 2);
  return Number(text);
}
