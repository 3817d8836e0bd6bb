/** The director against the core's fake kernel, with monitors driven by hand. */
import { constants } from 'node:os';
import { AddressFamily, type IpvsApi, type Operation, type ServiceKey } from '@tsipvs/ipvs-core';
import { FakeKernel } from '@tsipvs/ipvs-core/testing';
import type { KeepalivedConfig, SorryServer } from '../src/config/model';
import { createDirector, type DirectorOptions } from '../src/director/director';
import type { Director, ReconcileReport } from '../src/director/types';
import {
  AT, config, kernelWithConnections, monitors, realServer, settle, table, TCP_VIP, tcpCheck, vip, virtualServer,
} from './director-support';

const OTHER: ServiceKey = { family: AddressFamily.IPv4, protocol: 6, address: '192.168.1.1', port: 443 };

interface Rig {
  kernel: FakeKernel;
  api: IpvsApi;
  director: Director;
  mons: ReturnType<typeof monitors>;
  /** Every batch sent, as "op address" words. */
  batches: string[][];
  scripts: string[];
  reports: ReconcileReport[];
}

function word(op: Operation): string {
  return 'destination' in op ? `${op.op} ${op.destination.address}:${op.destination.port}` : `${op.op} ${'fwmark' in op.service ? `fwm${op.service.fwmark}` : op.service.address}`;
}

async function rig(cfg: KeepalivedConfig, options: Partial<DirectorOptions> = {}, kernel = new FakeKernel()): Promise<Rig> {
  const { api } = await kernelWithConnections(kernel);
  const batches: string[][] = [];
  const batch = api.batch.bind(api);
  api.batch = (ops, o) => {
    const list: Operation[] = [];
    for (let i = 0; i < ops.length; i++) list.push(ops.at(i)!);
    batches.push(list.map(word));
    return batch(ops, o);
  };
  const mons = monitors();
  const scripts: string[] = [];
  const director = createDirector(api, cfg, { monitorFactory: mons.factory, runScript: (s) => scripts.push(s), ...options });
  const reports: ReconcileReport[] = [];
  director.on('reconcile', (r: ReconcileReport) => reports.push(r));
  return { kernel, api, director, mons, batches, scripts, reports };
}

const running: Director[] = [];
async function started(r: Rig): Promise<Rig> {
  running.push(r.director);
  await r.director.start();
  return r;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop()));
});

const A = realServer('10.0.0.10', 80, { notifyUp: 'up A', notifyDown: 'down A' });
const B = realServer('10.0.0.20', 80);
const web = (overrides = {}, servers = [A, B]) => virtualServer(vip('10.0.0.100', 80), servers, overrides);

describe('start', () => {
  test('into an empty kernel: the service and its live servers; alpha servers wait for a success', async () => {
    const alpha = realServer('10.0.0.30', 80, { checkers: [tcpCheck({ alpha: true })] });
    const r = await started(await rig(config([web({}, [A, B, alpha])])));
    expect(r.kernel.services().map((s) => s.key)).toEqual([TCP_VIP]);
    expect(r.kernel.services()[0]).toMatchObject({ scheduler: 'rr' });
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1', '10.0.0.20:80 w1']);
    expect(r.mons.made.every((m) => m.started)).toBe(true);
    r.mons.of('10.0.0.30', 80).set(true);
    await settle();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1', '10.0.0.20:80 w1', '10.0.0.30:80 w1']);
    const status = r.director.status();
    expect(status.lastReconcile).toMatchObject({ changes: 1 });
    expect(status.virtualServers[0]).toMatchObject({ name: '10.0.0.100:80', quorum: { required: 1, upWeight: 3, met: true }, services: [TCP_VIP] });
    expect(status.virtualServers[0]!.realServers.map((s) => [s.address, s.state, s.wantedWeight])).toEqual([
      ['10.0.0.10', 'up', 1], ['10.0.0.20', 'up', 1], ['10.0.0.30', 'up', 1],
    ]);
  });

  test('adopts a table that already matches: no change at all', async () => {
    const kernel = new FakeKernel();
    const first = await started(await rig(config([web()]), {}, kernel));
    await first.director.stop();
    const second = await started(await rig(config([web()]), {}, kernel));
    expect(second.batches).toEqual([]);
    expect(second.reports).toEqual([expect.objectContaining({ changes: 0 })]);
  });

  test('adoption without flapping: alpha servers the kernel has at weight > 0 stay until their first round', async () => {
    const alphaA = realServer('10.0.0.10', 80, { checkers: [tcpCheck({ alpha: true })] });
    const alphaB = realServer('10.0.0.20', 80, { checkers: [tcpCheck({ alpha: true })] });
    const kernel = new FakeKernel();
    const before = await started(await rig(config([web({}, [realServer('10.0.0.10', 80), realServer('10.0.0.20', 80)])]), {}, kernel));
    await before.director.stop();
    const r = await started(await rig(config([web({}, [alphaA, alphaB])]), {}, kernel));
    expect(r.batches).toEqual([]);
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1', '10.0.0.20:80 w1']);
    // their first round: A passes (stays, no change), B fails (leaves)
    r.mons.of('10.0.0.10', 80).set(true);
    r.mons.of('10.0.0.20', 80).set(false);
    await settle();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1']);
    expect(r.batches).toEqual([['deleteDestination 10.0.0.20:80']]);
  });

  test('adoption: an inhibited server the kernel has at weight 0 stays at 0 until its first round', async () => {
    const inhibited = realServer('10.0.0.20', 80, { inhibitOnFailure: true });
    const kernel = new FakeKernel();
    const before = await started(await rig(config([web({}, [A, inhibited])]), {}, kernel));
    before.mons.of('10.0.0.20', 80).set(false);
    await settle();
    expect(table(kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1', '10.0.0.20:80 w0']);
    await before.director.stop();
    const r = await started(await rig(config([web({}, [A, inhibited])]), {}, kernel));
    expect(r.batches).toEqual([]);
    r.mons.of('10.0.0.20', 80).set(true);
    // the monitor was up from the start: the round completes without a change event
    r.mons.of('10.0.0.20', 80).emit('result', r.mons.of('10.0.0.20', 80).state.checkers[0]);
    await settle();
    expect(table(kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1', '10.0.0.20:80 w1']);
  });
});

describe('health changes', () => {
  test('a failed server leaves, comes back when up; notify scripts run', async () => {
    const r = await started(await rig(config([web()])));
    r.mons.of('10.0.0.10', 80).set(false);
    await settle();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.20:80 w1']);
    expect(r.scripts).toEqual(['down A']);
    r.mons.of('10.0.0.10', 80).set(true);
    await settle();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1', '10.0.0.20:80 w1']);
    expect(r.scripts).toEqual(['down A', 'up A']);
  });

  test('inhibit_on_failure keeps a failed server at weight 0', async () => {
    const r = await started(await rig(config([web({}, [realServer('10.0.0.10', 80, { inhibitOnFailure: true, weight: 3 }), B])])));
    r.mons.of('10.0.0.10', 80).set(false);
    await settle();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w0', '10.0.0.20:80 w1']);
    r.mons.of('10.0.0.10', 80).set(true);
    await settle();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w3', '10.0.0.20:80 w1']);
  });

  test('misc_dynamic weights change the weight in place', async () => {
    const r = await started(await rig(config([web()])));
    r.mons.of('10.0.0.20', 80).set(true, 7);
    await settle();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1', '10.0.0.20:80 w7']);
    expect(r.batches.at(-1)).toEqual(['editDestination 10.0.0.20:80']);
  });

  test('sorry server: in before the last server leaves, out after they are back; quorum scripts and events', async () => {
    const sorry: SorryServer = { at: AT, family: AddressFamily.IPv4, address: '127.0.0.1', port: 80, forwarding: { method: 'NAT' }, inhibit: false };
    const r = await started(await rig(config([web({ sorryServer: sorry, quorumUp: 'qup', quorumDown: 'qdown', quorum: 2 })])));
    const quorum: unknown[] = [];
    r.director.on('quorum', (e) => quorum.push(e));
    r.mons.of('10.0.0.10', 80).set(false);
    await settle();
    // live weight 1 < quorum 2: lost; the sorry server goes in, B goes out, in that order
    expect(table(r.kernel, TCP_VIP)).toEqual(['127.0.0.1:80 w1']);
    const [first, ...rest] = r.batches.at(-1)!;
    expect([first, ...rest.sort()]).toEqual(['addDestination 127.0.0.1:80', 'deleteDestination 10.0.0.10:80', 'deleteDestination 10.0.0.20:80']);
    expect(quorum).toEqual([{ virtualServer: '10.0.0.100:80', met: false }]);
    expect(r.director.status().virtualServers[0]!.sorryServer).toEqual({ address: '127.0.0.1', port: 80, active: true });
    // B failing and coming back while the sorry server is in changes nothing
    r.mons.of('10.0.0.20', 80).set(false);
    await settle();
    r.mons.of('10.0.0.20', 80).set(true);
    await settle();
    expect(table(r.kernel, TCP_VIP)).toEqual(['127.0.0.1:80 w1']);
    r.mons.of('10.0.0.10', 80).set(true);
    await settle();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1', '10.0.0.20:80 w1']);
    expect(r.batches.at(-1)).toEqual(['addDestination 10.0.0.10:80', 'addDestination 10.0.0.20:80', 'deleteDestination 127.0.0.1:80']);
    expect(r.scripts.filter((s) => s.startsWith('q'))).toEqual(['qdown', 'qup']);
  });

  test('quorum with hysteresis drives the sorry server', async () => {
    const sorry: SorryServer = { at: AT, family: AddressFamily.IPv4, address: '10.0.0.99', port: 80, forwarding: { method: 'DR' }, inhibit: true };
    const servers = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((a) => realServer(a, 80));
    const r = await started(await rig(config([web({ sorryServer: sorry, quorum: 3, hysteresis: 1 }, servers)])));
    const sorryWeight = () => r.kernel.destinations(TCP_VIP).find((d) => d.key.address === '10.0.0.99')!.weight;
    expect(sorryWeight()).toBe(0);
    r.mons.of('10.0.0.1', 80).set(false); // 3 live: still met (lost below 2)
    r.mons.of('10.0.0.2', 80).set(false); // 2 live: still met
    await settle();
    expect(sorryWeight()).toBe(0);
    r.mons.of('10.0.0.3', 80).set(false); // 1 live: lost
    await settle();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.99:80 w1']);
    r.mons.of('10.0.0.1', 80).set(true); // 2 live
    r.mons.of('10.0.0.2', 80).set(true); // 3 live: not yet (gained at 4)
    await settle();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.99:80 w1']);
    r.mons.of('10.0.0.3', 80).set(true); // 4 live: gained
    await settle();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.1:80 w1', '10.0.0.2:80 w1', '10.0.0.3:80 w1', '10.0.0.4:80 w1', '10.0.0.99:80 w0']);
  });

  test('starting with every server down (alpha) puts the sorry server in at once', async () => {
    const sorry: SorryServer = { at: AT, family: AddressFamily.IPv4, address: '127.0.0.1', port: 80, forwarding: { method: 'NAT' }, inhibit: false };
    const alpha = realServer('10.0.0.10', 80, { checkers: [tcpCheck({ alpha: true })] });
    const r = await started(await rig(config([web({ sorryServer: sorry, quorumDown: 'qdown' }, [alpha])])));
    expect(table(r.kernel, TCP_VIP)).toEqual(['127.0.0.1:80 w1']);
    expect(r.scripts).toEqual(['qdown']);
    r.mons.of('10.0.0.10', 80).set(true);
    await settle();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1']);
  });
});

describe('reconciling', () => {
  test('drift is repaired: a service or real server deleted or edited by hand comes back', async () => {
    const r = await started(await rig(config([web()])));
    await r.api.deleteDestination(TCP_VIP, { family: AddressFamily.IPv4, address: '10.0.0.10', port: 80 });
    await r.api.editDestination(TCP_VIP, { family: AddressFamily.IPv4, address: '10.0.0.20', port: 80 }, { weight: 9, forwarding: 0 });
    await r.api.addDestination(TCP_VIP, { family: AddressFamily.IPv4, address: '10.0.0.77', port: 80 }, {});
    await r.api.editService(TCP_VIP, { scheduler: 'wlc' });
    expect(await r.director.reconcile()).toMatchObject({ changes: 4 });
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1', '10.0.0.20:80 w1']);
    expect(r.kernel.destinations(TCP_VIP).every((d) => d.forwarding === 3)).toBe(true);
    expect(r.kernel.services()[0]!.scheduler).toBe('rr');
    await r.api.deleteService(TCP_VIP);
    expect(await r.director.reconcile()).toMatchObject({ changes: 3 });
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1', '10.0.0.20:80 w1']);
  });

  test('within one delay_loop, without a trigger', async () => {
    const r = await started(await rig(config([web({ delayLoopMs: 40 })])));
    await r.api.deleteService(TCP_VIP);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1', '10.0.0.20:80 w1']);
  });

  test('services the configuration does not name are never touched', async () => {
    const kernel = new FakeKernel();
    const { api } = await kernelWithConnections(kernel);
    await api.addService(OTHER, { scheduler: 'wlc' });
    await api.addDestination(OTHER, { family: AddressFamily.IPv4, address: '10.9.9.9', port: 443 }, { weight: 0 });
    const r = await rig(config([web()]), {}, kernel);
    const read: string[] = [];
    const getDestinations = r.api.getDestinations.bind(r.api);
    r.api.getDestinations = (key) => {
      read.push('fwmark' in key ? String(key.fwmark) : key.address);
      return getDestinations(key);
    };
    await started(r);
    r.mons.of('10.0.0.10', 80).set(false);
    await settle();
    await r.director.stop({ flush: true });
    // not even read
    expect(read.length).toBeGreaterThan(0);
    expect(read.filter((a) => a !== '10.0.0.100')).toEqual([]);
    expect(kernel.services().map((s) => s.key)).toEqual([OTHER]);
    expect(table(kernel, OTHER)).toEqual(['10.9.9.9:443 w0']);
    expect(r.batches.flat().some((w) => w.includes('10.9.9.9') || w.includes('192.168'))).toBe(false);
  });

  test('a refused apply leaves the table as it was, is reported, and is retried on the next trigger', async () => {
    const sorry: SorryServer = { at: AT, family: AddressFamily.IPv4, address: '127.0.0.1', port: 80, forwarding: { method: 'NAT' }, inhibit: false };
    const r = await started(await rig(config([web({ sorryServer: sorry }, [{ ...A, inhibitOnFailure: true }])])));
    const logs: string[] = [];
    r.director.on('log', (e: { level: string; text: string }) => logs.push(`${e.level}: ${e.text}`));
    r.kernel.refuse('editDestination', constants.errno.ENOMEM);
    r.mons.of('10.0.0.10', 80).set(false);
    await settle();
    // the sorry server was added, then A's weight 0 refused: rolled back (the last batch), as before
    expect(r.batches.slice(-2)).toEqual([['addDestination 127.0.0.1:80', 'editDestination 10.0.0.10:80'], ['deleteDestination 127.0.0.1:80']]);
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1']);
    expect(r.reports.at(-1)!.error).toMatch(/rolled back, the table is as before/);
    expect(r.director.status().lastReconcile!.error).toBeDefined();
    expect(logs.some((l) => l.startsWith('error: reconcile failed'))).toBe(true);
    r.kernel.refuse('editDestination', 0);
    expect(await r.director.reconcile()).toEqual(expect.objectContaining({ changes: 2 }));
    expect(r.director.status().lastReconcile!.error).toBeUndefined();
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w0', '127.0.0.1:80 w1']);
  });

  test('triggers are coalesced and reconciles never overlap', async () => {
    const r = await started(await rig(config([web()])));
    let active = 0;
    let most = 0;
    const getServiceOf = r.api.getService.bind(r.api);
    r.api.getService = async (key) => {
      active++;
      most = Math.max(most, active);
      await new Promise((resolve) => setTimeout(resolve, 5));
      active--;
      return getServiceOf(key);
    };
    const before = r.reports.length;
    const all = await Promise.all([1, 2, 3, 4, 5].map(() => r.director.reconcile()));
    expect(r.reports.length - before).toBe(2);
    expect(new Set(all.slice(1)).size).toBe(1);
    expect(most).toBe(1);
  });

  test('fwmark services and groups are reconciled member by member', async () => {
    const fwm = virtualServer({ kind: 'fwmark', family: AddressFamily.IPv4, mark: 50 }, [realServer('10.0.1.10', 80)]);
    const grouped = virtualServer({ kind: 'group', name: 'g' }, [realServer('10.0.2.10', 80, { forwarding: { method: 'NAT' }, port: 8080 })]);
    const members = [
      { kind: 'address' as const, family: AddressFamily.IPv4, address: '10.0.2.100', port: 80 },
      { kind: 'address' as const, family: AddressFamily.IPv4, address: '10.0.2.101', port: 81 },
    ];
    const r = await started(await rig(config([fwm, grouped], [{ name: 'g', at: AT, members }])));
    const FWM = { family: AddressFamily.IPv4, fwmark: 50 };
    const G1 = { family: AddressFamily.IPv4, protocol: 6, address: '10.0.2.100', port: 80 };
    const G2 = { family: AddressFamily.IPv4, protocol: 6, address: '10.0.2.101', port: 81 };
    expect(table(r.kernel, FWM)).toEqual(['10.0.1.10:0 w1']);
    expect(table(r.kernel, G1)).toEqual(['10.0.2.10:8080 w1']);
    expect(table(r.kernel, G2)).toEqual(['10.0.2.10:8080 w1']);
    await r.api.deleteService(G2);
    r.mons.of('10.0.2.10', 8080).set(false);
    await settle();
    expect(table(r.kernel, G1)).toEqual([]);
    expect(r.kernel.services().map((s) => s.key)).toContainEqual(G2);
    expect(r.director.status().virtualServers[1]!.services).toEqual([G1, G2]);
  });
});

describe('reload', () => {
  test('applies only the difference; monitors of unchanged servers keep their state', async () => {
    const C = realServer('10.0.0.30', 80);
    const r = await started(await rig(config([web({}, [A, B, C]), virtualServer(vip('10.0.0.200', 53), [B], { protocol: 'UDP' })])));
    const monitorB = r.mons.made.find((m) => m.realServer.address === '10.0.0.20' && m.virtualServer.protocol === 'TCP')!;
    monitorB.set(false);
    await settle();
    const monitorA = r.mons.of('10.0.0.10', 80);
    const monitorC = r.mons.of('10.0.0.30', 80);
    r.batches.length = 0;
    // A's weight changes, B is unchanged (and down), C's checker changes, D is new; the UDP service goes
    const D = realServer('10.0.0.40', 80);
    await r.director.reload(config([web({}, [{ ...A, weight: 5 }, B, { ...C, checkers: [tcpCheck({ connectPort: 81 })] }, D])]));
    expect(monitorA.stopped).toBe(false);
    expect(monitorB.stopped).toBe(false);
    expect(monitorC.stopped).toBe(true);
    expect(r.mons.of('10.0.0.30', 80)).not.toBe(monitorC);
    expect(r.mons.of('10.0.0.40', 80).started).toBe(true);
    // B stays out (its monitor kept its state): only A's weight, D and the UDP service change
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w5', '10.0.0.30:80 w1', '10.0.0.40:80 w1']);
    expect(r.batches).toEqual([['addDestination 10.0.0.40:80', 'editDestination 10.0.0.10:80', 'deleteService 10.0.0.200']]);
    expect(r.kernel.services().map((s) => s.key)).toEqual([TCP_VIP]);
  });

  test('a removed real server is deleted at once without a drain timeout; its down notifier runs', async () => {
    const r = await started(await rig(config([web()])));
    await r.director.reload(config([web({}, [B])]));
    expect(table(r.kernel, TCP_VIP)).toEqual(['10.0.0.20:80 w1']);
    expect(r.scripts).toEqual(['down A']);
    expect(r.mons.of('10.0.0.10', 80).stopped).toBe(true);
  });
});

describe('stop', () => {
  test('leaves the table as it is by default; flush removes the configured services; omega runs the down notifiers', async () => {
    const kernel = new FakeKernel();
    const first = await started(await rig(config([web()]), {}, kernel));
    await first.director.stop();
    expect(first.mons.made.every((m) => m.stopped)).toBe(true);
    expect(table(kernel, TCP_VIP)).toEqual(['10.0.0.10:80 w1', '10.0.0.20:80 w1']);
    const second = await started(await rig(config([web({ omega: true, quorumDown: 'qdown' })]), {}, kernel));
    await second.director.stop({ flush: true });
    expect(kernel.services()).toEqual([]);
    expect(second.scripts).toEqual(['down A', 'qdown']);
  });
});
