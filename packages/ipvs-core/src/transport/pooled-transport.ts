/**
 * Several netlink sockets behind one Transport. The kernel runs one dump at a time per socket, and
 * listing a table is one dump per service, so concurrent dumps (from `Promise.all` over services) go
 * to extra sockets opened on demand, up to a bound; requests and batches stay on the first socket,
 * which keeps their order.
 */
import type { NetlinkMessage, RequestSequence } from '../netlink/message';
import type { BatchOutcome, DumpVisitor, Transport } from './transport';

export class PooledTransport implements Transport {
  private readonly dumpers: Array<{ transport: Transport; busy: number }> = [];

  constructor(
    private readonly primary: Transport,
    private readonly open: () => Transport,
    private readonly maxDumpSockets: number,
  ) {
    this.dumpers.push({ transport: primary, busy: 0 });
  }

  request(message: Buffer): Promise<NetlinkMessage[]> {
    return this.primary.request(message);
  }

  batch(requests: RequestSequence, signal?: AbortSignal): Promise<BatchOutcome> {
    return this.primary.batch(requests, signal);
  }

  dump(message: Buffer): Promise<NetlinkMessage[]> {
    return this.onDumper((transport) => transport.dump(message));
  }

  dumpEach(message: Buffer, visit: DumpVisitor): Promise<void> {
    return this.onDumper((transport) => transport.dumpEach(message, visit));
  }

  /** Runs a dump on an idle socket (opening one if the bound allows), else on the least busy one. */
  private async onDumper<T>(run: (transport: Transport) => Promise<T>): Promise<T> {
    let dumper = this.dumpers.find((d) => d.busy === 0);
    if (!dumper && this.dumpers.length < this.maxDumpSockets) {
      dumper = { transport: this.open(), busy: 0 };
      this.dumpers.push(dumper);
    }
    dumper ??= this.dumpers.reduce((a, b) => (b.busy < a.busy ? b : a));
    dumper.busy++;
    try {
      return await run(dumper.transport);
    } finally {
      dumper.busy--;
    }
  }

  close(): void {
    for (const d of this.dumpers) d.transport.close();
  }
}
