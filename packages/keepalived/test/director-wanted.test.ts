/** The wanted table and the quorum: pure functions, keepalived 2.2.7's rules. */
import { AddressFamily, destinationSettings, ForwardingMethod, ServiceFlags, TunnelType, type RuleService } from '@tsipvs/ipvs-core';
import type { VirtualServer } from '../src/config/model';
import { initialQuorum, nextQuorum } from '../src/director/quorum';
import { liveWeight, realServerId, virtualServerId, wantedTable, type ServerHealth } from '../src/director/wanted';
import { AT, config, realServer, TCP_VIP, vip, virtualServer } from './director-support';

const A = realServer('10.0.0.10', 80);
const B = realServer('10.0.0.20', 80);

function health(vs: VirtualServer, states: Record<string, boolean | ServerHealth>): Map<string, ServerHealth> {
  const map = new Map<string, ServerHealth>();
  for (const rs of vs.realServers) {
    const s = states[`${rs.address}:${rs.port}`] ?? true;
    map.set(realServerId(vs, rs), typeof s === 'boolean' ? { up: s } : s);
  }
  return map;
}

function servers(service: RuleService | undefined): string[] {
  return (service?.destinations ?? []).map((d) => `${d.key.address}:${d.key.port} w${d.options.weight}`).sort();
}

function wanted(vs: VirtualServer, states: Record<string, boolean | ServerHealth> = {}, quorumMet?: boolean) {
  const quorum = new Map<string, boolean>(quorumMet === undefined ? [] : [[virtualServerId(vs), quorumMet]]);
  return wantedTable({ config: config([vs]), health: health(vs, states), quorum });
}

describe('the wanted table', () => {
  test('service settings: scheduler, persistence, engine, ops, scheduler flags', () => {
    const vs = virtualServer(vip('10.0.0.100', 5060), [A], {
      scheduler: 'sh', persistenceTimeout: 50, persistenceGranularity: '255.255.255.0', persistenceEngine: 'sip', onePacketScheduling: true,
      schedulerFlags: { shFallback: true, shPort: true }, protocol: 'UDP',
    });
    const [service] = wanted(vs).ruleset.services;
    expect(service!.key).toEqual({ family: AddressFamily.IPv4, protocol: 17, address: '10.0.0.100', port: 5060 });
    expect(service!.options).toEqual({
      scheduler: 'sh', timeout: 50, netmask: '255.255.255.0', persistenceEngine: 'sip',
      flags: ServiceFlags.Persistent | ServiceFlags.OnePacket | ServiceFlags.Sched1 | ServiceFlags.Sched2,
    });
    // without persistence, neither the granularity nor the engine is set (keepalived's ipvs_set_srule)
    const plain = wanted(virtualServer(vip('10.0.0.100', 80), [A], { persistenceGranularity: '255.255.255.0', persistenceEngine: 'sip' }));
    expect(plain.ruleset.services[0]!.options).toEqual({ scheduler: 'rr', timeout: 0, netmask: '255.255.255.255', flags: 0 });
  });

  test('IPv6 services take the granularity as a prefix length', () => {
    const vs = virtualServer(vip('2001:db8::100', 443), [realServer('2001:db8::10', 443)], { persistenceTimeout: 300, persistenceGranularity: '64' });
    expect(wanted(vs).ruleset.services[0]!.options).toMatchObject({ netmask: 64, timeout: 300, flags: ServiceFlags.Persistent });
  });

  test('real server settings: forwarding, thresholds, tunnels; the port rule of DR/TUN and NAT', () => {
    const nat = realServer('10.0.0.10', 8080, { forwarding: { method: 'NAT' }, upperThreshold: 100, lowerThreshold: 50, weight: 3 });
    const dr = realServer('10.0.0.11', 8080, { forwarding: { method: 'DR' } });
    const gue = realServer('10.0.0.12', 0, { forwarding: { method: 'TUN', tunnelType: 'gue', tunnelPort: 6080, tunnelChecksum: 'remcsum' } });
    const ipip = realServer('10.0.0.13', 0, { forwarding: { method: 'TUN' } });
    const [service] = wanted(virtualServer(vip('10.0.0.100', 80), [nat, dr, gue, ipip])).ruleset.services;
    const byAddress = new Map(service!.destinations.map((d) => [d.key.address, d]));
    expect(byAddress.get('10.0.0.10')).toEqual({
      key: { family: AddressFamily.IPv4, address: '10.0.0.10', port: 8080 },
      options: { forwarding: ForwardingMethod.Masquerade, weight: 3, upperThreshold: 100, lowerThreshold: 50, tunnelType: 0, tunnelPort: 0, tunnelFlags: 0 },
    });
    // DR and TUN: the kernel gets the service's port, whatever the real server says
    expect(byAddress.get('10.0.0.11')!.key.port).toBe(80);
    expect(byAddress.get('10.0.0.12')).toMatchObject({
      key: { port: 80 }, options: { forwarding: ForwardingMethod.Tunnel, tunnelType: TunnelType.GUE, tunnelPort: 6080, tunnelFlags: 2 },
    });
    expect(byAddress.get('10.0.0.13')!.options).toMatchObject({ forwarding: ForwardingMethod.Tunnel, tunnelType: TunnelType.IPIP, tunnelPort: 0, tunnelFlags: 0 });
  });

  test('fwmark services: port 0 for DR, the real server port for NAT; family from the mark', () => {
    const vs = virtualServer({ kind: 'fwmark', family: AddressFamily.IPv6, mark: 50 }, [
      realServer('2001:db8::10', 80), realServer('2001:db8::11', 8080, { forwarding: { method: 'NAT' } }),
    ]);
    const [service] = wanted(vs).ruleset.services;
    expect(service!.key).toEqual({ family: AddressFamily.IPv6, fwmark: 50 });
    expect(service!.options.netmask).toBe(128);
    expect(servers(service)).toEqual(['2001:db8::10:0 w1', '2001:db8::11:8080 w1']);
  });

  test('a group gives one service per member, each with every real server', () => {
    const vs = virtualServer({ kind: 'group', name: 'web' }, [A, B]);
    const groups = [{
      name: 'web', at: AT, members: [
        { kind: 'address' as const, family: AddressFamily.IPv4, address: '10.0.0.100', port: 80 },
        { kind: 'address' as const, family: AddressFamily.IPv4, address: '10.0.0.101', port: 8080 },
        { kind: 'fwmark' as const, family: AddressFamily.IPv4, mark: 7 },
      ],
    }];
    const table = wantedTable({ config: config([vs], groups), health: health(vs, { '10.0.0.20:80': false }), quorum: new Map() });
    const keys = table.ruleset.services.map((s) => s.key);
    expect(keys).toEqual([
      { family: AddressFamily.IPv4, protocol: 6, address: '10.0.0.100', port: 80 },
      { family: AddressFamily.IPv4, protocol: 6, address: '10.0.0.101', port: 8080 },
      { family: AddressFamily.IPv4, fwmark: 7 },
    ]);
    expect(table.ruleset.services.map(servers)).toEqual([['10.0.0.10:80 w1'], ['10.0.0.10:8080 w1'], ['10.0.0.10:0 w1']]);
    expect(table.virtualServers[0]!.services).toEqual(keys);
  });

  test('an unknown group and a service named twice are errors naming the file and line', () => {
    const lost = virtualServer({ kind: 'group', name: 'nowhere' }, [A], { at: { file: 'k.conf', line: 12 } });
    expect(() => wantedTable({ config: config([lost]), health: new Map(), quorum: new Map() })).toThrow('k.conf:12: virtual_server_group nowhere is not defined');
    const twice = [virtualServer(vip('10.0.0.100', 80), [A]), virtualServer(vip('10.0.0.100', 80), [B], { at: { file: 'k.conf', line: 30 } })];
    expect(() => wantedTable({ config: config(twice), health: new Map(), quorum: new Map() })).toThrow(/k\.conf:30: .*already named by 10\.0\.0\.100:80/);
  });

  test('live servers at their weight (misc_dynamic wins), failed ones out, or at 0 with inhibit_on_failure', () => {
    const C = realServer('10.0.0.30', 80, { inhibitOnFailure: true, weight: 5 });
    const vs = virtualServer(vip('10.0.0.100', 80), [realServer('10.0.0.10', 80, { weight: 4 }), B, C]);
    expect(servers(wanted(vs, { '10.0.0.10:80': { up: true, dynamicWeight: 9 }, '10.0.0.20:80': false, '10.0.0.30:80': false }).ruleset.services[0]))
      .toEqual(['10.0.0.10:80 w9', '10.0.0.30:80 w0']);
    expect(servers(wanted(vs, {}).ruleset.services[0])).toEqual(['10.0.0.10:80 w4', '10.0.0.20:80 w1', '10.0.0.30:80 w5']);
  });

  test('sorry server: in (weight 1, its own method) with the quorum lost, every real server out or at 0 with inhibit', () => {
    const sorry = { at: AT, family: AddressFamily.IPv4, address: '127.0.0.1', port: 8080, forwarding: { method: 'NAT' as const }, inhibit: false };
    const C = realServer('10.0.0.30', 80, { inhibitOnFailure: true });
    const vs = virtualServer(vip('10.0.0.100', 80), [A, B, C], { sorryServer: sorry });
    const lost = wanted(vs, { '10.0.0.20:80': false }, false);
    expect(servers(lost.ruleset.services[0])).toEqual(['10.0.0.30:80 w0', '127.0.0.1:8080 w1']);
    expect(lost.ruleset.services[0]!.destinations.find((d) => d.key.address === '127.0.0.1')!.options.forwarding).toBe(ForwardingMethod.Masquerade);
    expect(lost.virtualServers[0]).toMatchObject({ quorumMet: false, sorryActive: true });
    // quorum met: the sorry server out, the live ones in
    expect(servers(wanted(vs, { '10.0.0.20:80': false }, true).ruleset.services[0])).toEqual(['10.0.0.10:80 w1', '10.0.0.30:80 w1']);
    // sorry_server_inhibit: out means weight 0
    const inhibited = virtualServer(vip('10.0.0.100', 80), [A], { sorryServer: { ...sorry, inhibit: true } });
    expect(servers(wanted(inhibited, {}, true).ruleset.services[0])).toEqual(['10.0.0.10:80 w1', '127.0.0.1:8080 w0']);
  });

  test('without a sorry server the quorum changes nothing in the table', () => {
    const vs = virtualServer(vip('10.0.0.100', 80), [A, B], { quorum: 5 });
    expect(servers(wanted(vs, { '10.0.0.20:80': false }, false).ruleset.services[0])).toEqual(['10.0.0.10:80 w1']);
  });

  test('draining servers stay at weight 0 unless wanted', () => {
    const vs = virtualServer(vip('10.0.0.100', 80), [A]);
    const drained = { key: { family: AddressFamily.IPv4, address: '10.0.0.99', port: 80 }, options: destinationSettings({ weight: 7 }) };
    const table = wantedTable({
      config: config([vs]), health: health(vs, {}), quorum: new Map(),
      draining: [{ service: TCP_VIP, destination: drained }, { service: TCP_VIP, destination: { ...drained, key: { ...drained.key, address: '10.0.0.10' } } }],
    });
    expect(servers(table.ruleset.services[0])).toEqual(['10.0.0.10:80 w1', '10.0.0.99:80 w0']);
  });

  test('the live weight: effective weights of live servers', () => {
    const vs = virtualServer(vip('10.0.0.100', 80), [realServer('10.0.0.10', 80, { weight: 3 }), realServer('10.0.0.21', 80, { weight: 2 }), B]);
    expect(liveWeight(vs, health(vs, { '10.0.0.21:80': { up: true, dynamicWeight: 10 } }))).toBe(14);
    expect(liveWeight(vs, health(vs, { '10.0.0.10:80': false }))).toBe(3);
  });
});

describe('the quorum (keepalived update_quorum_state)', () => {
  const q = { quorum: 4, hysteresis: 1 };
  test('starts met at quorum + hysteresis', () => {
    expect(initialQuorum(q, 5)).toBe(true);
    expect(initialQuorum(q, 4)).toBe(false);
  });
  test('hysteresis: gained at quorum + hysteresis, lost below quorum - hysteresis', () => {
    let met = false;
    const walk = (weights: number[]): boolean[] => weights.map((w) => (met = nextQuorum(q, met, w)));
    expect(walk([3, 4, 5, 4, 3, 2, 3, 4, 5])).toEqual([false, false, true, true, true, false, false, false, true]);
  });
  test('a live weight of 0 always loses it, even when quorum - hysteresis is not above 0', () => {
    expect(nextQuorum({ quorum: 1, hysteresis: 2 }, true, 0)).toBe(false);
    expect(nextQuorum({ quorum: 1, hysteresis: 2 }, true, 1)).toBe(true);
  });
});
