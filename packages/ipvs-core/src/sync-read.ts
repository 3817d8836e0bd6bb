/**
 * Reading the table over the blocking transport: the same requests, decoders and service-list
 * consistency as the client's asynchronous reads, with no promise per dump. `readTableSync` is the
 * library's call for a whole table at once; the client uses the same reader when it runs over a
 * `SyncTransport` (`openIpvsSync`).
 */
import type { BlockingReads } from './api';
import { Errno } from './errno';
import { IpvsError, NetlinkError, operationError, type IpvsOperation } from './errors';
import { resolveIpvsFamilySync } from './family';
import type { AddressFamily, Destination, Service, ServiceKey } from './model';
import { decodeService, DestinationReader, RequestEncoder, ServiceKeyReader, ServiceReader } from './protocol/codec';
import { checkInteger } from './protocol/validate';
import type { ListedService } from './rules/read-table';
import { readServiceListSync } from './service-list';
import { SyncTransport, type EnterNamespace } from './transport/sync-transport';
import { DEFAULT_TIMEOUT_MS, type DumpVisitor } from './transport/transport';

export interface SyncOpenOptions {
  /** Deadline of each request, and silence allowed between two parts of a dump, in ms (default 5000). */
  readonly timeoutMs?: number;
  /** Requests per datagram in a batch (default 64, at most 128). */
  readonly window?: number;
  /** SO_RCVBUF to ask for (default 1 MiB). */
  readonly recvBufferSize?: number;
  /** Wraps the creation of the socket (socket() and bind()), e.g. to create it in another network namespace. */
  readonly enter?: EnterNamespace;
}

/**
 * Opens the blocking transport and resolves the IPVS family. Throws an IpvsError of operation
 * 'resolveFamily' (ENOENT when the ip_vs module is not loaded, the errno when no socket can be had).
 */
export function openSyncTransport(options: SyncOpenOptions = {}): { transport: SyncTransport; familyId: number } {
  const timeoutMs = checkInteger('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1, 0x7fffffff);
  let transport: SyncTransport;
  try {
    transport = new SyncTransport({ ...options, timeoutMs });
  } catch (error) {
    if (error instanceof NetlinkError) throw new IpvsError(error.errno, 'resolveFamily', undefined, error.message);
    throw error;
  }
  try {
    return { transport, familyId: resolveIpvsFamilySync(transport) };
  } catch (error) {
    transport.close();
    throw error;
  }
}

/** Blocking reads of services and real servers on one transport. */
export class SyncTableReader implements BlockingReads {
  private readonly viewReaders: Partial<Record<AddressFamily, DestinationReader>> = {};
  /** One encoder for every request: each is sent and answered before the next one is encoded. */
  private readonly encoder: RequestEncoder;

  constructor(private readonly transport: SyncTransport, familyId: number) {
    this.encoder = new RequestEncoder(familyId, 256);
  }

  private call<T>(operation: IpvsOperation, object: unknown, run: (encoder: RequestEncoder) => T): T {
    try {
      this.encoder.reset();
      return run(this.encoder);
    } catch (error) {
      if (error instanceof NetlinkError) throw operationError(error, operation, object);
      throw error;
    }
  }

  /** Every service, right while other namespaces change theirs (see `readServiceList`). */
  getServices(): Service[] {
    return readServiceListSync({
      dump: () => this.call('getServices', undefined, (e) => {
        const services: Service[] = [];
        const reader = new ServiceReader();
        const parts = this.dumpParts(e.dumpServices(), (datagram, start, end) => services.push(reader.read(datagram, start, end)));
        return { services, parts };
      }),
      dumpKeys: () => this.call('getServices', undefined, (e) => {
        const keys: ServiceKey[] = [];
        const reader = new ServiceKeyReader();
        const parts = this.dumpParts(e.dumpServices(), (datagram, start, end) => keys.push(reader.read(datagram, start, end)));
        return { keys, parts };
      }),
      lookup: (key) => this.service(key),
    });
  }

  /** One service (GET_SERVICE), or undefined if the kernel has none. */
  service(key: ServiceKey): Service | undefined {
    try {
      const reply = this.call('getService', { service: key }, (e) => this.transport.requestSync(e.getService(key)))[0];
      return reply && decodeService(reply);
    } catch (error) {
      if (error instanceof IpvsError && error.errno === Errno.ESRCH) return undefined;
      throw error;
    }
  }

  /** The real servers of a service (kernel order: newest first). */
  getDestinations(service: ServiceKey): Destination[] {
    const reader = new DestinationReader(service.family);
    const destinations: Destination[] = [];
    this.call('getDestinations', { service }, (e) => this.transport.dumpEachSync(
      e.dumpDestinations(service),
      (datagram, start, end) => { destinations.push(reader.read(datagram, start, end)); },
    ));
    return destinations;
  }

  /** The real servers of a service, each shown to `visit` through one view (see `IpvsApi.visitDestinations`). */
  visitDestinations(service: ServiceKey, visit: (destination: Destination) => void): void {
    // one reader per family for every dump: a blocking dump ends before the next one starts
    const reader = (this.viewReaders[service.family] ??= new DestinationReader(service.family));
    this.call('getDestinations', { service }, (e) => this.transport.dumpEachSync(
      e.dumpDestinations(service),
      (datagram, start, end) => visit(reader.view(datagram, start, end)),
      { transient: true },
    ));
  }

  /** Every service with its real servers. */
  table(): ListedService[] {
    return this.getServices().map((service) => ({ service, destinations: this.getDestinations(service.key) }));
  }

  /** Runs a dump through `visit`; returns the number of datagrams it took. */
  private dumpParts(request: Buffer, visit: DumpVisitor): number {
    let parts = 0;
    let last: Buffer | undefined;
    this.transport.dumpEachSync(request, (datagram, start, end) => {
      if (datagram !== last) parts++;
      last = datagram;
      visit(datagram, start, end);
    }, { largeParts: true });
    return parts;
  }
}

/**
 * The whole table (services with their counters, each with its real servers) read at once, through
 * a socket of its own. It BLOCKS the event loop while it runs, for as long as a listing of the table
 * takes (per 10,000 real servers: docs/benchmarks.md, "library readTableSync()"); use `openIpvs()` and
 * `listDestinations` where other work must go on meanwhile. Throws IpvsError like the asynchronous reads.
 */
export function readTableSync(options: SyncOpenOptions = {}): ListedService[] {
  const { transport, familyId } = openSyncTransport(options);
  try {
    return new SyncTableReader(transport, familyId).table();
  } finally {
    transport.close();
  }
}
