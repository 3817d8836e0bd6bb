import { GENL_HDRLEN, NLMSG_HDRLEN } from './constants';
import { align4 } from './message';

/**
 * Appends netlink messages and their attributes into one growing buffer (no per-attribute
 * allocation). Integers are host order (little-endian on every platform Node runs IPVS on) unless
 * the method name ends in "BE". Each finished message is returned as a view of the buffer.
 */
export class MessageWriter {
  private buffer: Buffer;
  private position = 0;

  constructor(initialSize = 1024) {
    this.buffer = Buffer.allocUnsafe(Math.max(64, initialSize));
  }

  private reserve(bytes: number): void {
    if (this.position + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.position + bytes));
    this.buffer.copy(grown, 0, 0, this.position);
    this.buffer = grown;
  }

  /** Starts a generic netlink message; returns its start offset for `endMessage`. */
  beginMessage(type: number, flags: number, command: number, version: number): number {
    this.reserve(NLMSG_HDRLEN + GENL_HDRLEN);
    const start = this.position;
    const b = this.buffer;
    this.put32(start, 0); // length, set by endMessage
    this.put16(start + 4, type);
    this.put16(start + 6, flags);
    this.put32(start + 8, 0); // seq, set by the transport
    this.put32(start + 12, 0); // port id: 0 lets the kernel fill it in
    b[start + 16] = command;
    b[start + 17] = version;
    this.put16(start + 18, 0);
    this.position = start + NLMSG_HDRLEN + GENL_HDRLEN;
    return start;
  }

  /** Finishes a message: writes its length and returns a view of its bytes. */
  endMessage(start: number): Buffer {
    this.finishMessage(start);
    return this.buffer.subarray(start, this.position);
  }

  /** Finishes a message (writes its length) without making a view of it. */
  finishMessage(start: number): void {
    this.put32(start, this.position - start);
  }

  /** Bytes written so far: the offset the next message starts at. */
  get written(): number {
    return this.position;
  }

  /** A view of bytes `start`..`end - 1` written earlier (valid until the buffer grows again). */
  view(start: number, end: number): Buffer {
    return this.buffer.subarray(start, end);
  }

  /** Starts a nested attribute (sent without NLA_F_NESTED, as the kernel itself does). */
  beginNest(type: number): number {
    this.reserve(4);
    const start = this.position;
    this.put16(start + 2, type);
    this.position += 4;
    return start;
  }

  endNest(start: number): void {
    this.put16(start, this.position - start);
  }

  /**
   * Header fields (lengths, types, flags) as byte stores: Buffer's range-checked writeUInt16LE and
   * writeUInt32LE cost more than the stores. Payload values keep the checked writers.
   */
  private put16(at: number, value: number): void {
    this.buffer[at] = value & 0xff;
    this.buffer[at + 1] = value >>> 8;
  }

  private put32(at: number, value: number): void {
    this.put16(at, value & 0xffff);
    this.put16(at + 2, value >>> 16);
  }

  /** Writes an attribute header for `length` payload bytes and returns the payload offset; pads after it. */
  private attribute(type: number, length: number): number {
    const padded = align4(4 + length);
    this.reserve(padded);
    const b = this.buffer;
    const start = this.position;
    // a padding loop: Buffer's fill() costs more than the rest of the attribute
    this.put16(start, 4 + length);
    this.put16(start + 2, type);
    for (let at = start + 4 + length; at < start + padded; at++) b[at] = 0;
    this.position = start + padded;
    return start + 4;
  }

  // Each writer takes the payload offset first: attribute() may replace the buffer while growing it.
  u8(type: number, value: number): void {
    const at = this.attribute(type, 1);
    this.buffer[at] = value;
  }

  u16(type: number, value: number): void {
    const at = this.attribute(type, 2);
    this.buffer.writeUInt16LE(value, at);
  }

  u16BE(type: number, value: number): void {
    const at = this.attribute(type, 2);
    this.buffer.writeUInt16BE(value, at);
  }

  u32(type: number, value: number): void {
    const at = this.attribute(type, 4);
    this.buffer.writeUInt32LE(value, at);
  }

  u32BE(type: number, value: number): void {
    const at = this.attribute(type, 4);
    this.buffer.writeUInt32BE(value, at);
  }

  /** Two host-order u32 values in one 8-byte attribute (struct ip_vs_flags). */
  u32Pair(type: number, first: number, second: number): void {
    const at = this.attribute(type, 8);
    this.buffer.writeUInt32LE(first, at);
    this.buffer.writeUInt32LE(second, at + 4);
  }

  /** NUL-terminated string attribute (ASCII/latin1). */
  string(type: number, value: string): void {
    const at = this.attribute(type, value.length + 1);
    this.buffer.write(value, at, 'latin1');
    this.buffer[at + value.length] = 0;
  }

  /**
   * Binary attribute of `length` bytes filled by `fill(buffer, offset)`; returns what `fill`
   * returned (used to write addresses straight into the message).
   */
  binary(type: number, length: number, fill: (buffer: Buffer, offset: number) => boolean): boolean {
    const at = this.attribute(type, length);
    return fill(this.buffer, at);
  }

  /** Appends a copy of bytes `start`..`end - 1` written earlier (a nest repeated from an earlier message). */
  repeat(start: number, end: number): void {
    this.reserve(end - start);
    this.buffer.copyWithin(this.position, start, end);
    this.position += end - start;
  }

  /** Drops everything written since `start` (used when an object fails validation mid-way). */
  rewind(start: number): void {
    this.position = start;
  }
}
