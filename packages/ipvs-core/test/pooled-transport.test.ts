import { requestList, type NetlinkMessage, type RequestSequence } from '../src/netlink/message';
import type { BatchOutcome, Transport } from '../src/transport/transport';
import { PooledTransport } from '../src/transport/pooled-transport';

/** A transport whose dumps finish when the test says so; it records how many run at once. */
class SlowTransport implements Transport {
  static running = 0;
  static peak = 0;
  readonly calls: string[] = [];
  private readonly waiting: Array<() => void> = [];
  request(): Promise<NetlinkMessage[]> { this.calls.push('request'); return Promise.resolve([]); }
  batch(requests: RequestSequence): Promise<BatchOutcome> { this.calls.push('batch'); return Promise.resolve({ results: new Array<number>(requests.length).fill(0), failure: undefined }); }
  dump(): Promise<NetlinkMessage[]> {
    this.calls.push('dump');
    SlowTransport.running++;
    SlowTransport.peak = Math.max(SlowTransport.peak, SlowTransport.running);
    return new Promise((resolve) => this.waiting.push(() => { SlowTransport.running--; resolve([]); }));
  }
  async dumpEach(): Promise<void> { await this.dump(); }
  finishAll(): void { this.waiting.splice(0).forEach((f) => f()); }
  close(): void { this.calls.push('close'); }
}

test('concurrent dumps spread over at most N sockets; requests and batches stay on the first', async () => {
  const primary = new SlowTransport();
  const opened: SlowTransport[] = [];
  const pool = new PooledTransport(primary, () => { const t = new SlowTransport(); opened.push(t); return t; }, 3);
  const dumps = Array.from({ length: 10 }, () => pool.dump(Buffer.alloc(0)));
  await pool.request(Buffer.alloc(0));
  await pool.batch(requestList([Buffer.alloc(0)]));
  expect(opened).toHaveLength(2);
  expect(SlowTransport.peak).toBe(10); // queued on the transports, which serialise them themselves
  expect(primary.calls.filter((c) => c !== 'dump')).toEqual(['request', 'batch']);
  for (const t of [primary, ...opened]) expect(t.calls.filter((c) => c === 'dump').length).toBeGreaterThanOrEqual(3);
  for (const t of [primary, ...opened]) t.finishAll();
  await Promise.all(dumps);
  pool.close();
  expect([primary, ...opened].every((t) => t.calls.includes('close'))).toBe(true);
});
