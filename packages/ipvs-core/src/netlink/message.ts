/** Netlink framing: messages in datagrams, their headers, and the requests of a batch. */
import { IpvsProtocolError } from '../errors';
import { NLMSG_DONE, NLMSG_HDRLEN, NLM_F_ACK } from './constants';

/** Rounds a length up to netlink's 4-byte alignment. */
export function align4(length: number): number {
  return (length + 3) & ~3;
}

/** One netlink message inside a datagram (a view, no copy). */
export interface NetlinkMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  /** The whole message, header included. */
  readonly bytes: Buffer;
}

/**
 * Checks the framing of a received datagram; returns its number of messages, whose lengths can
 * then be trusted. Throws IpvsProtocolError on broken framing.
 */
export function checkFraming(datagram: Buffer): number {
  let count = 0;
  let position = 0;
  while (position < datagram.length) {
    if (datagram.length - position < NLMSG_HDRLEN) {
      throw new IpvsProtocolError(`truncated netlink header at offset ${position} (${datagram.length - position} bytes)`);
    }
    const length = datagram.readUInt32LE(position);
    if (length < NLMSG_HDRLEN || position + length > datagram.length) {
      throw new IpvsProtocolError(`bad netlink message length ${length} at offset ${position} of ${datagram.length}`);
    }
    count++;
    position += align4(length);
  }
  return count;
}

/** The message at `position` of a datagram whose framing was checked (a view, no copy). */
export function messageAt(datagram: Buffer, position: number): NetlinkMessage {
  return {
    type: datagram.readUInt16LE(position + 4),
    flags: datagram.readUInt16LE(position + 6),
    seq: datagram.readUInt32LE(position + 8),
    pid: datagram.readUInt32LE(position + 12),
    bytes: datagram.subarray(position, position + datagram.readUInt32LE(position)),
  };
}

/** Splits a received datagram into its messages; throws IpvsProtocolError on broken framing. */
export function parseMessages(datagram: Buffer): NetlinkMessage[] {
  const messages: NetlinkMessage[] = new Array(checkFraming(datagram));
  for (let i = 0, position = 0; i < messages.length; i++) {
    messages[i] = messageAt(datagram, position);
    position += align4(datagram.readUInt32LE(position));
  }
  return messages;
}

/**
 * The positive errno of the NLMSG_ERROR or NLMSG_DONE message of `type` and `length` bytes at
 * `position` of `buffer` (0 for an ACK / clean end).
 */
export function errnoAt(buffer: Buffer, position: number, length: number, type: number): number {
  if (length < NLMSG_HDRLEN + 4) {
    // A DONE without payload (very old kernels) is a clean end; an ERROR needs its code.
    if (type === NLMSG_DONE) return 0;
    throw new IpvsProtocolError(`netlink error message of ${length} bytes has no error code`);
  }
  return -buffer.readInt32LE(position + NLMSG_HDRLEN);
}

/** Writes the sequence number of a request in place. */
export function setSequence(message: Buffer, seq: number): void {
  message.writeUInt32LE(seq, 8);
}

/** Sets or clears NLM_F_ACK in an encoded message's header. */
export function setAckFlag(message: Buffer, ack: boolean): void {
  const flags = message.readUInt16LE(6);
  message.writeUInt16LE(ack ? flags | NLM_F_ACK : flags & ~NLM_F_ACK, 6);
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
