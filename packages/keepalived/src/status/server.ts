/**
 * The status socket: a Unix stream socket on which the daemon answers every connection with one JSON
 * document (its pid and the director's status) and closes it. `readStatus` (client.ts) reads it.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname } from 'node:path';
import type { DirectorStatus } from '../director/types';
import type { VrrpStatus } from '../vrrp/runtime';

export const DEFAULT_STATUS_SOCKET = '/run/tsipvs/keepalived.sock';

/** What the socket sends: DirectorStatus as JSON (dates as ISO strings). */
export interface StatusDocument {
  readonly version: 1;
  readonly pid: number;
  readonly status: DirectorStatus;
  /** The VRRP instances, when the daemon runs them. */
  readonly vrrp?: VrrpStatus;
}

/** A value as it comes back from JSON: dates become ISO strings. */
export type Jsonified<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? ReadonlyArray<Jsonified<U>>
    : T extends object
      ? { readonly [K in keyof T]: Jsonified<T[K]> }
      : T;

export type StatusReport = Jsonified<StatusDocument>;

export interface StatusServer {
  readonly path: string;
  /** Stops answering and removes the socket file. */
  close(): Promise<void>;
}

/** Whether something answers on the socket at `path` (false: nothing there, or a socket left behind). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Listens on `path` (its folder is made when missing). A socket file left by a daemon that is gone is
 * replaced; one that still answers is another daemon's: that is an error.
 */
export async function startStatusServer(path: string, pid: number, status: () => DirectorStatus, vrrp?: () => VrrpStatus | undefined): Promise<StatusServer> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  if (await answers(path)) throw new Error(`another daemon answers on the status socket ${path} (--status-socket names another)`);
  rmSync(path, { force: true });
  const server = createServer((socket) => {
    socket.on('error', () => undefined); // a client that went away
    let text: string;
    try {
      const instances = vrrp?.();
      text = JSON.stringify({ version: 1, pid, status: status(), ...(instances ? { vrrp: instances } : {}) } satisfies StatusDocument);
    } catch (error) {
      text = JSON.stringify({ version: 1, pid, error: error instanceof Error ? error.message : String(error) });
    }
    socket.end(`${text}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`cannot listen on the status socket ${path}: ${error.message}`)));
    server.listen(path, () => resolve());
  });
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        // net.Server removes its socket file when it closes
        server.close(() => resolve());
      }),
  };
}
