/**
 * One bulk writer per IPVS table at a time. IPVS itself has no locking: two programs that each plan a
 * change from what they read would interleave their writes. The lock is an abstract UNIX socket name
 * (`@tsipvs-ipvs-table`): binding it is exclusive among the processes of one network namespace (the
 * abstract namespace is per network namespace, like the IPVS table), and the kernel lets go of it when
 * its holder exits or crashes, so a lock is never left behind. The lock of another namespace is
 * the same name bound by a socket created in that namespace (`netns`).
 */
import type * as Net from 'node:net';
import { openNetnsScope, type NetnsEnter, type NetnsSpec } from './libc/netns';

/** The abstract socket name (the leading NUL is what makes it abstract). */
const LOCK_NAME = '\0tsipvs-ipvs-table';
const RETRY_MS = 100;

/** Another process holds the table's lock (still, after waiting `waitedMs` when asked to wait). */
export class IpvsTableBusyError extends Error {
  override readonly name = 'IpvsTableBusyError';
  readonly code = 'EBUSY';
  constructor(readonly waitedMs: number | undefined) {
    super(
      waitedMs === undefined
        ? 'another tsipvs is changing this IPVS table (wait for it with --wait)'
        : `another tsipvs is changing this IPVS table (still busy after waiting ${(waitedMs / 1000).toFixed(1)} s)`,
    );
  }
}

export interface IpvsTableLock {
  /** Lets the next writer in; safe to call more than once. */
  release(): Promise<void>;
}

export interface LockOptions {
  /** How long to wait for a busy lock, in milliseconds: 0 (the default) fails at once, Infinity waits forever. */
  readonly waitMs?: number;
  /** Given when the wait should end early (a signal): the promise then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** The network namespace whose table to lock (see `OpenOptions.netns`; default: the caller's). */
  readonly netns?: NetnsSpec;
}

function tryBind(name: string, enter: NetnsEnter): Promise<Net.Server | undefined> {
  // loaded on first use: node:net (and the streams under it) would cost every importer of the core its start-up
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const net = require('node:net') as typeof Net;
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(undefined) : reject(error)));
    // listen() creates and binds the socket before it returns (errors are emitted later): inside
    // `enter`, the name is taken in that namespace's abstract socket namespace
    enter(() => server.listen(name, () => {
      server.unref(); // holding the lock must not keep the process alive
      resolve(server);
    }));
  });
}

/** Takes this network namespace's IPVS table lock, waiting up to `waitMs` for its holder to finish. */
export function lockIpvsTable(options: LockOptions = {}): Promise<IpvsTableLock> {
  return lockAbstractName(LOCK_NAME, options);
}

/** The lock under another abstract name (`\0...`): tests take their own, not the machine's. */
export async function lockAbstractName(name: string, options: LockOptions = {}): Promise<IpvsTableLock> {
  const namespace = openNetnsScope(options.netns);
  try {
    return await takeLock(name, options, namespace.enter);
  } finally {
    namespace.close(); // a bound socket stays in its namespace
  }
}

async function takeLock(name: string, options: LockOptions, enter: NetnsEnter): Promise<IpvsTableLock> {
  const waitMs = options.waitMs ?? 0;
  const started = Date.now();
  for (;;) {
    options.signal?.throwIfAborted();
    const server = await tryBind(name, enter);
    if (server) {
      let released: Promise<void> | undefined;
      return { release: () => (released ??= new Promise((resolve) => server.close(() => resolve()))) };
    }
    const waited = Date.now() - started;
    if (waited >= waitMs) throw new IpvsTableBusyError(waitMs > 0 ? waited : undefined);
    await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_MS, waitMs - waited)));
  }
}
