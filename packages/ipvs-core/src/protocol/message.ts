import { IpvsProtocolError } from '../errors';
import { align4 } from './attributes';
import { GENL_ATTRS_OFFSET, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLM_F_ACK, NLM_F_MULTI } from './constants';

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

/** The genl command of a generic netlink message. */
export function genlCommand(message: NetlinkMessage): number {
  if (message.bytes.length < GENL_ATTRS_OFFSET) {
    throw new IpvsProtocolError(`generic netlink message of ${message.bytes.length} bytes has no genl header`);
  }
  return message.bytes[NLMSG_HDRLEN]!;
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

// Builders of kernel-style replies, for fake transports and tests.

function header(length: number, type: number, flags: number, seq: number, pid: number): Buffer {
  const b = Buffer.alloc(align4(length));
  b.writeUInt32LE(length, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(flags, 6);
  b.writeUInt32LE(seq, 8);
  b.writeUInt32LE(pid, 12);
  return b;
}

/** NLMSG_ERROR answering `request` (errno 0 = ACK; like the kernel, errors echo the request, ACKs only its header). */
export function buildErrorMessage(request: Buffer, errno: number, pid = 0): Buffer {
  const echoed = errno === 0 ? request.subarray(0, NLMSG_HDRLEN) : request;
  const b = header(NLMSG_HDRLEN + 4 + echoed.length, NLMSG_ERROR, errno === 0 ? 0x100 : 0, request.readUInt32LE(8), pid);
  b.writeInt32LE(-errno, NLMSG_HDRLEN);
  echoed.copy(b, NLMSG_HDRLEN + 4);
  return b;
}

/** NLMSG_DONE ending a dump (errno ≠ 0 reports a failed dump). */
export function buildDoneMessage(seq: number, errno = 0, pid = 0): Buffer {
  const b = header(NLMSG_HDRLEN + 4, NLMSG_DONE, NLM_F_MULTI, seq, pid);
  b.writeInt32LE(-errno, NLMSG_HDRLEN);
  return b;
}

/** A generic netlink message with the given already-encoded attributes. */
export function buildGenlMessage(type: number, flags: number, seq: number, command: number, attributes: Buffer, pid = 0): Buffer {
  const b = header(GENL_ATTRS_OFFSET + attributes.length, type, flags, seq, pid);
  b[NLMSG_HDRLEN] = command;
  b[NLMSG_HDRLEN + 1] = 1;
  attributes.copy(b, GENL_ATTRS_OFFSET);
  return b;
}
