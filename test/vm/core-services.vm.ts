/** ipvs-core against the real kernel: info, timeouts, services of every kind, schedulers. */
import * as assert from 'node:assert/strict';
import { AddressFamily, Protocol, ServiceFlags, type ServiceKey, type ServiceOptions } from '@tsipvs/ipvs-core';
import { vmTest } from '../harness/guest';
import { DUMMY, saved, withClient } from './core-support.vm';

const V4: ServiceOptions = { scheduler: 'rr', timeout: 0, netmask: '255.255.255.255', flags: 0 };
const tcp = (address: string, port: number): ServiceKey => ({ family: AddressFamily.IPv4, protocol: Protocol.TCP, address, port });

vmTest('core: info and timeouts get/set', async (t) => {
  await withClient(async (ipvs) => {
    const info = await ipvs.getInfo();
    assert.deepEqual(info, { version: '1.2.1', versionCode: 0x010201, connectionTableSize: 4096 });
    assert.deepEqual(await ipvs.getTimeouts(), { tcp: 900, tcpFin: 120, udp: 300 });
    await ipvs.setTimeouts({ tcp: 1000, udp: 77 });
    assert.deepEqual(await ipvs.getTimeouts(), { tcp: 1000, tcpFin: 120, udp: 77 });
    await ipvs.setTimeouts({ tcpFin: 33 });
    assert.deepEqual(await ipvs.getTimeouts(), { tcp: 1000, tcpFin: 33, udp: 77 });
  });
  assert.equal(t.ipvsadm(['-L', '-n', '--timeout']).stdout, 'Timeout (tcp tcpfin udp): 1000 33 77\n');
});

vmTest('core: add, get, edit, delete TCP/UDP/SCTP IPv4 services', async (t) => {
  await withClient(async (ipvs) => {
    await ipvs.addService(tcp('10.0.0.1', 80), V4);
    await ipvs.addService({ family: AddressFamily.IPv4, protocol: Protocol.UDP, address: '10.0.0.1', port: 53 }, { ...V4, scheduler: 'wlc' });
    await ipvs.addService({ family: AddressFamily.IPv4, protocol: Protocol.SCTP, address: '10.0.0.2', port: 9 }, { ...V4, scheduler: 'lc' });
    assert.deepEqual(saved(t), [
      '-A -t 10.0.0.1:80 -s rr',
      '-A -u 10.0.0.1:53 -s wlc',
      '-A --sctp-service 10.0.0.2:9 -s lc',
    ]);
    const one = await ipvs.getService(tcp('10.0.0.1', 80));
    assert.deepEqual(one.key, tcp('10.0.0.1', 80));
    assert.equal(one.scheduler, 'rr');
    assert.equal(one.stats.wide, true);
    assert.equal(one.stats.connections, 0n);
    const all = await ipvs.getServices();
    assert.equal(all.length, 3);
    assert.deepEqual(all.map((s) => s.scheduler).sort(), ['lc', 'rr', 'wlc']);

    await ipvs.editService(tcp('10.0.0.1', 80), { scheduler: 'wrr', timeout: 300, netmask: '255.255.255.0', flags: ServiceFlags.Persistent });
    const edited = await ipvs.getService(tcp('10.0.0.1', 80));
    assert.equal(edited.scheduler, 'wrr');
    assert.equal(edited.timeout, 300);
    assert.equal(edited.netmask, '255.255.255.0');
    assert.equal(edited.flags, ServiceFlags.Persistent);
    assert.ok(saved(t).includes('-A -t 10.0.0.1:80 -s wrr -p 300 -M 255.255.255.0'), saved(t).join('\n'));

    await ipvs.deleteService({ family: AddressFamily.IPv4, protocol: Protocol.UDP, address: '10.0.0.1', port: 53 });
    assert.deepEqual(saved(t), ['-A -t 10.0.0.1:80 -s wrr -p 300 -M 255.255.255.0', '-A --sctp-service 10.0.0.2:9 -s lc']);
  });
});

vmTest('core: every scheduler the kernel ships', async (t) => {
  const schedulers = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'];
  await withClient(async (ipvs) => {
    for (const [i, scheduler] of schedulers.entries()) await ipvs.addService(tcp('10.0.0.1', 1000 + i), { ...V4, scheduler });
    const byPort = new Map((await ipvs.getServices()).map((s) => [('port' in s.key ? s.key.port : 0), s.scheduler]));
    schedulers.forEach((scheduler, i) => assert.equal(byPort.get(1000 + i), scheduler));
  });
  const lines = saved(t);
  schedulers.forEach((scheduler, i) => assert.ok(lines.includes(`-A -t 10.0.0.1:${1000 + i} -s ${scheduler}`), `${scheduler}: ${lines.join('\n')}`));
});

vmTest('core: persistence, netmask, one-packet, sip engine and scheduler flags', async (t) => {
  const udp = (port: number): ServiceKey => ({ family: AddressFamily.IPv4, protocol: Protocol.UDP, address: '10.0.0.5', port });
  await withClient(async (ipvs) => {
    await ipvs.addService(udp(5060), { scheduler: 'rr', timeout: 60, netmask: '255.255.255.255', flags: ServiceFlags.Persistent, persistenceEngine: 'sip' });
    await ipvs.addService(udp(53), { scheduler: 'wlc', timeout: 0, netmask: '255.255.255.255', flags: ServiceFlags.OnePacket });
    await ipvs.addService(udp(1), { scheduler: 'sh', timeout: 0, netmask: '255.255.255.255', flags: ServiceFlags.Sched1 | ServiceFlags.Sched2 });
    await ipvs.addService(udp(2), { scheduler: 'mh', timeout: 0, netmask: '255.255.255.255', flags: ServiceFlags.Sched1 | ServiceFlags.Sched2 });
    await ipvs.addService(udp(3), { scheduler: 'rr', timeout: 0, netmask: '255.255.255.255', flags: ServiceFlags.Sched3 });
    await ipvs.addService(udp(4), { scheduler: 'rr', timeout: 120, netmask: '255.255.0.0', flags: ServiceFlags.Persistent });
    const sip = await ipvs.getService(udp(5060));
    assert.equal(sip.persistenceEngine, 'sip');
    assert.equal(sip.flags, ServiceFlags.Persistent);
    assert.equal(sip.timeout, 60);
    assert.equal((await ipvs.getService(udp(53))).flags, ServiceFlags.OnePacket);
    assert.equal((await ipvs.getService(udp(1))).flags, ServiceFlags.Sched1 | ServiceFlags.Sched2);
    assert.equal((await ipvs.getService(udp(4))).netmask, '255.255.0.0');
    // editService replaces everything: without an engine, the kernel removes it.
    await ipvs.editService(udp(5060), { scheduler: 'rr', timeout: 60, netmask: '255.255.255.255', flags: ServiceFlags.Persistent });
    assert.equal((await ipvs.getService(udp(5060))).persistenceEngine, undefined);
  });
  assert.deepEqual(saved(t).sort(), [
    '-A -u 10.0.0.5:1 -s sh -b sh-fallback,sh-port',
    '-A -u 10.0.0.5:2 -s mh -b mh-fallback,mh-port',
    '-A -u 10.0.0.5:3 -s rr -b flag-3',
    '-A -u 10.0.0.5:4 -s rr -p 120 -M 255.255.0.0',
    '-A -u 10.0.0.5:5060 -s rr -p 60',
    '-A -u 10.0.0.5:53 -s wlc -o',
  ].sort());
});

vmTest('core: IPv6 services with a persistence prefix', async (t) => {
  const key: ServiceKey = { family: AddressFamily.IPv6, protocol: Protocol.TCP, address: '2001:db8::1', port: 443 };
  await withClient(async (ipvs) => {
    await ipvs.addService(key, { scheduler: 'sh', timeout: 300, netmask: 64, flags: ServiceFlags.Persistent });
    await ipvs.addService({ family: AddressFamily.IPv6, protocol: Protocol.UDP, address: '2001:DB8:0:0::2', port: 53 }, { scheduler: 'rr', timeout: 0, netmask: 128, flags: 0 });
    const service = await ipvs.getService(key);
    assert.deepEqual(service.key, key);
    assert.equal(service.netmask, 64);
    const addresses = (await ipvs.getServices()).map((s) => ('address' in s.key ? s.key.address : '')).sort();
    assert.deepEqual(addresses, ['2001:db8::1', '2001:db8::2']);
  });
  assert.deepEqual(saved(t), ['-A -t [2001:db8::1]:443 -s sh -p 300 -M 64', '-A -u [2001:db8::2]:53 -s rr']);
});

vmTest('core: fwmark services, IPv4 and IPv6', async (t) => {
  await withClient(async (ipvs) => {
    await ipvs.addService({ family: AddressFamily.IPv4, fwmark: 7 }, V4);
    await ipvs.addService({ family: AddressFamily.IPv6, fwmark: 7 }, { scheduler: 'wrr', timeout: 0, netmask: 128, flags: 0 });
    await ipvs.addService({ family: AddressFamily.IPv4, fwmark: 0xffffffff }, V4);
    const keys = (await ipvs.getServices()).map((s) => s.key);
    assert.equal(keys.length, 3);
    assert.ok(keys.some((k) => 'fwmark' in k && k.fwmark === 7 && k.family === AddressFamily.IPv6));
    assert.equal((await ipvs.getService({ family: AddressFamily.IPv6, fwmark: 7 })).scheduler, 'wrr');
    await ipvs.deleteService({ family: AddressFamily.IPv4, fwmark: 7 });
  });
  assert.deepEqual(saved(t).sort(), ['-A -f -1 -s rr', '-A -f 7 -6 -s wrr']);
});
