/**
 * What every checker shares: the outcome of one attempt, the address it connects to (keepalived's
 * `connect_ip`/`connect_port`/`bindto`/`bind_port`, defaulting to the real server) and opening that TCP
 * connection within `connect_timeout`.
 */
import * as net from 'node:net';
import type { CheckerCommon, RealServer } from '../config/model';

/** One attempt's result, before the monitor stamps it with a time. */
export interface AttemptOutcome {
  readonly ok: boolean;
  readonly detail: string;
  /** MISC_CHECK with misc_dynamic: the weight its exit code set (undefined: the configured weight). */
  readonly weight?: number;
}

export interface TcpTarget {
  readonly host: string;
  readonly port: number;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly timeoutMs: number;
}

export function tcpTarget(check: CheckerCommon, realServer: RealServer): TcpTarget {
  return {
    host: check.connectIp ?? realServer.address,
    port: check.connectPort ?? realServer.port,
    ...(check.bindTo !== undefined ? { localAddress: check.bindTo } : {}),
    ...(check.bindPort !== undefined ? { localPort: check.bindPort } : {}),
    timeoutMs: check.connectTimeoutMs,
  };
}

/** A socket error as a short phrase ("connection refused", "EHOSTUNREACH ..."). */
export function describeSocketError(error: unknown): string {
  const err = error as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'EADDRNOTAVAIL':
      return 'cannot bind: address not available';
    case 'EADDRINUSE':
      return 'cannot bind: address in use';
    default:
      return err?.message ?? String(error);
  }
}

export const STOPPED: AttemptOutcome = { ok: false, detail: 'stopped' };

/**
 * Connects (TLS too when `connect` makes a TLS socket), settling once: the socket when `ready` fires
 * within the timeout, else a failure phrase. The socket is destroyed on failure and on abort.
 */
export function openSocket<S extends net.Socket>(
  connect: () => S,
  readyEvent: 'connect' | 'secureConnect',
  timeoutMs: number,
  signal: AbortSignal,
  what = 'connect',
): Promise<{ socket: S } | { failure: string }> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve({ failure: STOPPED.detail });
    let socket: S;
    const finish = (result: { socket: S } | { failure: string }) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      if ('failure' in result) socket.destroy();
      resolve(result);
    };
    const onError = (err: unknown) => finish({ failure: describeSocketError(err) });
    const onAbort = () => finish({ failure: STOPPED.detail });
    const timer = setTimeout(() => finish({ failure: `${what} timeout after ${timeoutMs} ms` }), timeoutMs);
    signal.addEventListener('abort', onAbort);
    try {
      socket = connect();
    } catch (err) {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      return resolve({ failure: describeSocketError(err) });
    }
    socket.once('error', onError);
    socket.once(readyEvent, () => finish({ socket }));
  });
}
