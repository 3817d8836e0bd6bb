import type { BatchOptions, BatchResult, IpvsApi, Operation, OperationList } from './api';
import { DeadlineTransport } from './deadline';
import { IpvsError, IpvsProtocolError, IpvsTransportError, NetlinkError, operationError, type IpvsOperation } from './errors';
import { resolveIpvsFamily } from './family';
import { openNetnsScope, type NetnsScope, type NetnsSpec } from './libc/netns';
import type {
  Daemon, DaemonConfig, DaemonState, Destination, DestinationKey, DestinationOptions, Info, Service, ServiceKey,
  ServiceOptions, Timeouts,
} from './model';
import type { NetlinkMessage } from './netlink/message';
import { RawGenericSocket } from './netlink/socket';
import { RequestBatch } from './protocol/batch';
import {
  decodeDaemon, decodeInfo, decodeService, decodeTimeouts, DestinationReader, RequestEncoder, ServiceKeyReader, ServiceReader,
} from './protocol/codec';
import { checkInteger } from './protocol/validate';
import { findService, readServiceList } from './service-list';
import { NetlinkTransport } from './transport/netlink-transport';
import { PooledTransport } from './transport/pooled-transport';
import { SyncTransport } from './transport/sync-transport';
import { openSyncTransport, SyncTableReader, type SyncOpenOptions } from './sync-read';
import { DEFAULT_TIMEOUT_MS, DEFAULT_WINDOW, NO_ANSWER, type DumpVisitor, type Transport } from './transport/transport';

export interface OpenOptions {
  /**
   * Deadline of each request in milliseconds (default 5000; 1..2³¹−1), whatever the transport (over
   * a caller's transport: the silence allowed while a call waits); a request not answered in time
   * rejects with an IpvsError of code ETIMEDOUT.
   */
  readonly timeoutMs?: number;
  /** Most requests left unanswered on the socket during a batch (default 64, at most 128). */
  readonly window?: number;
  /** SO_RCVBUF to ask for (default 1 MiB; the kernel may cap it, the window keeps us safe anyway). */
  readonly recvBufferSize?: number;
  /**
   * Use this transport instead of a netlink socket (tests: fake or replay transports). The client
   * holds it to `timeoutMs` too, and closes it when closed.
   */
  readonly transport?: Transport;
  /** Most sockets used for concurrent dumps, e.g. listing many services at once (default 4). */
  readonly dumpSockets?: number;
  /**
   * The network namespace to manage: a name under /run/netns, a path (`/proc/PID/ns/net`, a bind
   * mount), an open descriptor or a `NetnsHandle` (the caller keeps those two open). Every socket the
   * client opens, the pooled dump sockets and replacements of failed sockets included, is created
   * there; the calling thread is back in its own namespace as soon as each socket exists. A spec that
   * cannot be opened rejects with a `NetnsError` before any socket is opened. Default: the caller's.
   */
  readonly netns?: NetnsSpec;
}

/** The result of every operation that succeeded (shared: a batch may hold 100k of them). */
const OK: BatchResult = Object.freeze({ ok: true });

function operationObject(op: Operation): unknown {
  switch (op.op) {
    case 'addService': case 'editService': return { service: op.service, options: op.options };
    case 'deleteService': return { service: op.service };
    case 'addDestination': case 'editDestination': return { service: op.service, destination: op.destination, options: op.options };
    case 'deleteDestination': return { service: op.service, destination: op.destination };
  }
}

/** The IPVS client: one netlink socket, the resolved family id, and the flat API of `IpvsApi`. */
class IpvsClient implements IpvsApi {
  /** Over the blocking transport, the table is read with no promise per dump (`IpvsApi.blocking`). */
  readonly blocking: SyncTableReader | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly familyId: number,
    /** Where the client's sockets are created: any socket opened later goes through `namespace.enter`. */
    private readonly namespace: NetnsScope,
  ) {
    this.blocking = transport instanceof SyncTransport ? new SyncTableReader(transport, familyId) : undefined;
  }

  private async call<T>(operation: IpvsOperation, object: unknown, run: (encoder: RequestEncoder) => Promise<T>): Promise<T> {
    try {
      return await run(new RequestEncoder(this.familyId, 256));
    } catch (error) {
      if (error instanceof NetlinkError) throw operationError(error, operation, object);
      throw error;
    }
  }

  private async exchange(operation: IpvsOperation, object: unknown, encode: (e: RequestEncoder) => Buffer): Promise<NetlinkMessage[]> {
    return this.call(operation, object, (e) => this.transport.request(encode(e)));
  }

  private async listing(operation: IpvsOperation, object: unknown, encode: (e: RequestEncoder) => Buffer): Promise<NetlinkMessage[]> {
    return this.call(operation, object, (e) => this.transport.dump(encode(e)));
  }

  private static only(replies: NetlinkMessage[], what: string): NetlinkMessage {
    const reply = replies[0];
    if (!reply) throw new IpvsProtocolError(`${what}: the kernel acknowledged without sending a reply`);
    return reply;
  }

  async getInfo(): Promise<Info> {
    return decodeInfo(IpvsClient.only(await this.exchange('getInfo', undefined, (e) => e.getInfo()), 'getInfo'));
  }

  async getTimeouts(): Promise<Timeouts> {
    return decodeTimeouts(IpvsClient.only(await this.exchange('getTimeouts', undefined, (e) => e.getConfig()), 'getTimeouts'));
  }

  async setTimeouts(timeouts: Partial<Timeouts>): Promise<void> {
    await this.exchange('setTimeouts', timeouts, (e) => e.setConfig(timeouts));
  }

  /** Right even while other network namespaces change their services: see `readServiceList`. */
  async getServices(): Promise<Service[]> {
    if (this.blocking) return this.blocking.getServices();
    return readServiceList({
      dump: () => this.call('getServices', undefined, async (e) => {
        const services: Service[] = [];
        const reader = new ServiceReader();
        const parts = await this.dumpParts(e.dumpServices(), (datagram, start, end) => services.push(reader.read(datagram, start, end)));
        return { services, parts };
      }),
      dumpKeys: () => this.call('getServices', undefined, async (e) => {
        const keys: ServiceKey[] = [];
        const reader = new ServiceKeyReader();
        const parts = await this.dumpParts(e.dumpServices(), (datagram, start, end) => keys.push(reader.read(datagram, start, end)));
        return { keys, parts };
      }),
      lookup: (key) => findService(this, key),
    });
  }

  /** Runs a dump through `visit`; resolves with the number of datagrams it took. */
  private async dumpParts(request: Buffer, visit: DumpVisitor): Promise<number> {
    let parts = 0;
    let last: Buffer | undefined;
    await this.transport.dumpEach(request, (datagram, start, end) => {
      if (datagram !== last) parts++;
      last = datagram;
      visit(datagram, start, end);
    });
    return parts;
  }

  async getService(key: ServiceKey): Promise<Service> {
    return decodeService(IpvsClient.only(await this.exchange('getService', { service: key }, (e) => e.getService(key)), 'getService'));
  }

  async addService(key: ServiceKey, options: ServiceOptions = {}): Promise<void> {
    await this.exchange('addService', { service: key, options }, (e) => e.newService(key, options));
  }

  async editService(key: ServiceKey, options: ServiceOptions): Promise<void> {
    await this.exchange('editService', { service: key, options }, (e) => e.setService(key, options));
  }

  async deleteService(key: ServiceKey): Promise<void> {
    await this.exchange('deleteService', { service: key }, (e) => e.delService(key));
  }

  /** Real servers read where they lie in the received datagrams, each into a read-only object. */
  async getDestinations(service: ServiceKey): Promise<Destination[]> {
    if (this.blocking) return this.blocking.getDestinations(service);
    const reader = new DestinationReader(service.family);
    const destinations: Destination[] = [];
    await this.call('getDestinations', { service }, (e) => this.transport.dumpEach(
      e.dumpDestinations(service),
      (datagram, start, end) => { destinations.push(reader.read(datagram, start, end)); },
    ));
    return destinations;
  }

  async visitDestinations(service: ServiceKey, visit: (destination: Destination) => void): Promise<void> {
    if (this.blocking) return this.blocking.visitDestinations(service, visit);
    const reader = new DestinationReader(service.family);
    await this.call('getDestinations', { service }, (e) => this.transport.dumpEach(
      e.dumpDestinations(service),
      (datagram, start, end) => visit(reader.view(datagram, start, end)),
    ));
  }

  async addDestination(service: ServiceKey, destination: DestinationKey, options: DestinationOptions = {}): Promise<void> {
    await this.exchange('addDestination', { service, destination, options }, (e) => e.newDestination(service, destination, options));
  }

  async editDestination(service: ServiceKey, destination: DestinationKey, options: DestinationOptions): Promise<void> {
    await this.exchange('editDestination', { service, destination, options }, (e) => e.setDestination(service, destination, options));
  }

  async deleteDestination(service: ServiceKey, destination: DestinationKey): Promise<void> {
    await this.exchange('deleteDestination', { service, destination }, (e) => e.delDestination(service, destination));
  }

  async zero(service?: ServiceKey): Promise<void> {
    await this.exchange('zero', service && { service }, (e) => e.zero(service));
  }

  async flush(): Promise<void> {
    await this.exchange('flush', undefined, (e) => e.flush());
  }

  async getDaemons(): Promise<Daemon[]> {
    return (await this.listing('getDaemons', undefined, (e) => e.dumpDaemons())).map(decodeDaemon);
  }

  async startDaemon(config: DaemonConfig): Promise<void> {
    await this.exchange('startDaemon', config, (e) => e.newDaemon(config));
  }

  async stopDaemon(state: DaemonState): Promise<void> {
    await this.exchange('stopDaemon', { state }, (e) => e.delDaemon(state));
  }

  async batch(operations: readonly Operation[] | OperationList, options: BatchOptions = {}): Promise<BatchResult[]> {
    const batch = new RequestBatch(this.familyId, operations.length);
    const results: BatchResult[] = new Array<BatchResult>(operations.length).fill(OK);
    /** Index of each sent request's operation: invalid operations are not sent. */
    const sentIndex = new Uint32Array(operations.length);
    for (let index = 0; index < operations.length; index++) {
      try {
        batch.add(operations.at(index)!);
        sentIndex[batch.length - 1] = index;
      } catch (error) {
        results[index] = { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
      }
    }
    const { results: answers, failure } = await this.transport.batch(batch, options.signal);
    answers.forEach((answer, i) => {
      if (answer === 0) return;
      const op = operations.at(sentIndex[i]!)!;
      const error = answer > 0
        ? new IpvsError(answer, op.op, operationObject(op))
        : new IpvsTransportError(op.op, operationObject(op), answer === NO_ANSWER, failure ?? new Error('no answer'));
      results[sentIndex[i]!] = { ok: false, error };
    });
    return results;
  }

  close(): void {
    this.transport.close();
    this.namespace.close();
  }
}

/**
 * Opens a generic netlink socket and resolves the IPVS family. Rejects with an IpvsError whose
 * operation is 'resolveFamily' and code ENOENT when IPVS is missing (the ip_vs module is not
 * loaded).
 */
export async function openIpvs(options: OpenOptions = {}): Promise<IpvsApi> {
  const timeoutMs = checkInteger('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1, 0x7fffffff);
  const namespace = openNetnsScope(options.netns); // first: a missing namespace fails before any socket
  let transport: Transport;
  if (options.transport) {
    transport = new DeadlineTransport(options.transport, timeoutMs, Math.max(1, options.window ?? DEFAULT_WINDOW));
  } else {
    try {
      // a socket closed after a transport failure is replaced by a new one
      const socket = () => namespace.enter(() => new RawGenericSocket({ recvBufferSize: options.recvBufferSize }));
      const socketTransport = () => new NetlinkTransport(socket, options);
      transport = new PooledTransport(socketTransport(), socketTransport, Math.max(1, options.dumpSockets ?? 4));
    } catch (error) {
      namespace.close();
      const errno = (error as { errno?: unknown }).errno;
      if (typeof errno === 'number') throw new IpvsError(Math.abs(errno), 'resolveFamily', undefined, `cannot open a generic netlink socket: ${(error as Error).message}`);
      throw error;
    }
  }
  try {
    return new IpvsClient(transport, await resolveIpvsFamily(transport), namespace);
  } catch (error) {
    if (!options.transport) transport.close();
    namespace.close();
    throw error;
  }
}


/**
 * The same API over the blocking transport (see `SyncTransport`): opened at once, and every call does
 * its work before it returns its (settled) promise, so the event loop waits meanwhile. For short-lived
 * programs (the CLI) and bulk reads; `openIpvs()` stays the choice where other work must go on.
 * Throws like `openIpvs` rejects.
 */
export function openIpvsSync(options: SyncOpenOptions & { readonly netns?: NetnsSpec } = {}): IpvsApi {
  const namespace = openNetnsScope(options.netns); // first: a missing namespace fails before any socket
  try {
    const { transport, familyId } = openSyncTransport({ ...options, enter: namespace.enter });
    return new IpvsClient(transport, familyId, namespace);
  } catch (error) {
    namespace.close();
    throw error;
  }
}
