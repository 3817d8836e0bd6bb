import { IpvsProtocolError, NetlinkError, NetlinkTransportError } from '../errors';
import { Errno, errnoCode, strerror } from '../errno';
import { NLMSG_DONE, NLMSG_ERROR } from '../netlink/constants';
import {
  align4, checkFraming, errnoAt, messageAt, setAckFlag, setSequence, type NetlinkMessage, type RequestSequence,
} from '../netlink/message';
import type { DatagramSocket } from '../netlink/socket';
import {
  DEFAULT_TIMEOUT_MS, DEFAULT_WINDOW, MAX_WINDOW, NO_ANSWER, NOT_SENT, type BatchOutcome, type DumpVisitor, type NetlinkTransportOptions,
  type Transport,
} from './transport';

interface Pending {
  readonly message: Buffer;
  readonly dump: boolean;
  /** A batch item: sent without NLM_F_ACK unless it closes its datagram (see `send`). */
  readonly batched: boolean;
  /** Batch items sent silently before this one in its datagram; they succeed when it is answered. */
  silentBefore: Pending[] | undefined;
  seq: number;
  readonly replies: NetlinkMessage[];
  /** A dump whose messages go to this visitor as they arrive instead of into `replies`. */
  readonly visit: DumpVisitor | undefined;
  /**
   * What the visitor threw: the dump still runs to its DONE (the kernel keeps the socket busy until
   * then, so a next dump sent earlier would be refused), without the visitor, then fails with this.
   */
  visitorError: Error | undefined;
  /** Time (ms) after which the request fails; dumps push it back on every part. */
  deadline: number;
  /** Called once, when the request is answered (no error) or fails. */
  readonly finish: (error: Error | undefined, replies: NetlinkMessage[]) => void;
}

/**
 * A batch waiting in the queue: its requests become `Pending` only as the window lets them out, so
 * a batch of any size costs a few objects per request in flight, not per request.
 */
class BatchJob {
  /** Index of the next request to send. */
  next = 0;
  private unsettled: number;
  private failure: Error | undefined;
  private readonly results: number[];

  constructor(
    readonly requests: RequestSequence,
    private readonly resolve: (outcome: BatchOutcome) => void,
  ) {
    this.unsettled = requests.length;
    this.results = new Array<number>(requests.length).fill(0);
  }

  get unsent(): number {
    return this.requests.length - this.next;
  }

  pending(index: number): Pending {
    return {
      message: this.requests.request(index), dump: false, batched: true, silentBefore: undefined, seq: 0, replies: [], visit: undefined,
      visitorError: undefined, deadline: 0,
      finish: (error) => this.settle(index, error),
    };
  }

  /** An answer (no error: ACK; a NetlinkError: the kernel's refusal), or a transport failure: no answer. */
  settle(index: number, error: Error | undefined): void {
    if (error) {
      if (isRefusal(error)) this.results[index] = error.errno;
      else {
        this.results[index] = NO_ANSWER;
        this.failure ??= error;
      }
    }
    if (--this.unsettled === 0) this.finish();
  }

  /** Sends nothing more: every request not sent yet is NOT_SENT; those in flight still settle. */
  stop(reason: Error): void {
    if (this.unsent === 0) return;
    this.failure ??= reason;
    while (this.next < this.requests.length) {
      this.results[this.next++] = NOT_SENT;
      this.unsettled--;
    }
    if (this.unsettled === 0) this.finish();
  }

  private finish(): void {
    this.resolve({ results: this.results, failure: this.failure });
  }
}

/** The kernel's own answer (an NLMSG_ERROR with an errno), as opposed to a failed exchange. */
function isRefusal(error: Error): error is NetlinkError {
  return error instanceof NetlinkError && !(error instanceof NetlinkTransportError);
}

/** The reason a stopped batch gives: the signal's, else a plain AbortError. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error(typeof reason === 'string' ? reason : 'the batch was stopped');
  error.name = 'AbortError';
  return error;
}

/**
 * Request/ACK matching over one netlink socket. Requests queue up and are sent in groups (several
 * messages per datagram) while fewer than `window` are unanswered; dumps go alone and one at a time
 * (the kernel runs one dump per socket). Every request has a deadline, enforced by one watchdog
 * timer per transport rather than a timer per request (batches hold thousands of requests).
 *
 * A transport failure (a missed deadline, a socket error, a send that fails, a reply whose framing or
 * error code cannot be read) fails every request in flight on the socket, stops a batch sent in part,
 * and closes the socket: nothing sent on it can be answered, or still be sent, afterwards. Given a way
 * to open sockets, the transport opens a new one for what is still queued and what comes next; given
 * a socket, it is done and fails them.
 */
export class NetlinkTransport implements Transport {
  private readonly timeoutMs: number;
  private readonly window: number;
  /** Requests and batches not (fully) sent yet: `queue[queueHead..]` (an index: shift() on a long array is O(n)). */
  private queue: Array<Pending | BatchJob> = [];
  private queueHead = 0;
  private watchdog: NodeJS.Timeout | undefined;
  /** A deadline check waiting for the socket to be read first (see `startWatchdog`). */
  private expiryCheck: NodeJS.Immediate | undefined;
  private readonly inFlight = new Map<number, Pending>();
  private dumpRunning = false;
  private nextSeq = 1;
  private closed = false;
  /** The socket in use; undefined after a failure closed it, until the next request opens one. */
  private socket: DatagramSocket | undefined;
  private readonly openSocket: (() => DatagramSocket) | undefined;
  /** Why the socket is gone when no new one can be opened. */
  private lostSocket: Error | undefined;

  /** `socket`: one socket, or a way to open one (then a socket closed after a failure is replaced). */
  constructor(socket: DatagramSocket | (() => DatagramSocket), options: NetlinkTransportOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.window = Math.max(1, Math.min(options.window ?? DEFAULT_WINDOW, MAX_WINDOW));
    this.openSocket = typeof socket === 'function' ? socket : undefined;
    this.attach(typeof socket === 'function' ? socket() : socket);
  }

  request(message: Buffer): Promise<NetlinkMessage[]> {
    return this.enqueue(message, false);
  }

  dump(message: Buffer): Promise<NetlinkMessage[]> {
    return this.enqueue(message, true);
  }

  async dumpEach(message: Buffer, visit: DumpVisitor): Promise<void> {
    await this.enqueue(message, true, visit);
  }

  batch(requests: RequestSequence, signal?: AbortSignal): Promise<BatchOutcome> {
    const unsent = (failure: Error | undefined): Promise<BatchOutcome> =>
      Promise.resolve({ results: new Array<number>(requests.length).fill(NOT_SENT), failure });
    if (requests.length === 0) return unsent(undefined);
    if (this.closed) return unsent(closedError());
    if (signal?.aborted) return unsent(abortReason(signal));
    return new Promise((resolve) => {
      const stop = (): void => {
        job.stop(abortReason(signal!));
        this.pump(); // lets the stopped job out of the queue
      };
      const job = new BatchJob(requests, (outcome) => {
        signal?.removeEventListener('abort', stop);
        resolve(outcome);
      });
      signal?.addEventListener('abort', stop, { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  close(): void {
    if (this.closed) return;
    this.failAll(closedError());
    this.closed = true;
    const socket = this.socket;
    this.socket = undefined;
    socket?.close();
  }

  private enqueue(message: Buffer, dump: boolean, visit?: DumpVisitor): Promise<NetlinkMessage[]> {
    if (this.closed) return Promise.reject(closedError());
    return new Promise((resolve, reject) => {
      const finish = (error: Error | undefined, replies: NetlinkMessage[]): void => (error ? reject(error) : resolve(replies));
      this.queue.push({ message, dump, batched: false, silentBefore: undefined, seq: 0, replies: [], visit, visitorError: undefined, deadline: 0, finish });
      this.pump();
    });
  }

  /** Takes `socket` into use; what an old socket still reports is ignored. */
  private attach(socket: DatagramSocket): void {
    this.socket = socket;
    socket.listen(
      (datagram) => {
        if (this.socket === socket) this.receive(datagram);
      },
      (errno) => {
        if (this.socket === socket) this.fail(new NetlinkTransportError(errno, `the netlink socket failed: ${describeErrno(errno)}`));
      },
    );
    socket.setActive(false);
  }

  /** The socket to send on: the current one, else a new one; undefined (and everything queued failed) if none can be had. */
  private usableSocket(): DatagramSocket | undefined {
    if (this.socket) return this.socket;
    if (this.openSocket) {
      try {
        this.attach(this.openSocket());
        return this.socket;
      } catch (error) {
        const errno = (error as { errno?: unknown }).errno;
        this.lostSocket = new NetlinkTransportError(typeof errno === 'number' ? Math.abs(errno) : Errno.EIO, `cannot open a new netlink socket: ${(error as Error).message}`);
      }
    }
    this.failAll(this.lostSocket ?? new NetlinkTransportError(Errno.EBADF, 'the netlink socket was closed after a failure'));
    return undefined;
  }

  /** Sends what the window allows: a run of doit requests in one datagram, a batch's next requests, or one dump alone. */
  private pump(): void {
    this.dropSent();
    while (this.queueHead < this.queue.length && this.inFlight.size < this.window) {
      const head = this.queue[this.queueHead]!;
      if (head instanceof BatchJob && head.unsent === 0) {
        this.queueHead++; // stopped before all of it was sent
        continue;
      }
      if (!(head instanceof BatchJob) && head.dump && (this.dumpRunning || this.inFlight.size > 0)) return;
      const socket = this.usableSocket();
      if (!socket) return;
      if (head instanceof BatchJob) {
        const first = head.next;
        const end = first + Math.min(head.unsent, this.window - this.inFlight.size);
        const group: Pending[] = [];
        for (let index = first; index < end; index++) group.push(head.pending(index));
        head.next = end;
        if (head.unsent === 0) this.queueHead++;
        this.send(socket, group, head.requests.datagram(first, end));
        continue;
      }
      if (head.dump) {
        this.queueHead++;
        this.dumpRunning = true;
        this.send(socket, [head], [head.message]);
        continue;
      }
      const group: Pending[] = [];
      for (let next = this.queue[this.queueHead]; next && !(next instanceof BatchJob) && !next.dump && this.inFlight.size + group.length < this.window; next = this.queue[++this.queueHead]) {
        group.push(next);
      }
      this.send(socket, group, group.map((p) => p.message));
    }
    this.dropSent();
  }

  /**
   * Lets go of what was sent (its callbacks, and through them whatever the caller collects): the
   * queue may never run empty while dumps keep coming, so the sent part is also cut off once it is
   * most of the array (amortised O(1) per request).
   */
  private dropSent(): void {
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (this.queueHead >= 64 && this.queueHead * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  /**
   * Sends a group as one datagram. Batch items other than the last go without NLM_F_ACK: the kernel
   * then answers them only if they fail, and handles a datagram's messages in order, so the ACK of
   * the last one means every silent one before it succeeded. One reply per datagram instead of one
   * per request; the number that may be answered is still bounded by the window. A send that fails
   * is a transport failure: the datagram may not have reached the kernel, and the socket is not
   * trusted any more.
   */
  private send(socket: DatagramSocket, group: Pending[], parts: readonly Buffer[]): void {
    const now = Date.now();
    let silent: Pending[] = [];
    for (const pending of group) {
      pending.seq = this.nextSeq;
      this.nextSeq = this.nextSeq >= 0x7fffffff ? 1 : this.nextSeq + 1;
      setSequence(pending.message, pending.seq);
      this.inFlight.set(pending.seq, pending);
      this.arm(pending, now);
      if (!pending.batched) continue;
      const closesGroup = pending === group[group.length - 1];
      setAckFlag(pending.message, closesGroup);
      if (closesGroup) {
        pending.silentBefore = silent;
        silent = [];
      } else silent.push(pending);
    }
    this.startWatchdog();
    const failed = (errno: number, why: string): void => {
      if (this.socket === socket) this.fail(new NetlinkTransportError(errno, `sending to the kernel failed: ${why}`));
    };
    try {
      socket.setActive(true);
      socket.send(parts, (errno) => failed(errno, describeErrno(errno)));
    } catch (error) {
      // npm `netlink` throws once its socket is closed (a polling error closes it underneath)
      failed(Errno.EBADF, error instanceof Error ? error.message : String(error));
    }
  }

  /** (Re)starts a request's deadline; dumps re-arm on every part, so only silence times out. */
  private arm(pending: Pending, now: number): void {
    pending.deadline = now + this.timeoutMs;
  }

  /**
   * Checks deadlines a few times per timeout period while anything is in flight, and stops itself
   * once nothing is (so back-to-back requests share one timer). Unreferenced: the socket is what
   * keeps the process alive while requests are pending. A missed deadline is a transport failure:
   * the answer was lost, and the socket is replaced.
   */
  private startWatchdog(): void {
    if (this.watchdog) return;
    const period = Math.max(1, Math.min(250, this.timeoutMs >> 2));
    this.watchdog = setInterval(() => {
      if (this.inFlight.size === 0) return this.stopWatchdog();
      if (this.expiryCheck) return;
      const expired = this.expired(Date.now());
      if (expired.length === 0) return;
      // Timers run before the event loop reads the socket: after a stall (a long collection, a large
      // listing formatted at once) the answer may be waiting unread. Look again at these requests
      // once what arrived has been read.
      this.expiryCheck = setImmediate(() => {
        this.expiryCheck = undefined;
        const now = Date.now();
        if (expired.some((pending) => this.inFlight.get(pending.seq) === pending && now >= pending.deadline)) {
          this.fail(new NetlinkTransportError(Errno.ETIMEDOUT, `no reply from the kernel within ${this.timeoutMs} ms`));
        }
      });
    }, period);
    this.watchdog.unref();
  }

  /** The requests in flight whose deadline has passed. */
  private expired(now: number): Pending[] {
    const expired: Pending[] = [];
    for (const pending of this.inFlight.values()) if (now >= pending.deadline) expired.push(pending);
    return expired;
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    if (this.expiryCheck) clearImmediate(this.expiryCheck);
    this.expiryCheck = undefined;
  }

  /** Finishes one request (with its replies, or the kernel's error) and lets the queue move on. */
  private settle(pending: Pending, error?: Error): void {
    if (this.inFlight.get(pending.seq) !== pending) return;
    this.inFlight.delete(pending.seq);
    if (pending.dump) this.dumpRunning = false;
    pending.finish(error, pending.replies);
    // the kernel answered: the silent requests before it that got no error reply succeeded
    for (const silent of pending.silentBefore ?? []) this.settle(silent);
    if (this.inFlight.size === 0 && this.queueHead === this.queue.length) this.idle();
    // Refill once half the window is free: fewer, larger sends than one message per ACK.
    if (this.inFlight.size <= this.window >> 1) this.pump();
  }

  /** Handles a datagram's messages where they lie (no object per message unless it is kept as a reply). */
  private receive(datagram: Buffer): void {
    let count: number;
    try {
      count = checkFraming(datagram);
    } catch (error) {
      // Broken framing: no way to tell whose reply it was.
      this.fail(error instanceof Error ? error : new IpvsProtocolError(String(error)));
      return;
    }
    const now = Date.now(); // one clock read per datagram, not per message
    for (let i = 0, position = 0; i < count; i++) {
      const length = datagram.readUInt32LE(position);
      const pending = this.inFlight.get(datagram.readUInt32LE(position + 8));
      // no pending: a late answer to a request that already timed out
      if (pending) {
        try {
          this.handle(pending, datagram, position, length, now);
        } catch (error) {
          // an answer that cannot be read: whose request it settles is unknown
          this.fail(error instanceof Error ? error : new IpvsProtocolError(String(error)));
          return;
        }
      }
      position += align4(length);
    }
  }

  private handle(pending: Pending, datagram: Buffer, position: number, length: number, now: number): void {
    const type = datagram.readUInt16LE(position + 4);
    if (type === NLMSG_ERROR) {
      const errno = errnoAt(datagram, position, length, type);
      if (errno < 0) throw new IpvsProtocolError(`positive error code ${-errno} in an NLMSG_ERROR message`);
      this.settle(pending, errno === 0 ? undefined : new NetlinkError(errno));
    } else if (type === NLMSG_DONE && pending.dump) {
      const errno = errnoAt(datagram, position, length, type);
      this.settle(pending, pending.visitorError ?? (errno === 0 ? undefined : new NetlinkError(Math.abs(errno))));
    } else {
      if (pending.visit) this.visit(pending, datagram, position, length);
      else pending.replies.push(messageAt(datagram, position));
      if (pending.dump) this.arm(pending, now);
    }
  }

  private visit(pending: Pending, datagram: Buffer, position: number, length: number): void {
    if (pending.visitorError) return;
    try {
      pending.visit!(datagram, position, position + length);
    } catch (error) {
      pending.visitorError = error instanceof Error ? error : new IpvsProtocolError(String(error));
    }
  }

  /** Nothing pending: the socket no longer keeps the process alive. A socket closed underneath is let go. */
  private idle(): void {
    const socket = this.socket;
    try {
      socket?.setActive(false);
    } catch {
      // npm `netlink` throws once its socket is closed: it will not be used again
      if (this.socket === socket) this.socket = undefined;
    }
  }

  /**
   * A transport failure: every request in flight fails with `error` (batch items: no answer), a batch
   * cut in the middle sends nothing more (the rest: not sent), and the socket is closed (see the class).
   * What never left the queue waits for the next socket.
   */
  private fail(error: Error): void {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      try {
        socket.setActive(false);
        socket.close();
      } catch {
        // already closed underneath (npm `netlink` throws then): nothing more to let go of
      }
    }
    const inFlight = [...this.inFlight.values()];
    this.inFlight.clear();
    this.stopWatchdog();
    this.dumpRunning = false;
    for (const pending of inFlight) pending.finish(error, pending.replies);
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const entry = this.queue[i];
      if (entry instanceof BatchJob && entry.next > 0) entry.stop(error);
    }
    // not at once: a failure can come from inside a send, and a socket that fails every send must not recurse
    if (this.queueHead < this.queue.length) setImmediate(() => this.pump());
  }

  /** Fails every request in flight (batch items: no answer) and every one queued (batch items: not sent). */
  private failAll(error: Error): void {
    const waiting = this.queue.slice(this.queueHead);
    const inFlight = [...this.inFlight.values()];
    this.queue = [];
    this.queueHead = 0;
    this.inFlight.clear();
    this.stopWatchdog();
    this.dumpRunning = false;
    this.idle();
    for (const pending of inFlight) pending.finish(error, pending.replies);
    for (const entry of waiting) {
      if (entry instanceof BatchJob) entry.stop(error);
      else entry.finish(error, entry.replies);
    }
  }
}

export function closedError(): NetlinkTransportError {
  return new NetlinkTransportError(Errno.ECANCELED, 'IPVS client closed');
}

export function describeErrno(errno: number): string {
  return `${errnoCode(errno)} (${strerror(errno)})`;
}
