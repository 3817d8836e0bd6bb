import {
  AddressFamily, DaemonState, ForwardingMethod, IpvsError, TunnelType,
  type Daemon, type DaemonConfig, type Destination, type DestinationKey, type DestinationOptions, type Info,
  type IpvsApi, type Operation, type OperationList, type Service, type ServiceKey, type ServiceOptions, type Stats, type Timeouts,
} from '@tsipvs/ipvs-core';
import { addressWords } from '../../src/net/address';
import { parseGlibcIPv6 as parseIPv6 } from '../../src/net/glibc-ipv6';
import { parseGlibcDottedQuad as parseDottedQuad } from '../../src/net/glibc-ipv4';
import { canonicalAddress } from '../../src/net/address';

const EEXIST = 17;
const ESRCH = 3;
const ENOENT = 2;
const ERANGE = 34;
const EINVAL = 22;
const ENODEV = 19;

const SCHEDULERS = new Set(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh']);
const ENGINES = new Set(['sip']);

const ZERO_STATS: Stats = {
  connections: 0n, packetsIn: 0n, packetsOut: 0n, bytesIn: 0n, bytesOut: 0n, connectionsPerSecond: 0n,
  packetsInPerSecond: 0n, packetsOutPerSecond: 0n, bytesInPerSecond: 0n, bytesOutPerSecond: 0n, wide: true,
};

interface FakeService {
  key: ServiceKey;
  options: ServiceOptions;
  /** Newest first, as the kernel lists them. */
  destinations: Destination[];
  stats: Stats;
  order: number;
}

function normalizeKey(key: ServiceKey): ServiceKey {
  if ('fwmark' in key) return { family: key.family, fwmark: key.fwmark };
  return { family: key.family, protocol: key.protocol, address: canonicalAddress(key.family, key.address), port: key.port };
}

function serviceId(key: ServiceKey): string {
  const k = normalizeKey(key);
  return 'fwmark' in k ? `f/${k.family}/${k.fwmark}` : `s/${k.family}/${k.protocol}/${k.address}/${k.port}`;
}

function sameDestination(a: DestinationKey, b: DestinationKey): boolean {
  return a.family === b.family && a.port === b.port && canonicalAddress(a.family, a.address) === canonicalAddress(b.family, b.address);
}

/** The kernel's service hash bucket (ip_vs_svc_hashkey / ip_vs_svc_fwm_hashkey with a zero netns pointer). */
function bucketOf(key: ServiceKey): number {
  if ('fwmark' in key) return 256 + (key.fwmark & 0xff);
  const words = addressWords(key.family, key.address);
  const fold = key.family === AddressFamily.IPv6 ? (words[0]! ^ words[1]! ^ words[2]! ^ words[3]!) >>> 0 : words[0]!;
  return (key.protocol ^ fold ^ (key.port >> 8) ^ key.port) & 0xff;
}

function isUnicast(key: DestinationKey): boolean {
  if (key.family === AddressFamily.IPv4) {
    const value = parseDottedQuad(key.address) ?? 0;
    return value !== 0 && value !== 0xffffffff && (value >>> 28) !== 0xe;
  }
  const words = parseIPv6(key.address) ?? [0];
  const first = words[0]!;
  const unspecified = words.every((w) => w === 0);
  return !unspecified && first >> 8 !== 0xff && (first & 0xffc0) !== 0xfe80;
}

/** Interfaces the fake knows, with their MTU (scenarios add dummies with `ip link add`). */
export type Interfaces = Map<string, number>;

/**
 * An in-memory IPVS that follows the kernel's rules and errnos closely enough for the oracle
 * scenarios: EEXIST/ESRCH/ENOENT/ERANGE/EINVAL/ENODEV, newest-first real servers, hash-order services.
 */
export class FakeIpvs implements IpvsApi {
  private readonly services = new Map<string, FakeService>();
  private timeouts: Timeouts = { tcp: 900, tcpFin: 120, udp: 300 };
  private daemons: Daemon[] = [];
  private counter = 0;
  readonly interfaces: Interfaces = new Map([['lo', 65536]]);
  closed = 0;

  async getInfo(): Promise<Info> {
    return { version: '1.2.1', versionCode: 0x010201, connectionTableSize: 4096 };
  }

  async getTimeouts(): Promise<Timeouts> {
    return this.timeouts;
  }

  async setTimeouts(t: Partial<Timeouts>): Promise<void> {
    this.timeouts = { tcp: t.tcp || this.timeouts.tcp, tcpFin: t.tcpFin || this.timeouts.tcpFin, udp: t.udp || this.timeouts.udp };
  }

  async getServices(): Promise<Service[]> {
    const all = [...this.services.values()];
    all.sort((a, b) => bucketOf(a.key) - bucketOf(b.key) || b.order - a.order);
    return all.map((s) => this.toService(s));
  }

  async getService(key: ServiceKey): Promise<Service> {
    return this.toService(this.find(key, 'getService'));
  }

  async addService(key: ServiceKey, options: ServiceOptions): Promise<void> {
    if (this.services.has(serviceId(key))) throw new IpvsError(EEXIST, 'addService', key);
    this.checkModules(options, 'addService', key);
    this.services.set(serviceId(key), { key: normalizeKey(key), options, destinations: [], stats: ZERO_STATS, order: this.counter++ });
  }

  async editService(key: ServiceKey, options: ServiceOptions): Promise<void> {
    const service = this.find(key, 'editService');
    this.checkModules(options, 'editService', key);
    service.options = options;
  }

  async deleteService(key: ServiceKey): Promise<void> {
    this.find(key, 'deleteService');
    this.services.delete(serviceId(key));
  }

  async getDestinations(key: ServiceKey): Promise<Destination[]> {
    return [...(this.services.get(serviceId(key))?.destinations ?? [])];
  }

  async forEachDestination(key: ServiceKey, visit: (destination: Destination) => void): Promise<void> {
    for (const destination of await this.getDestinations(key)) visit(destination);
  }

  async addDestination(key: ServiceKey, destination: DestinationKey, options: DestinationOptions): Promise<void> {
    const service = this.find(key, 'addDestination');
    this.checkDestination(service, destination, options, 'addDestination');
    if (service.destinations.some((d) => sameDestination(d.key, destination))) throw new IpvsError(EEXIST, 'addDestination', { service: key, destination });
    const normalized = { ...destination, address: canonicalAddress(destination.family, destination.address) };
    service.destinations.unshift({ ...options, key: normalized, activeConnections: 0, inactiveConnections: 0, persistentConnections: 0, stats: ZERO_STATS });
  }

  async editDestination(key: ServiceKey, destination: DestinationKey, options: DestinationOptions): Promise<void> {
    const service = this.find(key, 'editDestination');
    this.checkDestination(service, destination, options, 'editDestination');
    const index = service.destinations.findIndex((d) => sameDestination(d.key, destination));
    if (index < 0) throw new IpvsError(ENOENT, 'editDestination', { service: key, destination });
    service.destinations[index] = { ...service.destinations[index]!, ...options };
  }

  async deleteDestination(key: ServiceKey, destination: DestinationKey): Promise<void> {
    const service = this.find(key, 'deleteDestination');
    const index = service.destinations.findIndex((d) => sameDestination(d.key, destination));
    if (index < 0) throw new IpvsError(ENOENT, 'deleteDestination', { service: key, destination });
    service.destinations.splice(index, 1);
  }

  async zero(key?: ServiceKey): Promise<void> {
    if (key) this.find(key, 'zero');
  }

  async flush(): Promise<void> {
    this.services.clear();
  }

  async getDaemons(): Promise<Daemon[]> {
    return [...this.daemons].sort((a, b) => a.state - b.state);
  }

  async startDaemon(config: DaemonConfig): Promise<void> {
    const mtu = this.interfaces.get(config.interface);
    if (mtu === undefined) throw new IpvsError(ENODEV, 'startDaemon', config);
    if (this.daemons.some((d) => d.state === config.state)) throw new IpvsError(EEXIST, 'startDaemon', config);
    const v6 = config.group?.includes(':') ?? false;
    const headroom = v6 ? 48 : 28;
    const linkMtu = config.state === DaemonState.Master ? Math.min(mtu, 1500) : mtu;
    this.daemons.push({
      state: config.state,
      interface: config.interface,
      syncId: config.syncId,
      maxLength: config.maxLength || Math.min(linkMtu, 65535) - headroom,
      group: config.group ?? '224.0.0.81',
      port: config.port || 8848,
      ttl: config.ttl || 1,
    });
  }

  async stopDaemon(state: DaemonState): Promise<void> {
    if (!this.daemons.some((d) => d.state === state)) throw new IpvsError(ESRCH, 'stopDaemon', { state });
    this.daemons = this.daemons.filter((d) => d.state !== state);
  }

  async batch(operations: readonly Operation[] | OperationList): Promise<Array<{ ok: true } | { ok: false; error: Error }>> {
    const results: Array<{ ok: true } | { ok: false; error: Error }> = [];
    for (let index = 0; index < operations.length; index++) {
      try {
        await this.applyOperation(operations.at(index)!);
        results.push({ ok: true });
      } catch (error) {
        results.push({ ok: false, error: error as Error });
      }
    }
    return results;
  }

  close(): void {
    this.closed++;
  }

  /** Test hook: sets the counters of a service, or of one of its real servers. */
  setStats(key: ServiceKey, stats: Partial<Stats>, destination?: DestinationKey): void {
    const service = this.find(key, 'getService');
    if (!destination) {
      service.stats = { ...service.stats, ...stats };
      return;
    }
    service.destinations = service.destinations.map((d) => (sameDestination(d.key, destination) ? { ...d, stats: { ...d.stats, ...stats } } : d));
  }

  private applyOperation(op: Operation): Promise<void> {
    switch (op.op) {
      case 'addService': return this.addService(op.service, op.options);
      case 'editService': return this.editService(op.service, op.options);
      case 'deleteService': return this.deleteService(op.service);
      case 'addDestination': return this.addDestination(op.service, op.destination, op.options);
      case 'editDestination': return this.editDestination(op.service, op.destination, op.options);
      case 'deleteDestination': return this.deleteDestination(op.service, op.destination);
    }
  }

  private find(key: ServiceKey, operation: 'getService' | 'editService' | 'deleteService' | 'zero' | 'addDestination' | 'editDestination' | 'deleteDestination'): FakeService {
    const service = this.services.get(serviceId(key));
    if (!service) throw new IpvsError(ESRCH, operation, key);
    return service;
  }

  private checkModules(options: ServiceOptions, operation: 'addService' | 'editService', key: ServiceKey): void {
    if (!SCHEDULERS.has(options.scheduler) || (options.persistenceEngine && !ENGINES.has(options.persistenceEngine))) {
      throw new IpvsError(ENOENT, operation, key);
    }
  }

  private checkDestination(service: FakeService, destination: DestinationKey, options: DestinationOptions, operation: 'addDestination' | 'editDestination'): void {
    const object = { service: service.key, destination };
    if (options.weight < 0 || options.lowerThreshold > options.upperThreshold) throw new IpvsError(ERANGE, operation, object);
    if (!isUnicast(destination)) throw new IpvsError(EINVAL, operation, object);
    if (destination.family !== service.key.family && options.forwarding !== ForwardingMethod.Tunnel) throw new IpvsError(EINVAL, operation, object);
    if (options.forwarding === ForwardingMethod.Tunnel && options.tunnelType === TunnelType.GUE && !options.tunnelPort) {
      throw new IpvsError(EINVAL, operation, object);
    }
  }

  private toService(s: FakeService): Service {
    return { ...s.options, key: s.key, stats: s.stats };
  }
}
