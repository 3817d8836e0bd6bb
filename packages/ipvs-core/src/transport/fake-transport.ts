import { NLMSG_DONE, NLMSG_ERROR } from '../netlink/constants';
import { parseMessages, type NetlinkMessage } from '../netlink/message';
import type { DatagramSocket } from '../netlink/socket';
import { NetlinkTransport } from './netlink-transport';
import type { NetlinkTransportOptions } from './transport';

/** Answers one request with reply datagrams, or with undefined to never answer it. */
export type Answer = (request: NetlinkMessage) => readonly Buffer[] | undefined;

/**
 * An in-memory socket whose "kernel" is a function. Replies arrive asynchronously, like real
 * ones. It counts requests left unanswered so tests can check the transport's window.
 */
export class FakeSocket implements DatagramSocket {
  /** Number of messages in each datagram sent. */
  readonly datagramSizes: number[] = [];
  /** Highest number of requests sent but not yet answered by an ACK, error or DONE. */
  maxUnanswered = 0;
  private unanswered = 0;
  private receiver: ((datagram: Buffer) => void) | undefined;
  active = false;
  closed = false;

  constructor(private readonly answer: Answer) {}

  send(parts: readonly Buffer[], done: (errno: number) => void): void {
    if (this.closed) { done(9 /* EBADF */); return; }
    const requests = parseMessages(Buffer.concat(parts));
    this.datagramSizes.push(requests.length);
    this.unanswered += requests.length;
    this.maxUnanswered = Math.max(this.maxUnanswered, this.unanswered);
    for (const request of requests) {
      const replies = this.answer(request);
      if (!replies) continue;
      for (const datagram of replies) {
        setImmediate(() => {
          if (this.closed) return;
          for (const m of parseMessagesLenient(datagram)) if (m.type === NLMSG_ERROR || m.type === NLMSG_DONE) this.unanswered--;
          this.receiver?.(datagram);
        });
      }
    }
  }

  listen(onDatagram: (datagram: Buffer) => void): void {
    this.receiver = onDatagram;
  }

  setActive(active: boolean): void {
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

/** A transport whose kernel is `answer` (see `FakeSocket`). */
export function createFakeTransport(answer: Answer, options?: NetlinkTransportOptions): NetlinkTransport {
  return new NetlinkTransport(new FakeSocket(answer), options);
}
