/** ipvs-core against the real kernel: real servers, forwarding methods, tunnels, mixed families. */
import * as assert from 'node:assert/strict';
import {
  AddressFamily, destinationSettings, ForwardingMethod, Protocol, ServiceFlags, serviceSettings, TunnelFlags, TunnelType,
  type DestinationOptions, type ServiceKey,
} from '@tsipvs/ipvs-core';
import { vmTest } from '../harness/guest';
import { DUMMY, saved, withClient } from './core-support.vm';

const SERVICE: ServiceKey = { family: AddressFamily.IPv4, protocol: Protocol.TCP, address: '10.0.0.1', port: 80 };
const V4 = { scheduler: 'wrr', timeout: 0, netmask: '255.255.255.255', flags: 0 };
const MASQ: DestinationOptions = {
  forwarding: ForwardingMethod.Masquerade, weight: 1, upperThreshold: 0, lowerThreshold: 0,
  tunnelType: TunnelType.IPIP, tunnelPort: 0, tunnelFlags: 0,
};
const rs = (address: string, port: number, family = AddressFamily.IPv4) => ({ address, port, family });

vmTest('core: add, list, edit, delete real servers with every forwarding method', async (t) => {
  t.sh(DUMMY);
  await withClient(async (ipvs) => {
    await ipvs.addService(SERVICE, V4);
    await ipvs.addDestination(SERVICE, rs('10.0.0.2', 8080), { ...MASQ, weight: 3, upperThreshold: 100, lowerThreshold: 50 });
    await ipvs.addDestination(SERVICE, rs('10.0.0.3', 80), { ...MASQ, forwarding: ForwardingMethod.DirectRoute, weight: 0 });
    await ipvs.addDestination(SERVICE, rs('10.0.0.4', 80), { ...MASQ, forwarding: ForwardingMethod.Tunnel, weight: 2147483647 });
    const dests = await ipvs.getDestinations(SERVICE);
    // Kernel order: newest first.
    assert.deepEqual(dests.map((d) => d.key.address), ['10.0.0.4', '10.0.0.3', '10.0.0.2']);
    const first = dests[2]!;
    assert.deepEqual(first.key, rs('10.0.0.2', 8080));
    assert.equal(first.weight, 3);
    assert.equal(first.upperThreshold, 100);
    assert.equal(first.lowerThreshold, 50);
    assert.equal(first.activeConnections, 0);
    assert.equal(first.inactiveConnections, 0);
    assert.equal(first.persistentConnections, 0);
    assert.equal(first.stats.wide, true);
    assert.equal(dests[1]!.forwarding, ForwardingMethod.DirectRoute);
    assert.equal(dests[0]!.weight, 2147483647);
    assert.deepEqual(saved(t), [
      '-A -t 10.0.0.1:80 -s wrr',
      '-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 3',
      '-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 0',
      '-a -t 10.0.0.1:80 -r 10.0.0.4:80 -i -w 2147483647 --tun-type ipip',
    ]);
    // -S does not show thresholds; --thresholds does.
    assert.match(t.ipvsadm(['-L', '-n', '--thresholds']).stdout, /10\.0\.0\.2:8080\s+100\s+50\s/);

    await ipvs.editDestination(SERVICE, rs('10.0.0.2', 8080), { ...MASQ, forwarding: ForwardingMethod.DirectRoute, weight: 9 });
    await ipvs.deleteDestination(SERVICE, rs('10.0.0.3', 80));
    const after = await ipvs.getDestinations(SERVICE);
    assert.deepEqual(after.map((d) => [d.key.address, d.forwarding, d.weight]), [
      ['10.0.0.4', ForwardingMethod.Tunnel, 2147483647],
      ['10.0.0.2', ForwardingMethod.DirectRoute, 9],
    ]);
    // A missing service lists no real servers (the kernel answers with an empty dump).
    assert.deepEqual(await ipvs.getDestinations({ ...SERVICE, port: 81 }), []);
  });
  assert.deepEqual(t.ipvsadm(['-Ln', '-t', '10.0.0.1:80']).stdout.split('\n').slice(3), [
    `  -> ${'10.0.0.2:8080'.padEnd(28)} Route   9      0          0         `,
    `  -> ${'10.0.0.4:80'.padEnd(28)} Tunnel  2147483647 0          0         `,
    '',
  ]);
});

vmTest('core: tunnel types ipip, gue (port, checksum flags) and gre', async (t) => {
  t.sh(DUMMY);
  const tun = { ...MASQ, forwarding: ForwardingMethod.Tunnel };
  await withClient(async (ipvs) => {
    await ipvs.addService(SERVICE, V4);
    await ipvs.addDestination(SERVICE, rs('10.0.0.10', 80), { ...tun, tunnelType: TunnelType.GUE, tunnelPort: 6080 });
    await ipvs.addDestination(SERVICE, rs('10.0.0.11', 80), { ...tun, tunnelType: TunnelType.GUE, tunnelPort: 6081, tunnelFlags: TunnelFlags.Checksum });
    await ipvs.addDestination(SERVICE, rs('10.0.0.12', 80), { ...tun, tunnelType: TunnelType.GUE, tunnelPort: 6082, tunnelFlags: TunnelFlags.RemoteChecksum });
    await ipvs.addDestination(SERVICE, rs('10.0.0.13', 80), { ...tun, tunnelType: TunnelType.GRE, tunnelFlags: TunnelFlags.Checksum });
    await ipvs.addDestination(SERVICE, rs('10.0.0.14', 80), { ...tun, tunnelType: TunnelType.GRE });
    const byAddress = new Map((await ipvs.getDestinations(SERVICE)).map((d) => [d.key.address, d]));
    assert.deepEqual(
      [byAddress.get('10.0.0.11')!.tunnelType, byAddress.get('10.0.0.11')!.tunnelPort, byAddress.get('10.0.0.11')!.tunnelFlags],
      [TunnelType.GUE, 6081, TunnelFlags.Checksum],
    );
    assert.equal(byAddress.get('10.0.0.13')!.tunnelType, TunnelType.GRE);
  });
  assert.deepEqual(saved(t), [
    '-A -t 10.0.0.1:80 -s wrr',
    '-a -t 10.0.0.1:80 -r 10.0.0.10:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum',
    '-a -t 10.0.0.1:80 -r 10.0.0.11:80 -i -w 1 --tun-type gue --tun-port 6081 --tun-csum',
    '-a -t 10.0.0.1:80 -r 10.0.0.12:80 -i -w 1 --tun-type gue --tun-port 6082 --tun-remcsum',
    '-a -t 10.0.0.1:80 -r 10.0.0.13:80 -i -w 1 --tun-type gre --tun-csum',
    '-a -t 10.0.0.1:80 -r 10.0.0.14:80 -i -w 1 --tun-type gre --tun-nocsum',
  ]);
});

vmTest('core: IPv6 real servers, fwmark real servers and mixed-family tunnels', async (t) => {
  t.sh(DUMMY);
  const v6: ServiceKey = { family: AddressFamily.IPv6, protocol: Protocol.TCP, address: '2001:db8::1', port: 80 };
  const mark: ServiceKey = { family: AddressFamily.IPv4, fwmark: 3 };
  await withClient(async (ipvs) => {
    await ipvs.addService(v6, { ...V4, netmask: 128 });
    await ipvs.addService(mark, V4);
    await ipvs.addDestination(v6, rs('2001:db8::10', 80, AddressFamily.IPv6), MASQ);
    // IPv4 real server behind an IPv6 service: only tunnelling may mix families.
    await ipvs.addDestination(v6, rs('10.0.0.20', 80), { ...MASQ, forwarding: ForwardingMethod.Tunnel, tunnelType: TunnelType.GUE, tunnelPort: 6080 });
    await ipvs.addDestination(mark, rs('2001:db8::30', 80, AddressFamily.IPv6), { ...MASQ, forwarding: ForwardingMethod.Tunnel });
    await ipvs.addDestination(mark, rs('10.0.0.31', 0), { ...MASQ, forwarding: ForwardingMethod.DirectRoute });
    const v6Dests = await ipvs.getDestinations(v6);
    assert.deepEqual(v6Dests.map((d) => d.key), [rs('10.0.0.20', 80), rs('2001:db8::10', 80, AddressFamily.IPv6)]);
    const markDests = await ipvs.getDestinations(mark);
    assert.deepEqual(markDests.map((d) => d.key), [rs('10.0.0.31', 0), rs('2001:db8::30', 80, AddressFamily.IPv6)]);
    await assert.rejects(
      ipvs.addDestination(v6, rs('10.0.0.21', 80), MASQ),
      { name: 'IpvsError', code: 'EINVAL' },
    );
  });
  assert.deepEqual(saved(t), [
    '-A -t [2001:db8::1]:80 -s wrr',
    '-a -t [2001:db8::1]:80 -r 10.0.0.20:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum',
    '-a -t [2001:db8::1]:80 -r [2001:db8::10]:80 -m -w 1',
    '-A -f 3 -s wrr',
    '-a -f 3 -r 10.0.0.31:0 -g -w 1',
    '-a -f 3 -r [2001:db8::30]:80 -i -w 1 --tun-type ipip',
  ]);
});

vmTest('core: settings left out get what ipvsadm sends when its options are left out', async (t) => {
  t.sh(DUMMY);
  const ipvsadm = (...argv: string[]): void => {
    const r = t.ipvsadm(argv);
    assert.equal(r.status, 0, r.stderr);
  };
  const tcp = (address: string, port: number): ServiceKey => ({ family: AddressFamily.IPv4, protocol: Protocol.TCP, address, port });
  const v6 = (port: number): ServiceKey => ({ family: AddressFamily.IPv6, protocol: Protocol.TCP, address: '2001:db8::1', port });
  // ipvsadm's twins of what the library adds below: port 81 (fwmark 5) instead of 80 (fwmark 4)
  ipvsadm('-A', '-t', '10.0.0.1:81');
  ipvsadm('-A', '-t', '[2001:db8::1]:81', '-s', 'rr');
  ipvsadm('-A', '-f', '5', '-p');
  ipvsadm('-a', '-t', '10.0.0.1:81', '-r', '10.0.0.3');
  ipvsadm('-a', '-t', '[2001:db8::1]:81', '-r', '2001:db8::3', '-w', '2');
  ipvsadm('-a', '-t', '10.0.0.1:81', '-r', '10.0.0.5:81', '-m', '-w', '5', '-x', '10');
  ipvsadm('-e', '-t', '10.0.0.1:81', '-r', '10.0.0.5:81', '-w', '0');
  await withClient(async (ipvs) => {
    await ipvs.addService(tcp('10.0.0.1', 80));
    await ipvs.addService(v6(80), { scheduler: 'rr' });
    await ipvs.addService({ family: AddressFamily.IPv4, fwmark: 4 }, { flags: ServiceFlags.Persistent });
    await ipvs.addDestination(tcp('10.0.0.1', 80), rs('10.0.0.2', 80));
    await ipvs.addDestination(v6(80), rs('2001:db8::2', 80, AddressFamily.IPv6), { weight: 2 });
    await ipvs.addDestination(tcp('10.0.0.1', 80), rs('10.0.0.4', 80), { forwarding: ForwardingMethod.Masquerade, weight: 5, upperThreshold: 10 });
    await ipvs.editDestination(tcp('10.0.0.1', 80), rs('10.0.0.4', 80), { weight: 0 });

    // what the kernel reports, ours beside ipvsadm's
    const settingsOf = async (key: ServiceKey) => serviceSettings(key, await ipvs.getService(key));
    const servers = async (key: ServiceKey) => (await ipvs.getDestinations(key)).map((d) => destinationSettings(d));
    assert.deepEqual(await settingsOf(tcp('10.0.0.1', 80)), { scheduler: 'wlc', timeout: 0, netmask: '255.255.255.255', flags: 0 });
    assert.deepEqual(await settingsOf(tcp('10.0.0.1', 80)), await settingsOf(tcp('10.0.0.1', 81)));
    assert.deepEqual(await settingsOf(v6(80)), { scheduler: 'rr', timeout: 0, netmask: 128, flags: 0 });
    assert.deepEqual(await settingsOf(v6(80)), await settingsOf(v6(81)));
    const persistent = { scheduler: 'wlc', timeout: 360, netmask: '255.255.255.255', flags: ServiceFlags.Persistent };
    assert.deepEqual(await settingsOf({ family: AddressFamily.IPv4, fwmark: 4 }), persistent);
    assert.deepEqual(await settingsOf({ family: AddressFamily.IPv4, fwmark: 5 }), persistent);
    const directRoute = { forwarding: ForwardingMethod.DirectRoute, upperThreshold: 0, lowerThreshold: 0, tunnelType: TunnelType.IPIP, tunnelPort: 0, tunnelFlags: 0 };
    // newest first: the edited one (masquerading and its threshold gone with the edit), then the plain one
    assert.deepEqual(await servers(tcp('10.0.0.1', 80)), [{ ...directRoute, weight: 0 }, { ...directRoute, weight: 1 }]);
    assert.deepEqual(await servers(tcp('10.0.0.1', 80)), await servers(tcp('10.0.0.1', 81)));
    assert.deepEqual(await servers(v6(80)), [{ ...directRoute, weight: 2 }]);
    assert.deepEqual(await servers(v6(80)), await servers(v6(81)));
  });
  assert.ok(saved(t).includes('-a -t 10.0.0.1:80 -r 10.0.0.4:80 -g -w 0'), saved(t).join('\n'));
});
