/**
 * Network namespaces: resolving a namespace spec into an open handle, and running synchronous code
 * with the calling thread switched into it (setns(2), through the koffi bindings of libc.ts).
 *
 * A socket belongs to the namespace of the thread that created it, for its whole life; so do the
 * abstract UNIX socket names it binds and the /proc/sys/net and /proc/thread-self/net files a thread
 * opens. Node runs JavaScript, and its synchronous calls (socket creation of npm `netlink`,
 * `fs.*Sync`, `server.listen` on a UNIX path), on one thread: switching that thread for the length of
 * a synchronous call puts whatever the call creates in the target namespace. Asynchronous `fs` calls
 * run on libuv's pool threads, which never switch: open files synchronously inside `enter`.
 */
import { closeSync, constants, fstatSync, openSync, statSync, writeSync } from 'node:fs';
import { strerror } from '../errno';
import { CLONE_NEWNET, libc, NS_GET_NSTYPE } from './libc';

/** Where `ip netns add NAME` bind-mounts its namespaces. */
export const NETNS_RUN_DIRECTORY = '/run/netns';
const OWN_NAMESPACE = '/proc/thread-self/ns/net';

/**
 * A namespace: a name under /run/netns (no '/'), a path (`/proc/PID/ns/net`, a bind mount), an open
 * file descriptor of one (the caller keeps it open and closes it), or a handle already opened.
 */
export type NetnsSpec = string | number | NetnsHandle;

export type NetnsErrorCode =
  /** The name or path does not exist (`ip netns del`eted, a process that exited). */
  | 'not-found'
  /** It exists but cannot be opened (EACCES, EPERM...). */
  | 'unreadable'
  /** It opens, but is no network namespace (a plain file, another kind of namespace, a closed fd). */
  | 'not-a-netns'
  /** Not a name, path or descriptor at all. */
  | 'invalid-spec'
  /** setns(2) refused (no CAP_SYS_ADMIN over it, most often). */
  | 'enter-failed';

const PROBLEM: Readonly<Record<NetnsErrorCode, string>> = {
  'not-found': 'not found',
  unreadable: 'cannot be opened',
  'not-a-netns': 'is not a network namespace',
  'invalid-spec': 'is not a valid namespace',
  'enter-failed': 'cannot be entered',
};

/** A namespace that cannot be used; raised before anything is created in it. */
export class NetnsError extends Error {
  override readonly name = 'NetnsError';

  constructor(
    readonly code: NetnsErrorCode,
    /** The spec as given (a name, a path, `fd N`). */
    readonly namespace: string,
    /** The file it resolved to (for a name: /run/netns/NAME). */
    readonly path: string | undefined,
    /** What went wrong, e.g. strerror's text. */
    readonly reason: string,
    /** The errno code behind it, when there is one ('ENOENT'). */
    readonly errnoCode?: string,
  ) {
    super(`network namespace ${JSON.stringify(namespace)} ${PROBLEM[code]}${path && path !== namespace ? ` (${path})` : ''}: ${reason}`);
  }
}

/** An open network namespace. */
export interface NetnsHandle {
  /** A descriptor of the namespace file (nsfs). */
  readonly fd: number;
  /** The spec it came from, for messages. */
  readonly name: string;
  /** Its inode: the same number `ip netns identify` and /proc/PID/ns/net (`net:[INODE]`) show. */
  readonly inode: number;
  /** Runs `fn` (synchronous) with the calling thread in this namespace; see `enterNetns`. */
  enter<T>(fn: () => T): T;
  /** Closes the descriptor (not one the caller passed in as a number); idempotent. */
  close(): void;
}

/** Runs code in a namespace: `enter` of a handle, or the identity when no namespace was asked for. */
export type NetnsEnter = <T>(fn: () => T) => T;

/** The identity `NetnsEnter`: the caller's own namespace. */
export const inOwnNetns: NetnsEnter = (fn) => fn();

function systemError(error: unknown): { code: string; reason: string } {
  const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
  const errno = (error as NodeJS.ErrnoException).errno;
  return { code, reason: typeof errno === 'number' ? strerror(Math.abs(errno)) : (error as Error).message };
}

/** The inode of the network namespace a descriptor refers to, or undefined when it is not one. */
function netnsInodeOf(fd: number): number | undefined {
  let inode: number;
  try {
    inode = fstatSync(fd).ino;
  } catch {
    return undefined; // not an open descriptor
  }
  // a namespace file (nsfs, also through a bind mount) answers NS_GET_NSTYPE; a plain file does not
  return libc().ioctl(fd, NS_GET_NSTYPE) === CLONE_NEWNET ? inode : undefined;
}

/** Where a spec string points: a name under /run/netns, or a path as given. */
export function netnsPath(spec: string): string {
  if (spec.includes('/')) return spec;
  if (spec === '' || spec === '.' || spec === '..' || spec.includes('\0')) {
    throw new NetnsError('invalid-spec', spec, undefined, 'expected a name under /run/netns, a path or a file descriptor');
  }
  return `${NETNS_RUN_DIRECTORY}/${spec}`;
}

/**
 * Opens a namespace spec into a handle, checking it is a network namespace. Throws `NetnsError`.
 * A handle passed in is returned as is (the caller still owns it).
 */
export function openNetns(spec: NetnsSpec): NetnsHandle {
  if (typeof spec === 'object') return spec;
  if (typeof spec === 'number') {
    const name = `fd ${spec}`;
    if (!Number.isInteger(spec) || spec < 0) throw new NetnsError('invalid-spec', name, undefined, 'a file descriptor is an integer ≥ 0');
    const inode = netnsInodeOf(spec);
    if (inode === undefined) throw new NetnsError('not-a-netns', name, undefined, 'not an open network namespace file');
    return handle(spec, name, inode, false);
  }
  const path = netnsPath(spec);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY); // libuv adds O_CLOEXEC
  } catch (error) {
    const { code, reason } = systemError(error);
    throw new NetnsError(code === 'ENOENT' || code === 'ENOTDIR' ? 'not-found' : 'unreadable', spec, path, reason, code);
  }
  const inode = netnsInodeOf(fd);
  if (inode === undefined) {
    closeSync(fd);
    throw new NetnsError('not-a-netns', spec, path, 'not a network namespace file (expected a bind mount of /proc/PID/ns/net, as `ip netns add` makes)');
  }
  return handle(fd, spec, inode, true);
}

function handle(fd: number, name: string, inode: number, owned: boolean): NetnsHandle {
  let closed = false;
  const self: NetnsHandle = {
    fd, name, inode,
    enter: (fn) => {
      if (closed) throw new NetnsError('not-a-netns', name, undefined, 'the handle is closed');
      return enterNetns(self, fn);
    },
    close: () => {
      if (closed) return;
      closed = true;
      if (owned) closeSync(fd);
    },
  };
  return self;
}

/**
 * Runs `fn` with the calling thread in the namespace, then switches it back, also when `fn` throws.
 * `fn` must be synchronous: what a returned promise does after its first `await` runs back in the
 * caller's namespace (sockets it created before that stay where they were created).
 *
 * The thread's own namespace is opened from /proc/thread-self/ns/net before the switch. Switching
 * back cannot fail unless the process lost its privileges meanwhile; if it does, the thread would
 * go on creating sockets in the wrong namespace, so the process aborts (a message on stderr, then
 * SIGABRT): nothing it does afterwards could be trusted.
 */
export function enterNetns<T>(namespace: NetnsHandle, fn: () => T): T {
  const c = libc();
  let own: number;
  try {
    own = openSync(OWN_NAMESPACE, constants.O_RDONLY);
  } catch (error) {
    throw new NetnsError('enter-failed', namespace.name, undefined, `cannot open ${OWN_NAMESPACE} to come back to: ${systemError(error).reason}`);
  }
  try {
    if (c.setns(namespace.fd, CLONE_NEWNET) < 0) {
      const errno = c.errno();
      throw new NetnsError('enter-failed', namespace.name, undefined, `setns: ${strerror(errno)}`);
    }
    try {
      return fn();
    } finally {
      if (c.setns(own, CLONE_NEWNET) < 0) {
        const errno = c.errno();
        writeSync(2, `tsipvs: cannot switch this thread back from network namespace ${JSON.stringify(namespace.name)} to its own: setns: ${strerror(errno)}; aborting\n`);
        process.abort();
      }
    }
  } finally {
    closeSync(own);
  }
}

/** Opens `spec`, runs `fn` in it (see `enterNetns`) and closes what it opened. */
export function withNetns<T>(spec: NetnsSpec, fn: () => T): T {
  const opened = openNetns(spec);
  try {
    return opened.enter(fn);
  } finally {
    if (opened !== spec) opened.close();
  }
}

/** The inode of a namespace (NetnsError when it cannot be opened), else of the calling thread's. */
export function netnsInode(spec?: NetnsSpec): number {
  if (spec === undefined) return statSync(OWN_NAMESPACE).ino;
  const opened = openNetns(spec);
  try {
    return opened.inode;
  } finally {
    if (opened !== spec) opened.close();
  }
}

/**
 * The namespace a client creates its sockets in: `enter` runs socket creation there (the identity
 * without a spec); `close` closes the descriptor if it was opened here. Opening it first means a
 * missing namespace fails before any socket exists.
 */
export interface NetnsScope {
  readonly enter: NetnsEnter;
  /** The handle, when a namespace was asked for. */
  readonly handle: NetnsHandle | undefined;
  close(): void;
}

export function openNetnsScope(spec: NetnsSpec | undefined): NetnsScope {
  if (spec === undefined) return { enter: inOwnNetns, handle: undefined, close: () => undefined };
  const opened = openNetns(spec);
  return { enter: (fn) => opened.enter(fn), handle: opened, close: () => (opened !== spec ? opened.close() : undefined) };
}

/**
 * A new, empty network namespace, alive while the returned descriptor is open (tests: no /run/netns
 * entry, nothing to clean up). unshare(2) moves the calling thread into it; setns brings it back.
 */
export function unshareNetns(): number {
  const c = libc();
  const own = openSync(OWN_NAMESPACE, constants.O_RDONLY);
  try {
    if (c.unshare(CLONE_NEWNET) < 0) throw new NetnsError('enter-failed', 'new namespace', undefined, `unshare: ${strerror(c.errno())}`);
    try {
      return openSync(OWN_NAMESPACE, constants.O_RDONLY);
    } finally {
      if (c.setns(own, CLONE_NEWNET) < 0) {
        writeSync(2, `tsipvs: cannot switch this thread back from a new network namespace: setns: ${strerror(c.errno())}; aborting\n`);
        process.abort();
      }
    }
  } finally {
    closeSync(own);
  }
}
