import { IpvsProtocolError } from '../errors';
import { NLA_TYPE_MASK, NLMSG_HDRLEN, GENL_HDRLEN } from './constants';

/** Rounds a length up to netlink's 4-byte alignment. */
export function align4(length: number): number {
  return (length + 3) & ~3;
}

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

  /** Drops everything written since `start` (used when an object fails validation mid-way). */
  rewind(start: number): void {
    this.position = start;
  }
}

/** Where one attribute's payload sits in a buffer. */
export interface AttributeSpan {
  readonly offset: number;
  readonly length: number;
}

/**
 * Parses the attributes between `start` and `end` into a table indexed by attribute type: entry
 * 2*type is the payload offset (-1 when absent), 2*type+1 its length. Flag bits are removed, a
 * repeated type keeps the last one, types above `maxType` are ignored. One flat array per nest keeps
 * decoding of large dumps free of per-attribute allocations.
 */
export function parseAttributes(buffer: Buffer, start: number, end: number, maxType: number): number[] {
  // a plain array of small integers: cheaper to allocate than a typed array in V8
  return fillAttributeTable(new Array<number>(2 * (maxType + 1)), buffer, start, end);
}

/** `parseAttributes` into an existing table (its length sets the highest type kept). */
function fillAttributeTable(table: number[], buffer: Buffer, start: number, end: number): number[] {
  table.fill(-1);
  const maxType = (table.length >> 1) - 1;
  let position = start;
  while (position + 4 <= end) {
    // bytes read directly (position + 4 <= end <= buffer.length): the hot loop of every dump
    const length = buffer[position]! | (buffer[position + 1]! << 8);
    const type = (buffer[position + 2]! | (buffer[position + 3]! << 8)) & NLA_TYPE_MASK;
    if (length < 4 || position + length > end) {
      throw new IpvsProtocolError(`malformed attribute at offset ${position}: length ${length}, ${end - position} bytes left`);
    }
    if (type <= maxType) {
      table[2 * type] = position + 4;
      table[2 * type + 1] = length - 4;
    }
    position += align4(length);
  }
  return table;
}

/**
 * Payload offset of the attribute `type` between `start` and `end` (the last one if repeated, as in
 * `parseAttributes`; its length is in the 2 bytes 4 before), or -1 when absent; checks the framing
 * without building a table.
 */
export function findAttribute(buffer: Buffer, start: number, end: number, type: number): number {
  let found = -1;
  let position = start;
  while (position + 4 <= end) {
    const length = buffer.readUInt16LE(position);
    if (length < 4 || position + length > end) {
      throw new IpvsProtocolError(`malformed attribute at offset ${position}: length ${length}, ${end - position} bytes left`);
    }
    if ((buffer.readUInt16LE(position + 2) & NLA_TYPE_MASK) === type) found = position + 4;
    position += align4(length);
  }
  return found;
}

/**
 * Checks the framing of the attributes between `start` and `end` and that each attribute of
 * `types` present has at least `minLength` bytes, without building a table.
 */
export function checkAttributes(buffer: Buffer, start: number, end: number, types: readonly number[], minLength: number, where: () => string): void {
  let position = start;
  while (position + 4 <= end) {
    const length = buffer.readUInt16LE(position);
    const type = buffer.readUInt16LE(position + 2) & NLA_TYPE_MASK;
    if (length < 4 || position + length > end) {
      throw new IpvsProtocolError(`malformed attribute at offset ${position}: length ${length}, ${end - position} bytes left`);
    }
    if (length - 4 < minLength && types.includes(type)) {
      throw new IpvsProtocolError(`${where()}: attribute ${type} has ${length - 4} bytes, expected at least ${minLength}`);
    }
    position += align4(length);
  }
}

const NO_BYTES = Buffer.alloc(0);

/** Typed access to a parsed attribute table; every getter checks the payload size. */
export class Attributes {
  constructor(
    private buffer: Buffer,
    private readonly table: number[],
    /** Names the nest in error messages; built only when an error needs it. */
    private readonly place: string | (() => string),
  ) {}

  /** An empty table for types up to `maxType`, to be filled by `load` again and again (dumps). */
  static reusable(maxType: number, where: string): Attributes {
    return new Attributes(NO_BYTES, new Array<number>(2 * (maxType + 1)).fill(-1), where);
  }

  /** Parses the attributes between `start` and `end` into this table, replacing what it held. */
  load(buffer: Buffer, start: number, end: number): this {
    this.buffer = buffer;
    fillAttributeTable(this.table, buffer, start, end);
    return this;
  }

  static parse(buffer: Buffer, start: number, end: number, maxType: number, where: string | (() => string)): Attributes {
    return new Attributes(buffer, parseAttributes(buffer, start, end, maxType), where);
  }

  private get where(): string {
    return typeof this.place === 'string' ? this.place : this.place();
  }

  /** Payload offset of `type` (checking it has at least `minLength` bytes), or -1 when absent. */
  private at(type: number, minLength: number): number {
    const offset = type * 2 < this.table.length ? this.table[type * 2]! : -1;
    if (offset >= 0 && this.table[type * 2 + 1]! < minLength) {
      throw new IpvsProtocolError(`${this.where}: attribute ${type} has ${this.table[type * 2 + 1]} bytes, expected at least ${minLength}`);
    }
    return offset;
  }

  private span(type: number, minLength: number): AttributeSpan | undefined {
    const offset = this.at(type, minLength);
    return offset < 0 ? undefined : { offset, length: this.table[type * 2 + 1]! };
  }

  private required<T>(type: number, value: T | undefined): T {
    if (value === undefined) throw new IpvsProtocolError(`${this.where}: attribute ${type} is missing`);
    return value;
  }

  u8(type: number): number | undefined {
    const at = this.at(type, 1);
    return at < 0 ? undefined : this.buffer[at];
  }

  u16(type: number): number | undefined {
    const at = this.at(type, 2);
    return at < 0 ? undefined : this.buffer.readUInt16LE(at);
  }

  u16BE(type: number): number | undefined {
    const at = this.at(type, 2);
    return at < 0 ? undefined : this.buffer.readUInt16BE(at);
  }

  u32(type: number): number | undefined {
    const at = this.at(type, 4);
    return at < 0 ? undefined : this.buffer.readUInt32LE(at);
  }

  /** An unsigned counter of 4 or 8 bytes (the 32-bit STATS set mixes both sizes). */
  counter(type: number): bigint | undefined {
    const at = this.at(type, 4);
    if (at < 0) return undefined;
    return this.table[type * 2 + 1]! >= 8 ? this.buffer.readBigUInt64LE(at) : BigInt(this.buffer.readUInt32LE(at));
  }

  /** A NUL-terminated (or unterminated) string. */
  string(type: number): string | undefined {
    const at = this.at(type, 0);
    if (at < 0) return undefined;
    const length = this.table[type * 2 + 1]!;
    const end = this.buffer.indexOf(0, at);
    const stop = end < 0 || end > at + length ? at + length : end;
    return this.buffer.toString('latin1', at, stop);
  }

  /** Payload bounds of an attribute that must have at least `minLength` bytes. */
  bytes(type: number, minLength: number): AttributeSpan | undefined {
    return this.span(type, minLength);
  }

  nested(type: number, maxType: number): Attributes | undefined {
    const at = this.at(type, 0);
    if (at < 0) return undefined;
    return Attributes.parse(this.buffer, at, at + this.table[type * 2 + 1]!, maxType, () => `${this.where}/${type}`);
  }

  /**
   * Checks the nest `type` (framing, and the sizes of `types` inside it) and returns a function that
   * parses it on demand; undefined when the nest is absent.
   */
  lazyNested(type: number, maxType: number, types: readonly number[], minLength: number): (() => Attributes) | undefined {
    const at = this.at(type, 0);
    if (at < 0) return undefined;
    const end = at + this.table[type * 2 + 1]!;
    const where = () => `${this.where}/${type}`;
    const buffer = this.buffer; // a reusable table may load another message before the call
    checkAttributes(buffer, at, end, types, minLength, where);
    return () => Attributes.parse(buffer, at, end, maxType, where);
  }

  requiredU16(type: number): number { return this.required(type, this.u16(type)); }
  requiredU32(type: number): number { return this.required(type, this.u32(type)); }
  requiredBytes(type: number, minLength: number): AttributeSpan { return this.required(type, this.bytes(type, minLength)); }

  get source(): Buffer {
    return this.buffer;
  }
}
