import type { Operation } from '../api';
import type { RequestSequence } from '../netlink/message';
import { RequestEncoder } from './codec';

/** Average encoded size of a batch request, to size the buffer once. */
const BYTES_PER_REQUEST = 160;

/**
 * The requests of a batch of operations, encoded back to back into one buffer: one buffer and one
 * offset per request, whatever the batch's size. Consecutive requests form a datagram without copies.
 */
export class RequestBatch implements RequestSequence {
  private readonly encoder: RequestEncoder;
  /** Where request i starts; request i ends where request i + 1 starts (the last: at `encoder.written`). */
  private starts: Uint32Array;
  private count = 0;

  constructor(familyId: number, expectedRequests = 64) {
    this.encoder = new RequestEncoder(familyId, Math.max(1, expectedRequests) * BYTES_PER_REQUEST);
    this.starts = new Uint32Array(Math.max(16, expectedRequests));
  }

  get length(): number {
    return this.count;
  }

  /** Encodes `op` as the next request; throws IpvsValidationError (adding nothing) if it is invalid. */
  add(op: Operation): void {
    const start = this.encoder.written;
    this.encoder.appendOperation(op);
    if (this.count === this.starts.length) {
      const grown = new Uint32Array(this.starts.length * 2);
      grown.set(this.starts);
      this.starts = grown;
    }
    this.starts[this.count++] = start;
  }

  request(index: number): Buffer {
    return this.encoder.view(this.starts[index]!, this.end(index));
  }

  datagram(first: number, end: number): readonly Buffer[] {
    return [this.encoder.view(this.starts[first]!, this.end(end - 1))];
  }

  private end(index: number): number {
    return index + 1 < this.count ? this.starts[index + 1]! : this.encoder.written;
  }
}
