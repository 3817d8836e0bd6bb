import { IpvsProtocolError } from '../errors';
import { NLA_TYPE_MASK } from './constants';
import { align4 } from './message';

const NO_BYTES = Buffer.alloc(0);

/**
 * The attributes of one nest (or of a message's top level) as a table indexed by attribute type,
 * with typed getters that check each payload's size. Entry 2*type of the table is the payload offset
 * (-1 when absent), 2*type+1 its length; flag bits are removed, a repeated type keeps the last one,
 * types above the table's `maxType` are ignored. A table can be loaded again and again (dumps: no
 * allocation per message); the buffer is not copied.
 */
export class Attributes {
  private buffer: Buffer = NO_BYTES;
  // a plain array of small integers: cheaper to allocate than a typed array in V8
  private readonly table: number[];

  constructor(
    maxType: number,
    /** Names the nest in error messages; a function is called only when an error needs the name. */
    private place: string | (() => string),
  ) {
    this.table = new Array<number>(2 * (maxType + 1)).fill(-1);
  }

  /** A new table holding the attributes between `start` and `end` of `buffer`. */
  static parse(buffer: Buffer, start: number, end: number, maxType: number, place: string | (() => string)): Attributes {
    return new Attributes(maxType, place).load(buffer, start, end);
  }

  /**
   * Parses the attributes between `start` and `end` into this table, replacing what it held (and
   * its name in error messages, when `place` is given). The only walk over attributes: it checks
   * their framing.
   */
  load(buffer: Buffer, start: number, end: number, place?: string | (() => string)): this {
    const table = this.table;
    table.fill(-1);
    this.buffer = buffer;
    if (place !== undefined) this.place = place;
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
    return this;
  }

  /** The buffer the offsets refer to. */
  get source(): Buffer {
    return this.buffer;
  }

  get where(): string {
    return typeof this.place === 'string' ? this.place : this.place();
  }

  /** The name of nest `type` inside this one, for error messages (it keeps the name, not this table). */
  childPlace(type: number): () => string {
    const place = this.place;
    return () => `${typeof place === 'string' ? place : place()}/${type}`;
  }

  /** Payload offset of `type` (checking it has at least `minLength` bytes), or -1 when absent. */
  offset(type: number, minLength = 0): number {
    const offset = type * 2 < this.table.length ? this.table[type * 2]! : -1;
    if (offset >= 0 && this.table[type * 2 + 1]! < minLength) {
      throw new IpvsProtocolError(`${this.where}: attribute ${type} has ${this.table[type * 2 + 1]} bytes, expected at least ${minLength}`);
    }
    return offset;
  }

  /** Payload length of `type`, which must be present. */
  length(type: number): number {
    return this.table[type * 2 + 1]!;
  }

  requiredOffset(type: number, minLength: number): number {
    const offset = this.offset(type, minLength);
    if (offset < 0) throw new IpvsProtocolError(`${this.where}: attribute ${type} is missing`);
    return offset;
  }

  u8(type: number): number | undefined {
    const at = this.offset(type, 1);
    return at < 0 ? undefined : this.buffer[at];
  }

  u16(type: number): number | undefined {
    const at = this.offset(type, 2);
    return at < 0 ? undefined : this.buffer.readUInt16LE(at);
  }

  u16BE(type: number): number | undefined {
    const at = this.offset(type, 2);
    return at < 0 ? undefined : this.buffer.readUInt16BE(at);
  }

  u32(type: number): number | undefined {
    const at = this.offset(type, 4);
    return at < 0 ? undefined : this.buffer.readUInt32LE(at);
  }

  requiredU16(type: number): number {
    return this.buffer.readUInt16LE(this.requiredOffset(type, 2));
  }

  requiredU32(type: number): number {
    return this.buffer.readUInt32LE(this.requiredOffset(type, 4));
  }

  /** An unsigned counter of 4 or 8 bytes (the 32-bit STATS set mixes both sizes). */
  counter(type: number): bigint | undefined {
    const at = this.offset(type, 4);
    if (at < 0) return undefined;
    return this.length(type) >= 8 ? this.buffer.readBigUInt64LE(at) : BigInt(this.buffer.readUInt32LE(at));
  }

  /** A NUL-terminated (or unterminated) string. */
  string(type: number): string | undefined {
    const at = this.offset(type);
    if (at < 0) return undefined;
    const stop = at + this.length(type);
    const nul = this.buffer.indexOf(0, at);
    return this.buffer.toString('latin1', at, nul < 0 || nul > stop ? stop : nul);
  }

  /** The attributes of nest `type` in a new table, or undefined when the nest is absent. */
  nested(type: number, maxType: number): Attributes | undefined {
    const at = this.offset(type);
    if (at < 0) return undefined;
    return Attributes.parse(this.buffer, at, at + this.length(type), maxType, this.childPlace(type));
  }
}
