import { EventEmitter } from 'node:events';
import type { ChannelOptions, VrrpChannel } from '../src/vrrp/io';
import { FakeClock } from './check-support';
import { VrrpInstance, type InstanceDeps } from '../src/vrrp/instance';
import { VrrpSyncGroup } from '../src/vrrp/sync-group';
import { VRRP_DEFAULTS, type VirtualAddress, type VrrpInstanceConfig } from '../src/config/vrrp-model';

/** A shared segment: what one channel sends reaches every other channel with an IPv4 header, TTL 255. */
class Segment {
  readonly channels: Array<{ source: string; channel: EventEmitter; up: boolean }> = [];
  sent: Array<{ from: string; bytes: Buffer }> = [];
  open(options: ChannelOptions): VrrpChannel {
    const emitter = new EventEmitter();
    const entry = { source: options.source, channel: emitter, up: true };
    this.channels.push(entry);
    const channel = Object.assign(emitter, {
      ifindex: 2,
      send: (encode: (destination: string) => Buffer) => {
        if (!entry.up) return;
        const message = encode(options.group);
        this.sent.push({ from: options.source, bytes: message });
        const header = Buffer.alloc(20);
        header[0] = 0x45;
        header.writeUInt16BE(20 + message.length, 2);
        header[8] = 255;
        header[9] = 112;
        Buffer.from(options.source.split('.').map(Number)).copy(header, 12);
        Buffer.from(options.group.split('.').map(Number)).copy(header, 16);
        const datagram = Buffer.concat([header, message]);
        for (const other of this.channels) if (other !== entry && other.up) other.channel.emit('datagram', datagram);
      },
      close: async () => {
        entry.up = false;
      },
    });
    return channel as VrrpChannel;
  }
}

const VIP: VirtualAddress = { at: { file: 'k.conf', line: 9 }, address: '10.0.0.100', prefixLength: 24, label: 'eth0:1' };

function instance(name: string, priority: number, over: Partial<VrrpInstanceConfig> = {}): VrrpInstanceConfig {
  return {
    at: { file: 'k.conf', line: 1 }, name, wantMaster: priority === 100, interface: 'eth0', virtualRouterId: 50, priority,
    advertIntMs: 1000, version: 2, preempt: true, preemptDelayMs: 0, auth: { type: 'pass', password: '1111' }, addresses: [VIP],
    excludedAddresses: [], unicastPeers: [], mcastGroup: '233.6.6.6', trackInterfaces: [], trackScripts: [],
    notify: { master: `/etc/keepalived/notify.sh master`, backup: `/etc/keepalived/notify.sh backup`, any: '/n' },
    garpMasterDelayMs: VRRP_DEFAULTS.garpMasterDelayMs, garpMasterRepeat: VRRP_DEFAULTS.garpMasterRepeat, garpMasterRefreshMs: 0,
    garpMasterRefreshRepeat: 1, skipCheckAdvAddr: true, lowerPriorityNoAdvert: false, ...over,
  };
}

function director(segment: Segment, clock: FakeClock, source: string) {
  const held = new Set<string>();
  const events: string[] = [];
  const deps: InstanceDeps = {
    openChannel: (o) => segment.open(o),
    addresses: {
      add: async (a, dev) => void held.add(`${a.address}/${a.prefixLength} ${dev} ${a.label ?? ''}`.trim()),
      remove: async (a, dev) => void held.delete(`${a.address}/${a.prefixLength} ${dev} ${a.label ?? ''}`.trim()),
    },
    announce: (dev, addresses) => events.push(`garp ${dev} ${addresses.join(',')}`),
    notify: (command, args) => events.push(`notify ${[command, ...args].join(' ')}`),
    clock,
    primaryAddress: () => source,
    log: () => undefined,
  };
  return { deps, held, events };
}

describe('two directors on one segment', () => {
  test('the operator\'s pair: MASTER (100) holds the VIP, BACKUP (80) takes over after its down interval when the master goes silent, then the master preempts', async () => {
    const clock = new FakeClock();
    const segment = new Segment();
    const a = director(segment, clock, '10.0.0.200');
    const b = director(segment, clock, '10.0.0.201');
    const master = new VrrpInstance(instance('VI_1', 100), a.deps);
    const backup = new VrrpInstance(instance('VI_1', 80, { wantMaster: false }), b.deps);
    master.start();
    backup.start();
    await clock.advance(1100);
    expect([master.state, backup.state]).toEqual(['MASTER', 'BACKUP']);
    expect([...a.held]).toEqual(['10.0.0.100/24 eth0 eth0:1']);
    expect([...b.held]).toEqual([]);
    expect(a.events).toContain('notify /etc/keepalived/notify.sh master');
    expect(a.events).toContain('notify /n INSTANCE VI_1 MASTER 100');
    expect(a.events.filter((e) => e === 'garp eth0 10.0.0.100')).toHaveLength(5);
    await clock.advance(10_000);
    expect(backup.state).toBe('BACKUP');
    expect(a.events.filter((e) => e === 'garp eth0 10.0.0.100')).toHaveLength(10); // the second burst after garp_master_delay

    // the master's link goes down: silent; the backup takes over after 3 × 1 s + (256 - 80) / 256 s
    segment.channels[0]!.up = false;
    // (the last advert left less than one interval before the link went down)
    await clock.advance(3687.5 - 1000 - 1);
    expect(backup.state).toBe('BACKUP');
    await clock.advance(1001);
    expect(backup.state).toBe('MASTER');
    expect([...b.held]).toEqual(['10.0.0.100/24 eth0 eth0:1']);

    // the link comes back: the master (100) hears a lower priority and preempts at once
    segment.channels[0]!.up = true;
    await clock.advance(1000);
    expect([master.state, backup.state]).toEqual(['MASTER', 'BACKUP']);
    expect([...b.held]).toEqual([]);
    expect(master.status().transitions.map((t) => t.to)).toEqual(['BACKUP', 'MASTER']);
  });

  test('SIGTERM on the master: priority 0, the backup takes over after its skew alone', async () => {
    const clock = new FakeClock();
    const segment = new Segment();
    const master = new VrrpInstance(instance('VI_1', 100), director(segment, clock, '10.0.0.200').deps);
    const backup = new VrrpInstance(instance('VI_1', 80, { wantMaster: false }), director(segment, clock, '10.0.0.201').deps);
    master.start();
    backup.start();
    await clock.advance(5000);
    await master.stop();
    expect(segment.sent.at(-1)!.bytes[2]).toBe(0);
    await clock.advance(688);
    expect(backup.state).toBe('MASTER');
  });

  test('nopreempt: a returning higher priority stays BACKUP', async () => {
    const clock = new FakeClock();
    const segment = new Segment();
    const first = new VrrpInstance(instance('VI_1', 80, { wantMaster: false }), director(segment, clock, '10.0.0.201').deps);
    first.start();
    await clock.advance(4000);
    expect(first.state).toBe('MASTER');
    const returning = new VrrpInstance(instance('VI_1', 100, { wantMaster: false, preempt: false }), director(segment, clock, '10.0.0.200').deps);
    returning.start();
    await clock.advance(20_000);
    expect([first.state, returning.state]).toEqual(['MASTER', 'BACKUP']);
  });

  test('a wrong auth_pass or VRID: adverts dropped and counted, both sides MASTER', async () => {
    const clock = new FakeClock();
    const segment = new Segment();
    const a = new VrrpInstance(instance('VI_1', 100), director(segment, clock, '10.0.0.200').deps);
    const b = new VrrpInstance(instance('VI_1', 80, { wantMaster: false, auth: { type: 'pass', password: '2222' } }), director(segment, clock, '10.0.0.201').deps);
    a.start();
    b.start();
    await clock.advance(10_000);
    expect([a.state, b.state]).toEqual(['MASTER', 'MASTER']);
    expect(b.status().dropped.auth).toBeGreaterThanOrEqual(5);
    const c = new VrrpInstance(instance('VI_2', 80, { wantMaster: false, virtualRouterId: 51 }), director(segment, clock, '10.0.0.202').deps);
    c.start();
    await clock.advance(10_000);
    expect(c.state).toBe('MASTER');
    expect(c.status().dropped.vrid).toBeGreaterThanOrEqual(5);
    expect(c.status().transitionCounts).toEqual({ BACKUP: 1, MASTER: 1 });
  });

  test('a MASTER that sees an advert of lower priority sends garp_lower_prio_repeat gratuitous ARPs at once and after garp_lower_prio_delay', async () => {
    const clock = new FakeClock();
    const segment = new Segment();
    const a = director(segment, clock, '10.0.0.200');
    const master = new VrrpInstance(instance('VI_1', 100, { garpLowerPrioRepeat: 2, garpLowerPrioDelayMs: 3000, garpMasterDelayMs: 0 }), a.deps);
    master.start();
    await clock.advance(1100);
    expect(master.state).toBe('MASTER');
    // the link to the other director is cut; it becomes MASTER too (priority 80) and the link comes back
    segment.channels[0]!.up = false;
    const other = new VrrpInstance(instance('VI_1', 80, { wantMaster: false }), director(segment, clock, '10.0.0.201').deps);
    other.start();
    await clock.advance(5000);
    expect(other.state).toBe('MASTER');
    const garps = () => a.events.filter((e) => e === 'garp eth0 10.0.0.100').length;
    const before = garps();
    segment.channels[0]!.up = true;
    await clock.advance(1000);
    expect([master.state, other.state]).toEqual(['MASTER', 'BACKUP']);
    expect(garps()).toBe(before + 2);
    await clock.advance(3000);
    expect(garps()).toBe(before + 4);
    await clock.advance(10_000);
    expect(garps()).toBe(before + 4); // the other is BACKUP now: no more lower-priority adverts
  });

  test('a lower effective priority on the master (a failing check script) hands the VIP over', async () => {
    const clock = new FakeClock();
    const segment = new Segment();
    const a = director(segment, clock, '10.0.0.200');
    const master = new VrrpInstance(instance('VI_1', 100), a.deps);
    const backup = new VrrpInstance(instance('VI_1', 80, { wantMaster: false }), director(segment, clock, '10.0.0.201').deps);
    master.start();
    backup.start();
    await clock.advance(5000);
    master.setPriority(70);
    await clock.advance(5000);
    expect([master.state, backup.state]).toEqual(['BACKUP', 'MASTER']);
    expect(master.status()).toMatchObject({ configuredPriority: 100, effectivePriority: 70, masterAddress: '10.0.0.201' });
    expect([...a.held]).toEqual([]);
  });

  test('vrrp_sync_group: when one member hands over, the other follows, and the group notifies once', async () => {
    const clock = new FakeClock();
    const segment = new Segment();
    const a = director(segment, clock, '10.0.0.200');
    const b = director(segment, clock, '10.0.0.201');
    const group = { at: { file: 'k.conf', line: 3 }, name: 'VG1', instances: ['VI_1', 'VI_2'], notify: { any: '/g' } };
    const a1 = new VrrpInstance(instance('VI_1', 100), a.deps);
    const a2 = new VrrpInstance(instance('VI_2', 100, { virtualRouterId: 51 }), a.deps);
    const b1 = new VrrpInstance(instance('VI_1', 80, { wantMaster: false }), b.deps);
    const b2 = new VrrpInstance(instance('VI_2', 80, { wantMaster: false, virtualRouterId: 51 }), b.deps);
    const groupA = new VrrpSyncGroup(group, [a1, a2], a.deps.notify);
    new VrrpSyncGroup(group, [b1, b2], b.deps.notify);
    for (const i of [a1, a2, b1, b2]) i.start();
    await clock.advance(5000);
    expect([a1.state, a2.state, b1.state, b2.state]).toEqual(['MASTER', 'MASTER', 'BACKUP', 'BACKUP']);
    a2.setPriority(70);
    await clock.advance(6000);
    expect([a1.state, a2.state, b1.state, b2.state]).toEqual(['BACKUP', 'BACKUP', 'MASTER', 'MASTER']);
    expect(groupA.state).toBe('BACKUP');
    // BACKUP at start (keepalived notifies a group's initial BACKUP too), MASTER, then BACKUP once
    expect(a.events.filter((e) => e.startsWith('notify /g'))).toEqual(['notify /g GROUP VG1 BACKUP 0', 'notify /g GROUP VG1 MASTER 0', 'notify /g GROUP VG1 BACKUP 0']);
  });
});
