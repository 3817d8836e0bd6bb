/** Shared by the director's tests: configuration builders, a monitor driven by hand, a kernel with connections. */
import { EventEmitter } from 'node:events';
import { AddressFamily, type Destination, type IpvsApi, type ServiceKey } from '@tsipvs/ipvs-core';
import { FakeKernel, openFakeIpvs } from '@tsipvs/ipvs-core/testing';
import type { CheckerHealth, HealthMonitor, HealthState, MonitorFactory } from '../src/check/health';
import type { KeepalivedConfig, RealServer, TcpCheck, VirtualServer, VirtualServerGroup } from '../src/config/model';

export const AT = { file: 'test.conf', line: 1 };

export function tcpCheck(overrides: Partial<TcpCheck> = {}): TcpCheck {
  return {
    kind: 'TCP_CHECK', at: AT, connectTimeoutMs: 1000, retry: 1, delayBeforeRetryMs: 1000, warmupMs: 0, delayLoopMs: 3000, alpha: false,
    ...overrides,
  };
}

export function realServer(address: string, port: number, overrides: Partial<RealServer> = {}): RealServer {
  return {
    at: AT, family: address.includes(':') ? AddressFamily.IPv6 : AddressFamily.IPv4, address, port, weight: 1,
    forwarding: { method: 'DR' }, inhibitOnFailure: false, upperThreshold: 0, lowerThreshold: 0, checkers: [tcpCheck()],
    ...overrides,
  };
}

export function virtualServer(target: VirtualServer['target'], realServers: readonly RealServer[], overrides: Partial<VirtualServer> = {}): VirtualServer {
  return {
    at: AT, target, delayLoopMs: 3000, scheduler: 'rr', forwarding: { method: 'DR' }, protocol: 'TCP', onePacketScheduling: false,
    schedulerFlags: {}, quorum: 1, hysteresis: 0, alpha: false, omega: false, inhibitOnFailure: false, haSuspend: false, realServers,
    ...overrides,
  };
}

export function vip(address: string, port: number): VirtualServer['target'] {
  return { kind: 'address', family: address.includes(':') ? AddressFamily.IPv6 : AddressFamily.IPv4, address, port };
}

export function config(virtualServers: readonly VirtualServer[], groups: readonly VirtualServerGroup[] = []): KeepalivedConfig {
  return { file: 'test.conf', virtualServers, groups: new Map(groups.map((g) => [g.name, g])), messages: [], vrrp: { instances: [], scripts: new Map(), syncGroups: [] } };
}

export const TCP_VIP: ServiceKey = { family: AddressFamily.IPv4, protocol: 6, address: '10.0.0.100', port: 80 };

/** A monitor driven by hand: `set` changes the health and emits 'change'; `report` emits one result. */
export class FakeMonitor extends EventEmitter implements HealthMonitor {
  state: HealthState;
  started = false;
  stopped = false;

  constructor(readonly realServer: RealServer, readonly virtualServer: VirtualServer) {
    super();
    const up = realServer.checkers.length === 0 || !realServer.checkers.some((c) => c.alpha);
    this.state = { up, checkers: realServer.checkers.map((c) => ({ kind: c.kind, up, failuresInRow: 0 })) };
  }

  start(): void {
    this.started = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  /** A completed round with this verdict: every checker reports, 'change' when up or the weight changed. */
  set(up: boolean, dynamicWeight?: number): void {
    const changed = up !== this.state.up || dynamicWeight !== this.state.dynamicWeight;
    const at = new Date(0);
    const checkers: CheckerHealth[] = this.state.checkers.map((c) => ({
      kind: c.kind, up, failuresInRow: up ? 0 : c.failuresInRow + 1, last: { ok: up, detail: up ? 'connected' : 'refused', at },
    }));
    this.state = { up, checkers, ...(dynamicWeight !== undefined ? { dynamicWeight } : {}) };
    for (const c of checkers) this.emit('result', c);
    if (changed) this.emit('change', this.state);
  }
}

/** A factory that keeps every monitor it made, by "address:port" (the latest for that server). */
export function monitors(): { factory: MonitorFactory; made: FakeMonitor[]; of(address: string, port: number): FakeMonitor } {
  const made: FakeMonitor[] = [];
  return {
    made,
    factory: (rs, vs) => {
      const m = new FakeMonitor(rs, vs);
      made.push(m);
      return m;
    },
    of(address, port) {
      const found = made.filter((m) => m.realServer.address === address && m.realServer.port === port).at(-1);
      if (!found) throw new Error(`no monitor for ${address}:${port}`);
      return found;
    },
  };
}

/**
 * The real client over a fake kernel, whose real servers report the active connections set in
 * `connections` (by "address:port"): the fake kernel itself has none.
 */
export async function kernelWithConnections(kernel = new FakeKernel()): Promise<{ kernel: FakeKernel; api: IpvsApi; connections: Map<string, number> }> {
  const api = await openFakeIpvs(kernel);
  const connections = new Map<string, number>();
  const getDestinations = api.getDestinations.bind(api);
  api.getDestinations = async (service): Promise<Destination[]> =>
    (await getDestinations(service)).map((d) => ({ ...d, activeConnections: connections.get(`${d.key.address}:${d.key.port}`) ?? 0 }));
  return { kernel, api, connections };
}

/** The kernel's real servers of a service as "address:port weight" lines, sorted. */
export function table(kernel: FakeKernel, key: ServiceKey): string[] {
  return kernel.destinations(key).map((d) => `${d.key.address}:${d.key.port} w${d.weight}`).sort();
}

/** Lets pending promise callbacks and reconciles run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}
