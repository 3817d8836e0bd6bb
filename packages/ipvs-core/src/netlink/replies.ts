/** Builders of kernel-style replies, for fake kernels and tests. */
import { GENL_ATTRS_OFFSET, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLM_F_MULTI } from './constants';
import { align4 } from './message';

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
