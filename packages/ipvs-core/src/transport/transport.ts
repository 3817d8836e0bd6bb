import type { NetlinkMessage } from '../protocol/message';

/**
 * Moves encoded requests to the kernel and brings back its replies. Kernel refusals reject with
 * `NetlinkError` (errno), broken replies with `IpvsProtocolError`; the client turns them into
 * `IpvsError`s tied to an operation.
 */
export interface Transport {
  /** One doit request (REQUEST|ACK): resolves with the reply messages that came before the ACK. */
  request(message: Buffer): Promise<NetlinkMessage[]>;
  /** One dump request: resolves with every message of the dump (after checking DONE's error code). */
  dump(message: Buffer): Promise<NetlinkMessage[]>;
  /**
   * One dump request whose messages go to `visit` as they arrive, where they lie in the received
   * datagram (large listings: nothing kept per message). Resolves once the dump is done; when `visit`
   * throws, it is called no more and the dump rejects with that error once the kernel has ended it.
   */
  dumpEach(message: Buffer, visit: DumpVisitor): Promise<void>;
  /**
   * Many ACK-only requests, pipelined with a bounded number unanswered. Resolves with one entry
   * per request, in order: 0 for an ACK, else the positive errno (ETIMEDOUT when no answer came).
   */
  batch(requests: RequestSequence): Promise<number[]>;
  close(): void;
}

/**
 * The requests of a batch, read by the transport only as it sends them (a batch of 100k requests
 * need not exist as 100k separate buffers).
 */
export interface RequestSequence {
  readonly length: number;
  /** Request `index`; a view the transport writes its sequence number and ACK flag into. */
  request(index: number): Buffer;
  /** Requests `first`..`end - 1` (as returned by `request`) as the parts of one datagram. */
  datagram(first: number, end: number): readonly Buffer[];
}

/** A batch of separately encoded requests. */
export function requestList(requests: readonly Buffer[]): RequestSequence {
  return {
    length: requests.length,
    request: (index) => requests[index]!,
    datagram: (first, end) => requests.slice(first, end),
  };
}

/** Receives one message of a dump: bytes `start..end` of `datagram` (header included). */
export type DumpVisitor = (datagram: Buffer, start: number, end: number) => void;

/** What the netlink transport needs from a socket (the real one, or an in-memory fake). */
export interface DatagramSocket {
  /** Sends the parts as one datagram; `done` gets a positive errno on failure. */
  send(parts: readonly Buffer[], done: (errno: number) => void): void;
  /** Registers the receiver of every datagram and of socket errors (once, before any send). */
  listen(onDatagram: (datagram: Buffer) => void, onError: (errno: number) => void): void;
  /** Keep the process alive (requests pending) or not (idle). */
  setActive(active: boolean): void;
  close(): void;
}

export interface NetlinkTransportOptions {
  /** Deadline of every request, and silence allowed between two parts of a dump (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Most requests left unanswered on the socket at once (default 64). */
  readonly window?: number;
}

export const DEFAULT_TIMEOUT_MS = 5000;
/**
 * ACKs and error replies are small, but each costs about 1 KiB of socket receive buffer; the
 * guest kernel caps the buffer near 208 KiB and npm `netlink` aborts the process on overflow.
 * 64 unanswered requests stay far below that.
 */
export const DEFAULT_WINDOW = 64;
export const MAX_WINDOW = 128;
