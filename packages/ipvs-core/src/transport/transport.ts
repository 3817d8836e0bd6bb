import type { NetlinkMessage, RequestSequence } from '../netlink/message';

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
   * Many ACK-only requests, pipelined with a bounded number unanswered. Never rejects: resolves with
   * what became of each request (see `BatchOutcome`). A kernel refusal does not stop the batch; a
   * transport failure (deadline, socket error, closed socket, unreadable reply) stops it at once, and
   * so does `signal` (requests in flight are then still answered).
   */
  batch(requests: RequestSequence, signal?: AbortSignal): Promise<BatchOutcome>;
  close(): void;
}

/** A request of a batch that was sent but never answered: the kernel may or may not have carried it out. */
export const NO_ANSWER = -1;
/** A request of a batch that was never sent (the batch stopped before it): not carried out. */
export const NOT_SENT = -2;

/** What became of a batch. */
export interface BatchOutcome {
  /**
   * One entry per request, in order: 0 acknowledged, a positive errno the kernel refused it with,
   * `NO_ANSWER` or `NOT_SENT`.
   */
  readonly results: number[];
  /** Why requests are NO_ANSWER or NOT_SENT: the transport failure, or the reason of the stop. */
  readonly failure: Error | undefined;
}

/** Receives one message of a dump: bytes `start..end` of `datagram` (header included). */
export type DumpVisitor = (datagram: Buffer, start: number, end: number) => void;

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
