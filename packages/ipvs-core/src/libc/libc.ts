/**
 * The few libc calls Node has no API for, through `koffi` (an FFI with prebuilt binaries; see
 * docs/architecture.md for why koffi and not a native addon of our own). Loaded on first use: a
 * program that never needs them never loads the FFI. Every call returns the raw result; callers
 * turn a negative result into a `LibcError` with `failed()`, which reads errno right after the call.
 */
import { errnoCode, strerror } from '../errno';

/** A failed libc call: `syscall` names it, `errno` is positive. */
export class LibcError extends Error {
  override readonly name = 'LibcError';
  readonly code: string;

  constructor(readonly syscall: string, readonly errno: number, detail?: string) {
    super(`${syscall}${detail ? ` ${detail}` : ''}: ${strerror(errno)}`);
    this.code = errnoCode(errno);
  }
}

/** Typed bindings; buffers are passed as Node Buffers (koffi passes their memory). */
export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, address: Buffer, length: number): number;
  getsockname(fd: number, address: Buffer, length: Buffer): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number;
  send(fd: number, data: Buffer, length: number, flags: number): number;
  recv(fd: number, into: Buffer, length: number, flags: number): number;
  /** recv on one of koffi's worker threads: a blocking receive that leaves the event loop free. */
  recvAsync(fd: number, into: Buffer, length: number, flags: number): Promise<number>;
  sendto(fd: number, data: Buffer, length: number, flags: number, address: Buffer, addressLength: number): number;
  /** 0 when there is no such interface. */
  ifNameToIndex(name: string): number;
  close(fd: number): number;
  open(path: string, flags: number): number;
  setns(fd: number, nstype: number): number;
  /** ioctl(2) without an argument (e.g. NS_GET_NSTYPE). */
  ioctl(fd: number, request: number): number;
  /** Moves the calling thread into new namespaces (tests make throw-away network namespaces with it). */
  unshare(flags: number): number;
  /**
   * recvmmsg(2) into `ring`: up to `count` of its slots filled by one call, blocking for the first
   * datagram only (MSG_WAITFORONE is added to `flags`). Returns how many were received (or -1).
   */
  recvmmsg(fd: number, ring: ReceiveRing, count: number, flags: number): number;
  /** A `ReceiveRing` of `slots` buffers of `size` bytes each, in native memory of its own (see `ReceiveRing.release`). */
  receiveRing(slots: number, size: number): ReceiveRing;
  /** The memory page size (getpagesize(2)). */
  pageSize(): number;
  /** errno of the last failed call on this thread. */
  errno(): number;
}

/**
 * Receive buffers for recvmmsg(2): native memory seen from JavaScript as one Buffer per slot, and
 * the message headers (struct mmsghdr, each with one iovec) that point at them.
 */
export interface ReceiveRing {
  readonly buffers: readonly Buffer[];
  /** The real length of the datagram slot `index` got in the last call (more than its size: truncated). */
  length(index: number): number;
  /** The mmsghdr array, for recvmmsg. */
  readonly headers: unknown;
  /** Frees the native memory (a second call does nothing): the ring and its buffers must not be used after. */
  release(): void;
}

/** struct mmsghdr on 64-bit Linux: a 56-byte msghdr (msg_iov at 16, msg_iovlen at 24), then msg_len. */
const MMSGHDR_SIZE = 64;
const MSG_LEN_OFFSET = 56;
const IOVEC_SIZE = 16;
const MSG_WAITFORONE = 0x10000;

let bound: Libc | undefined;

type Koffi = typeof import('koffi');
type KoffiFunction = ReturnType<ReturnType<Koffi['load']>['func']>;

/**
 * koffi's native module. Its package's loader reads node's ELF header (twice) to choose between
 * glibc and musl builds, requires three modules and wraps deprecated aliases around the module:
 * under emulation that took 330-380 ms, the addon alone 70-80 ms. The glibc build of this platform is loaded straight from koffi's prebuilt
 * package when it is there (koffi is pinned, so its layout is known); anything else (musl, another
 * layout) goes through koffi's own loader.
 */
function loadKoffi(): Koffi {
  const prebuilt = `@koromix/koffi-${process.platform}-${process.arch}/${process.platform}_${process.arch}/koffi.node`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(prebuilt) as Koffi;
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('koffi') as Koffi;
  }
}

/** The bindings, loading koffi and libc on first use. */
export function libc(): Libc {
  if (bound) return bound;
  const koffi = loadKoffi();
  const lib = koffi.load('libc.so.6');
  // Each function is bound on its first call: binding parses its prototype, and a command calls a few.
  const lazily = (prototype: string): (() => KoffiFunction) => {
    let fn: KoffiFunction | undefined;
    return () => (fn ??= lib.func(prototype));
  };
  const call = (prototype: string): ((...args: unknown[]) => number) => {
    const fn = lazily(prototype);
    return (...args) => Number(fn()(...args));
  };
  // the blocking transport's calls per datagram: fixed arity, no rest array per call
  const send = lazily('long send(int, const void *, unsigned long, int)');
  const recv = lazily('long recv(int, _Out_ void *, unsigned long, int)');
  const recvmmsg = lazily('int recvmmsg(int, void *, unsigned int, int, void *)');
  bound = {
    socket: call('int socket(int, int, int)'),
    bind: call('int bind(int, const void *, unsigned int)'),
    getsockname: call('int getsockname(int, _Out_ void *, _Inout_ void *)'),
    setsockopt: call('int setsockopt(int, int, int, const void *, unsigned int)'),
    send: (fd, data, length, flags) => Number(send()(fd, data, length, flags)),
    recv: (fd, into, length, flags) => Number(recv()(fd, into, length, flags)),
    recvAsync: (fd, into, length, flags) =>
      new Promise((resolve, reject) => {
        recv().async(fd, into, length, flags, (error: unknown, n: unknown) => (error ? reject(error as Error) : resolve(Number(n))));
      }),
    sendto: call('long sendto(int, const void *, unsigned long, int, const void *, unsigned int)'),
    ifNameToIndex: call('unsigned int if_nametoindex(const char *)'),
    close: call('int close(int)'),
    open: call('int open(const char *, int)'),
    setns: call('int setns(int, int)'),
    unshare: call('int unshare(int)'),
    ioctl: call('int ioctl(int, unsigned long, ...)'),
    recvmmsg: (fd, ring, count, flags) => Number(recvmmsg()(fd, ring.headers, count, flags | MSG_WAITFORONE, null)),
    receiveRing: (slots, size) => {
      let released = false;
      const data = koffi.alloc('uint8_t', slots * size);
      const headerBytes = slots * (MMSGHDR_SIZE + IOVEC_SIZE);
      const headers = koffi.alloc('uint8_t', headerBytes);
      // user-space addresses are below 2^47: exact as numbers, so no BigInt arithmetic per slot
      const dataAddress = Number(koffi.address(data));
      const headerAddress = Number(koffi.address(headers));
      // 32-bit words in the machine's order (little-endian: the layout above is x86-64's and arm64's);
      // typed-array stores, not a Buffer method call per field
      const words = new Uint32Array(koffi.view(headers, headerBytes));
      words.fill(0);
      const setWord = (offset: number, value: number): void => {
        words[offset / 4] = value % 0x1_0000_0000;
        words[offset / 4 + 1] = Math.floor(value / 0x1_0000_0000);
      };
      const whole = koffi.view(data, slots * size);
      const buffers: Buffer[] = [];
      for (let i = 0; i < slots; i++) {
        const iovec = slots * MMSGHDR_SIZE + i * IOVEC_SIZE;
        setWord(iovec, dataAddress + i * size);
        setWord(iovec + 8, size);
        setWord(i * MMSGHDR_SIZE + 16, headerAddress + iovec);
        setWord(i * MMSGHDR_SIZE + 24, 1);
        buffers.push(Buffer.from(whole, i * size, size));
      }
      return {
        buffers,
        headers,
        length: (index) => words[(index * MMSGHDR_SIZE + MSG_LEN_OFFSET) / 4]!,
        release: () => {
          if (released) return;
          released = true;
          koffi.free(data);
          koffi.free(headers);
        },
      };
    },
    pageSize: call('int getpagesize()'),
    errno: () => koffi.errno(),
  };
  return bound;
}

/** The error of a call that just returned a negative result (errno read before anything else runs). */
export function failed(syscall: string, detail?: string): LibcError {
  return new LibcError(syscall, libc().errno(), detail);
}

export const O_RDONLY = 0;
export const O_CLOEXEC = 0o2000000;
export const CLONE_NEWNET = 0x40000000;
/** ioctl on a namespace file: which kind of namespace it is (a CLONE_NEW* flag); Linux 4.11+. */
export const NS_GET_NSTYPE = 0xb703;
export const SOL_SOCKET = 1;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_RCVTIMEO = 20;
export const SO_SNDTIMEO = 21;
export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
/** recv(): return the datagram's real length even when it did not fit. */
export const MSG_TRUNC = 0x20;
