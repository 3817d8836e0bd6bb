import { IpvsProtocolError, NetlinkError } from '../errors';
import { Errno } from '../errno';
import { NLMSG_DONE, NLMSG_ERROR } from '../netlink/constants';
import {
  align4, checkFraming, errnoAt, messageAt, setAckFlag, setSequence, type NetlinkMessage, type RequestSequence,
} from '../netlink/message';
import type { DatagramSocket } from '../netlink/socket';
import {
  DEFAULT_TIMEOUT_MS, DEFAULT_WINDOW, MAX_WINDOW, type DumpVisitor, type NetlinkTransportOptions, type Transport,
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
  private failed = false;
  private readonly errnos: number[];

  constructor(
    readonly requests: RequestSequence,
    private readonly resolve: (errnos: number[]) => void,
    private readonly reject: (error: Error) => void,
  ) {
    this.unsettled = requests.length;
    this.errnos = new Array<number>(requests.length).fill(0);
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

  /** Kernel refusals and transport failures (NetlinkError) become errnos; anything else fails the batch. */
  settle(index: number, error: Error | undefined): void {
    if (error instanceof NetlinkError) this.errnos[index] = error.errno;
    else if (error && !this.failed) {
      this.failed = true;
      this.reject(error);
    }
    if (--this.unsettled === 0 && !this.failed) this.resolve(this.errnos);
  }

  /** Fails every request not sent yet. */
  abandon(error: Error): void {
    while (this.next < this.requests.length) this.settle(this.next++, error);
  }
}

/**
 * Request/ACK matching over one netlink socket. Requests queue up and are sent in groups (several
 * messages per datagram) while fewer than `window` are unanswered; dumps go alone and one at a time
 * (the kernel runs one dump per socket). Every request has a deadline, enforced by one watchdog
 * timer per transport rather than a timer per request (batches hold thousands of requests).
 */
export class NetlinkTransport implements Transport {
  private readonly timeoutMs: number;
  private readonly window: number;
  /** Requests and batches not (fully) sent yet: `queue[queueHead..]` (an index: shift() on a long array is O(n)). */
  private queue: Array<Pending | BatchJob> = [];
  private queueHead = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly inFlight = new Map<number, Pending>();
  private dumpRunning = false;
  private nextSeq = 1;
  private closed = false;

  constructor(private readonly socket: DatagramSocket, options: NetlinkTransportOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.window = Math.max(1, Math.min(options.window ?? DEFAULT_WINDOW, MAX_WINDOW));
    socket.listen((datagram) => this.receive(datagram), (errno) => this.failAll(new NetlinkError(errno)));
    socket.setActive(false);
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

  batch(requests: RequestSequence): Promise<number[]> {
    if (this.closed) return Promise.resolve(new Array<number>(requests.length).fill(Errno.ECANCELED));
    if (requests.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push(new BatchJob(requests, resolve, reject));
      this.pump();
    });
  }

  close(): void {
    if (this.closed) return;
    this.failAll(new NetlinkError(Errno.ECANCELED, 'IPVS client closed'));
    this.closed = true;
    this.socket.close();
  }

  private enqueue(message: Buffer, dump: boolean, visit?: DumpVisitor): Promise<NetlinkMessage[]> {
    if (this.closed) return Promise.reject(new NetlinkError(Errno.ECANCELED, 'IPVS client closed'));
    return new Promise((resolve, reject) => {
      const finish = (error: Error | undefined, replies: NetlinkMessage[]): void => (error ? reject(error) : resolve(replies));
      this.queue.push({ message, dump, batched: false, silentBefore: undefined, seq: 0, replies: [], visit, visitorError: undefined, deadline: 0, finish });
      this.pump();
    });
  }

  /** Sends what the window allows: a run of doit requests in one datagram, a batch's next requests, or one dump alone. */
  private pump(): void {
    this.dropSent();
    while (this.queueHead < this.queue.length && this.inFlight.size < this.window) {
      const head = this.queue[this.queueHead]!;
      if (head instanceof BatchJob) {
        const first = head.next;
        const end = first + Math.min(head.unsent, this.window - this.inFlight.size);
        const group: Pending[] = [];
        for (let index = first; index < end; index++) group.push(head.pending(index));
        head.next = end;
        if (head.unsent === 0) this.queueHead++;
        this.send(group, head.requests.datagram(first, end));
        continue;
      }
      if (head.dump) {
        if (this.dumpRunning || this.inFlight.size > 0) return;
        this.queueHead++;
        this.dumpRunning = true;
        this.send([head], [head.message]);
        continue;
      }
      const group: Pending[] = [];
      for (let next = this.queue[this.queueHead]; next && !(next instanceof BatchJob) && !next.dump && this.inFlight.size + group.length < this.window; next = this.queue[++this.queueHead]) {
        group.push(next);
      }
      this.send(group, group.map((p) => p.message));
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
   * per request; the number that may be answered is still bounded by the window.
   */
  private send(group: Pending[], parts: readonly Buffer[]): void {
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
    this.socket.setActive(true);
    this.socket.send(parts, (errno) => {
      for (const pending of group) this.settle(pending, new NetlinkError(errno));
    });
  }

  /** (Re)starts a request's deadline; dumps re-arm on every part, so only silence times out. */
  private arm(pending: Pending, now: number): void {
    pending.deadline = now + this.timeoutMs;
  }

  /**
   * Checks deadlines a few times per timeout period while anything is in flight, and stops itself
   * once nothing is (so back-to-back requests share one timer). Unreferenced: the socket is what
   * keeps the process alive while requests are pending.
   */
  private startWatchdog(): void {
    if (this.watchdog) return;
    const period = Math.max(1, Math.min(250, this.timeoutMs >> 2));
    this.watchdog = setInterval(() => {
      if (this.inFlight.size === 0) return this.stopWatchdog();
      const now = Date.now();
      for (const pending of [...this.inFlight.values()]) {
        if (now >= pending.deadline) {
          this.settle(pending, new NetlinkError(Errno.ETIMEDOUT, `no reply from the kernel within ${this.timeoutMs} ms`));
        }
      }
    }, period);
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  /** Finishes one request (with its replies, or an error) and lets the queue move on. */
  private settle(pending: Pending, error?: Error): void {
    if (this.inFlight.get(pending.seq) !== pending) return;
    this.inFlight.delete(pending.seq);
    if (pending.dump) this.dumpRunning = false;
    pending.finish(error, pending.replies);
    // answered without error: the silent requests before it that got no error reply succeeded;
    // on a transport failure (timeout, socket error) they share its fate
    for (const silent of pending.silentBefore ?? []) {
      if (this.inFlight.get(silent.seq) !== silent) continue;
      if (error instanceof NetlinkError && (error.errno === Errno.ETIMEDOUT || error.errno === Errno.ECANCELED)) this.settle(silent, error);
      else this.settle(silent);
    }
    if (this.inFlight.size === 0 && this.queueHead === this.queue.length) this.socket.setActive(false);
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
      this.failAll(error instanceof Error ? error : new IpvsProtocolError(String(error)));
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
          this.settle(pending, error instanceof Error ? error : new IpvsProtocolError(String(error)));
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

  private failAll(error: Error): void {
    const waiting = this.queue.slice(this.queueHead);
    const inFlight = [...this.inFlight.values()];
    this.queue = [];
    this.queueHead = 0;
    this.inFlight.clear();
    for (const pending of inFlight) pending.finish(error, pending.replies);
    for (const entry of waiting) {
      if (entry instanceof BatchJob) entry.abandon(error);
      else entry.finish(error, entry.replies);
    }
    this.stopWatchdog();
    this.dumpRunning = false;
    this.socket.setActive(false);
  }
}
