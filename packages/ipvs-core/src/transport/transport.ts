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
   * Many ACK-only requests, pipelined with a bounded number unanswered. Resolves with one entry
   * per request, in order: 0 for an ACK, else the positive errno (ETIMEDOUT when no answer came).
   */
  batch(requests: RequestSequence): Promise<number[]>;
  close(): void;
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
