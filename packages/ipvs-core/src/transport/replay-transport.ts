import { NLMSG_HDRLEN } from '../netlink/constants';
import { parseMessages } from '../netlink/message';
import { createFakeTransport } from './fake-transport';
import type { NetlinkTransport } from './netlink-transport';
import type { NetlinkTransportOptions } from './transport';

/** One recorded exchange: the request sent and the datagrams the kernel answered with. */
export interface Recording {
  readonly request: Buffer;
  readonly replies: readonly Buffer[];
}

/** Reads a capture file of the oracle corpus ('>' request line, '<' reply datagram lines, '#' comments). */
export function parseRecording(text: string): Recording {
  let request: Buffer | undefined;
  const replies: Buffer[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('>')) request = Buffer.from(line.slice(1).trim(), 'hex');
    else if (line.startsWith('<')) replies.push(Buffer.from(line.slice(1).trim(), 'hex'));
  }
  if (!request) throw new Error('recording has no request line');
  return { request, replies };
}

/** True when two requests are equal apart from sequence number and port id. */
function sameRequest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.subarray(0, 8).equals(b.subarray(0, 8)) && a.subarray(NLMSG_HDRLEN).equals(b.subarray(NLMSG_HDRLEN));
}

/**
 * A transport that answers from recorded kernel replies: a request identical to a recorded one
 * (sequence number and port id aside) gets that recording's datagrams, renumbered to its
 * sequence number; anything else is never answered (and times out).
 */
export function createReplayTransport(recordings: readonly Recording[], options?: NetlinkTransportOptions): NetlinkTransport {
  return createFakeTransport((request) => {
    const match = recordings.find((r) => sameRequest(r.request, request.bytes));
    return match?.replies.map((datagram) => {
      const copy = Buffer.from(datagram);
      for (const message of parseMessages(copy)) message.bytes.writeUInt32LE(request.seq, 8);
      return copy;
    });
  }, options);
}
