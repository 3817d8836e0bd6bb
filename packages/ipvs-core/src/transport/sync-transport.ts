/**
 * A netlink transport that blocks: one NETLINK_GENERIC socket driven through libc (koffi), each
 * request sent and its answer read before the call returns. Under an emulated or busy CPU the cost of
 * a dump is the round of JS callbacks npm `netlink`'s libuv poll takes per datagram; reading the
 * socket in a loop removes it (see docs/architecture.md, "Two transports").
 *
 * Every receive has a deadline (SO_RCVTIMEO): a request fails once `timeoutMs` passed without its
 * answer, a dump once the kernel was silent that long between two parts, with the same
 * NetlinkTransportError (ETIMEDOUT) the asynchronous transport gives. A transport failure (deadline,
 * socket error such as ENOBUFS, a truncated or unreadable datagram) closes the socket; the next
 * request opens a new one. Answers to other sequence numbers or from another port are skipped (a late
 * answer to a request that timed out).
 *
 * The `Transport` methods return settled promises around the blocking calls, so the client and
 * everything above it run unchanged; the `*Sync` methods serve callers that want no promise at all.
 */
import { IpvsProtocolError, NetlinkError, NetlinkTransportError } from '../errors';
import { Errno } from '../errno';
import {
  AF_NETLINK, failed, libc, LibcError, MSG_TRUNC, type ReceiveRing, SOCK_CLOEXEC, SOCK_RAW, SOL_SOCKET, SO_RCVBUF, SO_RCVTIMEO, SO_SNDBUF,
} from '../libc/libc';
import { NETLINK_GENERIC, NLMSG_DONE, NLMSG_ERROR } from '../netlink/constants';
import { align4, checkFraming, errnoAt, messageAt, setAckFlag, setSequence, type NetlinkMessage, type RequestSequence } from '../netlink/message';
import { abortReason, closedError, describeErrno } from './netlink-transport';
import {
  DEFAULT_TIMEOUT_MS, DEFAULT_WINDOW, MAX_WINDOW, NO_ANSWER, NOT_SENT, type BatchOutcome, type DumpVisitor, type NetlinkTransportOptions,
  type Transport,
} from './transport';

/** Runs `fn` where sockets are to be created (e.g. inside another network namespace) and returns its result. */
export type EnterNamespace = <T>(fn: () => T) => T;

export interface SyncTransportOptions extends NetlinkTransportOptions {
  /** SO_RCVBUF to ask for (default 1 MiB; the kernel caps it at net.core.rmem_max). */
  readonly recvBufferSize?: number;
  /** Wraps the creation of every socket (socket() and bind()); a socket stays where it was created. */
  readonly enter?: EnterNamespace;
}

/** A generic netlink socket and the port id the kernel gave it. */
interface OpenSocket {
  readonly fd: number;
  readonly port: number;
}

/**
 * Receive slots of a page (at most 8 KiB), 16 of them. The kernel sizes a dump's parts by the largest
 * buffer the socket ever read into (up to 32 KiB, and never less than NLMSG_GOODSIZE: a page less the
 * skb overhead, on pages up to 8 KiB), so with page-sized slots each part is one page, cheap for the
 * kernel to allocate, and never more than a slot holds. The kernel makes a dump's next part (or its
 * DONE) while the previous one is being read, so one call takes up to 16 parts. Measured in the VM
 * (2,000 dumps of 10 real servers, sockets taking turns): 64 KiB buffers cost a third more kernel time.
 */
function smallSlotSize(): number {
  return Math.min(libc().pageSize(), 8192);
}
const SMALL_SLOTS = 16;
/**
 * Slots for dumps of many parts (`largeParts`): the list of services. IPVS resumes that dump by
 * counting services from the start of its table, so each part costs the kernel a walk over all the
 * services before it: small parts make a long list quadratic (in the VM, 16,000 services took 620 ms
 * per dump in pages, 230 ms in 32 KiB parts). The socket keeps the larger size once read into
 * (see `SyncTransport.socketFor`).
 */
const LARGE_SLOT_SIZE = 32 * 1024;
const LARGE_SLOTS = 4;

/** How a dump's answer is read (`SyncTransport.dumpEachSync`). */
export interface DumpReading {
  /** The datagram is the receive buffer, overwritten by the next one (no copy): for visitors that keep nothing of it. */
  readonly transient?: boolean;
  /** Read in large parts: for long dumps the kernel resumes by counting (see `LARGE_SLOT_SIZE`). */
  readonly largeParts?: boolean;
}

/** A batch gives Node's event loop a turn this often (ms) so that signals, e.g. SIGINT, are seen. */
const BATCH_YIELD_MS = 50;

/**
 * Opens a bound NETLINK_GENERIC socket with SO_RCVTIMEO = `timeoutMs`: the one place the blocking
 * transport creates sockets (`enter` wraps socket() and bind()). Throws NetlinkTransportError.
 */
export function openGenericSocket(timeoutMs: number, options: SyncTransportOptions = {}): OpenSocket {
  const c = libc();
  const enter: EnterNamespace = options.enter ?? ((fn) => fn());
  const fd = enter(() => {
    const created = c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
    if (created < 0) throw failed('socket');
    const address = Buffer.alloc(12); // sockaddr_nl: family, pad, pid 0 (the kernel picks), groups 0
    address.writeUInt16LE(AF_NETLINK, 0);
    if (c.bind(created, address, address.length) < 0) {
      const error = failed('bind');
      c.close(created);
      throw error;
    }
    return created;
  });
  try {
    const size = Buffer.alloc(4);
    size.writeInt32LE(options.recvBufferSize ?? 1 << 20);
    if (c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, size, 4) < 0) throw failed('setsockopt', 'SO_RCVBUF');
    size.writeInt32LE(1 << 20);
    if (c.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, size, 4) < 0) throw failed('setsockopt', 'SO_SNDBUF');
    const timeval = Buffer.alloc(16); // struct timeval on 64-bit Linux: tv_sec, tv_usec
    timeval.writeBigInt64LE(BigInt(Math.floor(timeoutMs / 1000)), 0);
    timeval.writeBigInt64LE(BigInt((timeoutMs % 1000) * 1000), 8);
    if (c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeval, 16) < 0) throw failed('setsockopt', 'SO_RCVTIMEO');
    const address = Buffer.alloc(12);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(12);
    if (c.getsockname(fd, address, length) < 0) throw failed('getsockname');
    return { fd, port: address.readUInt32LE(4) };
  } catch (error) {
    c.close(fd);
    throw error;
  }
}

/** A libc failure as the transports report it. */
function socketError(error: unknown): unknown {
  return error instanceof LibcError ? new NetlinkTransportError(error.errno, `cannot open a generic netlink socket: ${error.message}`) : error;
}

export class SyncTransport implements Transport {
  private readonly timeoutMs: number;
  private readonly window: number;
  private socket: OpenSocket | undefined;
  private closed = false;
  private nextSeq = 1;
  private readonly smallRing: ReceiveRing;
  /** Made on the first dump read in large parts. */
  private largeRing: ReceiveRing | undefined;
  /** The ring the running exchange reads into (the large one: the socket has been read in large parts). */
  private ring: ReceiveRing;
  /** Datagrams of the last receive call (`received`), and the next one to hand out. */
  private received = 0;
  private nextSlot = 0;
  /** An exchange is running (its visitor may hold a view of the ring). */
  private exchanging = false;

  /** Opens the socket at once (a failure throws NetlinkTransportError with the errno). */
  constructor(private readonly options: SyncTransportOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.window = Math.max(1, Math.min(options.window ?? DEFAULT_WINDOW, MAX_WINDOW));
    this.smallRing = libc().receiveRing(SMALL_SLOTS, smallSlotSize());
    this.ring = this.smallRing;
    try {
      this.open();
    } catch (error) {
      this.smallRing.release();
      throw error;
    }
  }

  // ---- blocking calls ----

  /** One doit request (REQUEST|ACK): the reply messages that came before the ACK. */
  requestSync(message: Buffer): NetlinkMessage[] {
    const replies: NetlinkMessage[] = [];
    this.exchange(message, false, (datagram, start) => replies.push(messageAt(datagram, start)));
    return replies;
  }

  /**
   * One dump: each message goes to `visit` where it lies in the received datagram (one Buffer per
   * datagram unless `reading.transient`). A visitor that throws is called no more; the dump is read
   * to its end, then that error is thrown.
   */
  dumpEachSync(message: Buffer, visit: DumpVisitor, reading: DumpReading = {}): void {
    this.exchange(message, true, visit, reading);
  }

  // ---- Transport ----

  request(message: Buffer): Promise<NetlinkMessage[]> {
    return settled(() => this.requestSync(message));
  }

  dump(message: Buffer): Promise<NetlinkMessage[]> {
    return settled(() => {
      const replies: NetlinkMessage[] = [];
      this.dumpEachSync(message, (datagram, start) => replies.push(messageAt(datagram, start)));
      return replies;
    });
  }

  dumpEach(message: Buffer, visit: DumpVisitor): Promise<void> {
    return settled(() => this.dumpEachSync(message, visit));
  }

  /**
   * `window` requests per datagram, only the last with NLM_F_ACK (the kernel answers a failed request
   * with an error whatever its flags); the kernel carries out a datagram while it is being sent, so
   * its answers are read right after. Between datagrams Node's event loop gets a turn now and then,
   * so that `signal` (and the signal handlers behind it) can stop the batch.
   */
  async batch(requests: RequestSequence, signal?: AbortSignal): Promise<BatchOutcome> {
    const results = new Array<number>(requests.length).fill(NOT_SENT);
    let failure: Error | undefined;
    let turn = Date.now();
    for (let first = 0; first < requests.length; first += this.window) {
      if (this.closed) failure = closedError();
      else if (signal?.aborted) failure = abortReason(signal);
      if (failure) break;
      try {
        this.sendGroup(requests, first, Math.min(requests.length, first + this.window), results);
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
        break;
      }
      if (Date.now() - turn >= BATCH_YIELD_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        turn = Date.now();
      }
    }
    return { results, failure };
  }

  /**
   * Closes the socket and frees the receive ring; a visitor that closes the transport during a dump
   * still reads valid memory until its visit returns (the ring goes when the exchange ends).
   */
  close(): void {
    this.closed = true;
    this.drop();
    if (!this.exchanging) this.releaseRings();
  }

  // ---- internals ----

  private open(): OpenSocket {
    if (this.closed) throw closedError();
    try {
      this.socket = openGenericSocket(this.timeoutMs, this.options);
    } catch (error) {
      throw socketError(error);
    }
    return this.socket;
  }

  private drop(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.received = 0;
    this.nextSlot = 0;
    if (socket) libc().close(socket.fd);
  }

  private releaseRings(): void {
    this.smallRing.release();
    this.largeRing?.release();
  }

  /**
   * The socket for an exchange read in large or small parts, and the ring it reads into. A socket once
   * read in large parts gets every later part that large, so going back to small parts takes a new
   * socket. Datagrams left in the other ring are answers nobody waits for any more (they would be skipped).
   */
  private socketFor(largeParts: boolean): OpenSocket {
    if (this.closed) throw closedError();
    const large = this.ring !== this.smallRing;
    if (largeParts !== large) {
      if (large) this.drop();
      this.ring = largeParts ? (this.largeRing ??= libc().receiveRing(LARGE_SLOTS, LARGE_SLOT_SIZE)) : this.smallRing;
      this.received = 0;
      this.nextSlot = 0;
    }
    return this.socket ?? this.open();
  }

  /** A transport failure: the socket is not trusted any more (the next request opens another). */
  private fail(error: Error): never {
    this.drop();
    throw error;
  }

  private sequence(count: number): number {
    if (this.nextSeq + count > 0x7fffffff) this.nextSeq = 1;
    const seq = this.nextSeq;
    this.nextSeq += count;
    return seq;
  }

  private send(socket: OpenSocket, data: Buffer): void {
    for (;;) {
      const sent = libc().send(socket.fd, data, data.length, 0);
      if (sent === data.length) return;
      const errno = sent < 0 ? libc().errno() : Errno.EMSGSIZE;
      if (errno === Errno.EINTR) continue;
      this.fail(new NetlinkTransportError(errno, `sending to the kernel failed: ${describeErrno(errno)}`));
    }
  }

  /**
   * The next datagram, framing checked, in a Buffer of its own unless `transient` (then it is valid
   * until the next receive call); `since`: when the wait began.
   */
  private receive(socket: OpenSocket, since: number, transient = false): Buffer {
    if (this.nextSlot >= this.received) this.receiveSome(socket, since);
    const slot = this.nextSlot++;
    const length = this.ring.length(slot);
    const buffer = this.ring.buffers[slot]!;
    if (length > buffer.length) {
      this.fail(new NetlinkTransportError(Errno.EMSGSIZE, `a reply of ${length} bytes did not fit the ${buffer.length}-byte buffer`));
    }
    // a copy of its own: decoded objects keep the bytes of their counters (read on first use)
    const datagram = transient ? buffer.subarray(0, length) : Buffer.allocUnsafe(length);
    if (!transient) buffer.copy(datagram, 0, 0, length);
    try {
      checkFraming(datagram);
    } catch (error) {
      this.fail(error instanceof Error ? error : new IpvsProtocolError(String(error)));
    }
    return datagram;
  }

  /** Waits for the next datagram and takes those already queued behind it, up to the ring's slots. */
  private receiveSome(socket: OpenSocket, since: number): void {
    for (;;) {
      const count = libc().recvmmsg(socket.fd, this.ring, this.ring.buffers.length, MSG_TRUNC);
      if (count > 0) {
        this.received = count;
        this.nextSlot = 0;
        return;
      }
      const errno = count < 0 ? libc().errno() : Errno.EAGAIN;
      // a signal cut the wait short: wait on, within the deadline
      if (errno === Errno.EINTR && Date.now() - since < this.timeoutMs) continue;
      if (errno === Errno.EAGAIN || errno === Errno.EINTR) {
        this.fail(new NetlinkTransportError(Errno.ETIMEDOUT, `no reply from the kernel within ${this.timeoutMs} ms`));
      }
      this.fail(new NetlinkTransportError(errno, `the netlink socket failed: ${describeErrno(errno)}`));
    }
  }

  /** Sends one request and reads its answer: reply messages to `visit`, then the ACK, the error or DONE. */
  private exchange(message: Buffer, dump: boolean, visit: DumpVisitor, reading: DumpReading = {}): void {
    this.exchanging = true;
    try {
      this.readAnswer(message, dump, visit, reading.transient ?? false, this.socketFor(reading.largeParts ?? false));
    } finally {
      this.exchanging = false;
      if (this.closed) this.releaseRings();
    }
  }

  private readAnswer(message: Buffer, dump: boolean, visit: DumpVisitor, transient: boolean, socket: OpenSocket): void {
    const seq = this.sequence(1);
    setSequence(message, seq);
    this.send(socket, message);
    let since = Date.now();
    let visitorError: Error | undefined;
    for (;;) {
      const datagram = this.receive(socket, since, transient);
      for (let position = 0; position < datagram.length;) {
        const length = datagram.readUInt32LE(position);
        const type = datagram.readUInt16LE(position + 4);
        if (datagram.readUInt32LE(position + 8) === seq && datagram.readUInt32LE(position + 12) === socket.port) {
          if (type === NLMSG_ERROR || (type === NLMSG_DONE && dump)) {
            const errno = this.errnoOf(datagram, position, length, type);
            if (visitorError) throw visitorError;
            if (errno !== 0) throw new NetlinkError(errno);
            return;
          }
          if (!visitorError) {
            try {
              visit(datagram, position, position + length);
            } catch (error) {
              visitorError = error instanceof Error ? error : new IpvsProtocolError(String(error));
            }
          }
        }
        position += align4(length);
      }
      // a dump's deadline is the silence between two parts; a request's runs from its sending
      if (dump) since = Date.now();
      else if (Date.now() - since >= this.timeoutMs) {
        this.fail(new NetlinkTransportError(Errno.ETIMEDOUT, `no reply from the kernel within ${this.timeoutMs} ms`));
      }
    }
  }

  /** The positive errno of an ERROR or DONE message; an unreadable one fails the transport. */
  private errnoOf(datagram: Buffer, position: number, length: number, type: number): number {
    let errno: number;
    try {
      errno = errnoAt(datagram, position, length, type);
    } catch (error) {
      this.fail(error instanceof Error ? error : new IpvsProtocolError(String(error)));
    }
    if (type === NLMSG_DONE) return Math.abs(errno);
    if (errno < 0) this.fail(new IpvsProtocolError(`positive error code ${-errno} in an NLMSG_ERROR message`));
    return errno || 0; // an ACK's code is -0 once negated
  }

  /** Requests `first..end-1` of a batch as one datagram; their answers into `results`. */
  private sendGroup(requests: RequestSequence, first: number, end: number, results: number[]): void {
    const socket = this.socketFor(false);
    const seq = this.sequence(end - first);
    for (let i = first; i < end; i++) {
      const request = requests.request(i);
      setSequence(request, seq + (i - first));
      setAckFlag(request, i === end - 1);
      results[i] = NO_ANSWER;
    }
    const parts = requests.datagram(first, end);
    this.send(socket, parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    const since = Date.now();
    const last = seq + (end - first - 1);
    for (;;) {
      const datagram = this.receive(socket, since);
      for (let position = 0; position < datagram.length;) {
        const length = datagram.readUInt32LE(position);
        const answered = datagram.readUInt32LE(position + 8);
        if (answered >= seq && answered <= last && datagram.readUInt32LE(position + 12) === socket.port
          && datagram.readUInt16LE(position + 4) === NLMSG_ERROR) {
          results[first + (answered - seq)] = this.errnoOf(datagram, position, length, NLMSG_ERROR);
          if (answered === last) {
            // answered in order: the silent requests without an error reply were carried out
            for (let i = first; i < end; i++) if (results[i] === NO_ANSWER) results[i] = 0;
            return;
          }
        }
        position += align4(length);
      }
      if (Date.now() - since >= this.timeoutMs) {
        this.fail(new NetlinkTransportError(Errno.ETIMEDOUT, `no reply from the kernel within ${this.timeoutMs} ms`));
      }
    }
  }
}

/** A blocking call's result as a settled promise. */
function settled<T>(run: () => T): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error);
  }
}
