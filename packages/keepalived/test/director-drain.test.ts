/** Draining: `drainRealServer` (tsipvs drain) and the director's drain of servers it no longer wants. */
import { AddressFamily, ForwardingMethod, type IpvsApi } from '@tsipvs/ipvs-core';
import { FakeKernel } from '@tsipvs/ipvs-core/testing';
import type { KeepalivedConfig } from '../src/config/model';
import { createDirector } from '../src/director/director';
import { drainRealServer, drainVerdict, DrainError } from '../src/director/drain';
import type { Director } from '../src/director/types';
import { config, kernelWithConnections, monitors, realServer, settle, table, TCP_VIP, vip, virtualServer } from './director-support';

const RS = { family: AddressFamily.IPv4, address: '10.0.0.10', port: 80 };

async function service(api: IpvsApi): Promise<void> {
  await api.addService(TCP_VIP, { scheduler: 'rr' });
  await api.addDestination(TCP_VIP, RS, { weight: 4, forwarding: ForwardingMethod.Masquerade, upperThreshold: 10 });
  await api.addDestination(TCP_VIP, { ...RS, address: '10.0.0.20' }, { weight: 1 });
}

test('drainVerdict: no connections or time up', () => {
  expect(drainVerdict(0, 0, 1, 100)).toBe('delete');
  expect(drainVerdict(3, 0, 99, 100)).toBe('wait');
  expect(drainVerdict(3, 0, 100, 100)).toBe('delete');
});

describe('drainRealServer', () => {
  test('weight 0 (its other settings kept), then deleted once its connections end', async () => {
    const { kernel, api, connections } = await kernelWithConnections();
    await service(api);
    connections.set('10.0.0.10:80', 2);
    const waits: number[] = [];
    let clock = 0;
    const result = drainRealServer(api, TCP_VIP, { address: '10.0.0.10' }, {
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
        // while it waits: weight 0, other settings as they were, still there
        expect(kernel.destinations(TCP_VIP).find((d) => d.key.address === '10.0.0.10')).toMatchObject({ weight: 0, forwarding: 0, upperThreshold: 10 });
        if (clock >= 3000) connections.set('10.0.0.10:80', 0);
      },
      onWait: (active) => waits.push(active),
    });
    expect(await result).toMatchObject({ weightBefore: 4, activeAtStart: 2, activeAtEnd: 0, waitedMs: 3000, reason: 'no-connections' });
    expect(waits).toEqual([2, 2, 2]);
    expect(table(kernel, TCP_VIP)).toEqual(['10.0.0.20:80 w1']);
  });

  test('deleted when the timeout passes, connections or not', async () => {
    const { kernel, api, connections } = await kernelWithConnections();
    await service(api);
    connections.set('10.0.0.10:80', 5);
    let clock = 0;
    const result = await drainRealServer(api, TCP_VIP, { address: '10.0.0.10', port: 80 }, {
      timeoutMs: 2500, now: () => clock, sleep: async (ms) => void (clock += ms),
    });
    expect(result).toMatchObject({ reason: 'timeout', activeAtEnd: 5, waitedMs: 2500 });
    expect(table(kernel, TCP_VIP)).toEqual(['10.0.0.20:80 w1']);
  });

  test('clear errors: no service, no such real server, a server at several ports', async () => {
    const { api } = await kernelWithConnections();
    await expect(drainRealServer(api, TCP_VIP, { address: '10.0.0.10' })).rejects.toThrow(new DrainError('no service TCP 10.0.0.100:80', 'service-not-found'));
    await service(api);
    await expect(drainRealServer(api, TCP_VIP, { address: '10.0.0.99' })).rejects.toThrow('service TCP 10.0.0.100:80 has no real server 10.0.0.99');
    await expect(drainRealServer(api, TCP_VIP, { address: '10.0.0.10', port: 81 })).rejects.toMatchObject({ code: 'server-not-found' });
    await api.addDestination(TCP_VIP, { ...RS, port: 8080 }, { forwarding: ForwardingMethod.Masquerade });
    await expect(drainRealServer(api, TCP_VIP, { address: '10.0.0.10' })).rejects.toThrow('has 10.0.0.10 at ports 8080, 80: give the port');
  });
});

describe('the director drains with a drain timeout', () => {
  const A = realServer('10.0.0.10', 80);
  const B = realServer('10.0.0.20', 80);
  const cfg = (servers = [A, B]): KeepalivedConfig => config([virtualServer(vip('10.0.0.100', 80), servers)]);
  const directors: Director[] = [];
  afterEach(async () => {
    await Promise.all(directors.splice(0).map((d) => d.stop()));
  });

  async function rig(c: KeepalivedConfig, kernel = new FakeKernel(), connections: Record<string, number> = {}) {
    const k = await kernelWithConnections(kernel);
    for (const [server, count] of Object.entries(connections)) k.connections.set(server, count);
    let clock = 1_000_000;
    const mons = monitors();
    const director = createDirector(k.api, c, { monitorFactory: mons.factory, drainTimeoutMs: 10_000, runScript: () => undefined, now: () => clock });
    directors.push(director);
    await director.start();
    return { ...k, director, mons, advance: (ms: number) => (clock += ms) };
  }

  test('a failed server goes to weight 0 and leaves when its connections end', async () => {
    const r = await rig(cfg());
    r.connections.set('10.0.0.10:80', 3);
    r.mons.of('10.0.0.10', 80).set(false);
    await settle();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w0', '10.0.0.20:80 w1']);
    expect(r.director.status().virtualServers[0]!.realServers[0]).toMatchObject({ address: '10.0.0.10', state: 'draining' });
    await r.director.reconcile();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w0', '10.0.0.20:80 w1']);
    r.connections.set('10.0.0.10:80', 0);
    await r.director.reconcile();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.20:80 w1']);
    expect(r.director.status().virtualServers[0]!.realServers[0]).toMatchObject({ state: 'down' });
  });

  test('a server with no connection leaves at once; one that comes back while draining gets its weight back', async () => {
    const r = await rig(cfg());
    r.mons.of('10.0.0.20', 80).set(false);
    await settle();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1']);
    r.connections.set('10.0.0.10:80', 1);
    r.mons.of('10.0.0.10', 80).set(false);
    await settle();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w0']);
    r.mons.of('10.0.0.10', 80).set(true);
    await settle();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1']);
  });

  test('the timeout ends a drain with connections left', async () => {
    const r = await rig(cfg());
    r.connections.set('10.0.0.10:80', 3);
    r.mons.of('10.0.0.10', 80).set(false);
    await settle();
    r.advance(9_999);
    await r.director.reconcile();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w0', '10.0.0.20:80 w1']);
    r.advance(1);
    await r.director.reconcile();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.20:80 w1']);
  });

  test('a server removed by a reload drains, listed in the status until it leaves', async () => {
    const r = await rig(cfg());
    r.connections.set('10.0.0.20:80', 1);
    await r.director.reload(cfg([A]));
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1', '10.0.0.20:80 w0']);
    expect(r.director.status().virtualServers[0]!.realServers.map((s) => `${s.address} ${s.state}`)).toEqual(['10.0.0.10 up', '10.0.0.20 draining']);
    r.connections.set('10.0.0.20:80', 0);
    await r.director.reconcile();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1']);
  });

  test('remembered across restarts: a weight-0 server the table does not want keeps draining', async () => {
    const kernel = new FakeKernel();
    const first = await rig(cfg(), kernel);
    first.connections.set('10.0.0.20:80', 1);
    await first.director.reload(cfg([A]));
    await first.director.stop();
    const second = await rig(cfg([A]), kernel, { '10.0.0.20:80': 1 });
    expect(table(kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1', '10.0.0.20:80 w0']);
    second.connections.set('10.0.0.20:80', 0);
    await second.director.reconcile();
    expect(table(kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1']);
  });
});
