import { NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN } from '../netlink/constants';
import { parseMessages, type NetlinkMessage } from '../netlink/message';
import type { DatagramSocket } from '../netlink/socket';
import { NetlinkTransport } from './netlink-transport';
import type { NetlinkTransportOptions } from './transport';

/** Answers one request with reply datagrams, or with undefined to never answer it. */
export type Answer = (request: NetlinkMessage) => readonly Buffer[] | undefined;

const EIO = 5;
const EMSGSIZE = 90;
const ENOBUFS = 105;
const EBADF = 9;

/**
 * What can go wrong between the program and the kernel, as `FaultPlan` injects it into the datagram
 * it strikes. Except for `send-error`, the kernel carries out every request of that datagram (as a
 * real kernel does: sendmsg hands them to it before anything is answered); what fails is the way
 * back, or the socket.
 * - `malformed-datagram`: the answer arrives with broken framing (a length past its end).
 * - `malformed-message`: the answer arrives framed, but its NLMSG_ERROR carries no error code.
 * - `socket-error`: the answers are lost and the socket reports an error (EIO unless `errno` says;
 *   npm `netlink` reports a truncated datagram as EMSGSIZE this way).
 * - `send-error`: sendmsg fails (EMSGSIZE unless `errno` says): the kernel never sees the datagram.
 * - `enobufs`: the answers are lost to a receive buffer overflow, which the socket reports (ENOBUFS).
 * - `deadline`: the answers are lost without a word (the transport's deadline must notice).
 * - `close`: the answers are lost and the socket is closed underneath: every later send throws, as
 *   npm `netlink`'s does once a polling error has closed it.
 */
export type FaultKind = 'malformed-datagram' | 'malformed-message' | 'socket-error' | 'send-error' | 'enobufs' | 'deadline' | 'close';

export const FAULT_KINDS: readonly FaultKind[] = ['malformed-datagram', 'malformed-message', 'socket-error', 'send-error', 'enobufs', 'deadline', 'close'];

export interface FaultOptions {
  /** Requests that pass untouched first, counted from the injection on every socket of the plan (default 0). */
  readonly after?: number;
  /** How many datagrams in a row it strikes (default 1; Infinity: every one from then on). */
  readonly times?: number;
  /** The errno of `socket-error` and `send-error`. */
  readonly errno?: number;
}

interface ArmedFault {
  readonly kind: FaultKind;
  readonly errno: number | undefined;
  /** Requests still to pass before it strikes. */
  after: number;
  times: number;
}

/** One fault that struck: its kind, and how many requests the datagram it struck held. */
export interface StruckFault {
  readonly kind: FaultKind;
  readonly requests: number;
}

/**
 * Faults to inject into the fake sockets that share this plan (`createFakeTransport(answer, { faults })`,
 * `openFakeIpvs(kernel, { faults })`): each strikes the datagram that carries its `after + 1`-th
 * request. Several may be armed; the first due strikes.
 */
export class FaultPlan {
  private readonly armed: ArmedFault[] = [];
  /** Every fault that struck, in order. */
  readonly struck: StruckFault[] = [];
  /** Requests sent through the plan's sockets (the kernel's and not). */
  requests = 0;

  inject(kind: FaultKind, options: FaultOptions = {}): this {
    this.armed.push({ kind, errno: options.errno, after: options.after ?? 0, times: options.times ?? 1 });
    return this;
  }

  /** Disarms every fault not yet spent. */
  clear(): void {
    this.armed.length = 0;
  }

  /** The fault that strikes a datagram of `requests` requests, if any (called by `FakeSocket`). */
  strike(requests: number): ArmedFault | undefined {
    this.requests += requests;
    let due: ArmedFault | undefined;
    for (const fault of this.armed) {
      if (!due && fault.after < requests) due = fault;
      else fault.after = Math.max(0, fault.after - requests);
    }
    if (!due) return undefined;
    due.after = 0;
    if (--due.times <= 0) this.armed.splice(this.armed.indexOf(due), 1);
    this.struck.push({ kind: due.kind, requests });
    return due;
  }
}

/**
 * An in-memory socket whose "kernel" is a function. Replies arrive asynchronously, like real
 * ones. It counts requests left unanswered so tests can check the transport's window, and injects
 * the faults of its `FaultPlan`.
 */
export class FakeSocket implements DatagramSocket {
  /** Number of messages in each datagram sent. */
  readonly datagramSizes: number[] = [];
  /** Highest number of requests sent but not yet answered by an ACK, error or DONE. */
  maxUnanswered = 0;
  private unanswered = 0;
  private receiver: ((datagram: Buffer) => void) | undefined;
  private onError: ((errno: number) => void) | undefined;
  active = false;
  closed = false;
  /** Closed underneath (a `close` fault): sends and ref/unref throw, like npm `netlink`'s once closed. */
  private vanished = false;

  constructor(private readonly answer: Answer, private readonly faults?: FaultPlan) {}

  send(parts: readonly Buffer[], done: (errno: number) => void): void {
    if (this.vanished) throw new Error('Netlink socket is closed');
    if (this.closed) {
      setImmediate(() => done(EBADF));
      return;
    }
    const requests = parseMessages(Buffer.concat(parts));
    const fault = this.faults?.strike(requests.length);
    if (fault?.kind === 'send-error') {
      setImmediate(() => done(fault.errno ?? EMSGSIZE));
      return;
    }
    this.datagramSizes.push(requests.length);
    this.unanswered += requests.length;
    this.maxUnanswered = Math.max(this.maxUnanswered, this.unanswered);
    const replies: Buffer[] = [];
    for (const request of requests) replies.push(...(this.answer(request) ?? []));
    if (!fault) {
      for (const datagram of replies) this.deliver(datagram);
      return;
    }
    const last = requests[requests.length - 1]!;
    switch (fault.kind) {
      case 'malformed-datagram': {
        const broken = Buffer.from(replies[0] ?? last.bytes);
        broken.writeUInt32LE(broken.length + 64, 0);
        this.deliver(broken);
        return;
      }
      case 'malformed-message': {
        // an NLMSG_ERROR of a bare header: framed, but without its error code
        const broken = Buffer.alloc(NLMSG_HDRLEN);
        broken.writeUInt32LE(NLMSG_HDRLEN, 0);
        broken.writeUInt16LE(NLMSG_ERROR, 4);
        broken.writeUInt32LE(last.seq, 8);
        this.deliver(broken);
        return;
      }
      case 'socket-error':
      case 'enobufs': {
        const errno = fault.kind === 'enobufs' ? ENOBUFS : fault.errno ?? EIO;
        setImmediate(() => {
          if (!this.closed) this.onError?.(errno);
        });
        return;
      }
      case 'close':
        this.vanished = true;
        return;
      case 'deadline':
        return;
    }
  }

  private deliver(datagram: Buffer): void {
    setImmediate(() => {
      if (this.closed || this.vanished) return;
      for (const m of parseMessagesLenient(datagram)) if (m.type === NLMSG_ERROR || m.type === NLMSG_DONE) this.unanswered--;
      this.receiver?.(datagram);
    });
  }

  listen(onDatagram: (datagram: Buffer) => void, onError: (errno: number) => void): void {
    this.receiver = onDatagram;
    this.onError = onError;
  }

  setActive(active: boolean): void {
    if (this.vanished) throw new Error('Netlink socket is closed'); // npm `netlink`'s ref()/unref() check too
    this.active = active;
  }

  close(): void {
    this.closed = true;
  }
}

function parseMessagesLenient(datagram: Buffer): NetlinkMessage[] {
  try {
    return parseMessages(datagram);
  } catch {
    return [];
  }
}

export interface FakeTransportOptions extends NetlinkTransportOptions {
  /** Faults to inject (shared by every socket the transport opens). */
  readonly faults?: FaultPlan;
}

/**
 * A transport whose kernel is `answer` (see `FakeSocket`). Like the client's, it opens a new socket
 * when a failure closed the one it had; every socket answers from the same `answer`.
 */
export function createFakeTransport(answer: Answer, options?: FakeTransportOptions): NetlinkTransport {
  return new NetlinkTransport(() => new FakeSocket(answer, options?.faults), options);
}
