/**
 * The `netns` option on the host kernel, in throw-away network namespaces: /proc/sys/net and rtnetlink
 * of that namespace, set up and torn down, while the caller's namespace is only read.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { netnsInode, openNetns } from '@tsipvs/ipvs-core';
import { unshareNetns } from '@tsipvs/ipvs-core/testing';
import { realserverPreset } from '../src/presets';
import { RtnetlinkInterfaces } from '../src/rtnetlink';
import { setupPreset, teardownPreset } from '../src/setup';
import { defaultStateFile } from '../src/state';
import { PROC_SYS, SysctlTree } from '../src/tree';

const own = netnsInode();
let fd: number;

beforeAll(() => {
  fd = unshareNetns();
});

afterAll(() => fs.closeSync(fd));

afterEach(() => expect(netnsInode()).toBe(own));

/** Refuses to go on unless `tree` shows a fresh namespace: a test that writes must never reach the host's settings. */
function expectFreshNamespace(tree: SysctlTree): void {
  const scopes = new Set(tree.list('net.ipv4.conf').map((e) => e.key.components[3]));
  if ([...scopes].sort().join(',') !== 'all,default,lo') throw new Error(`not a fresh namespace: ${[...scopes].join(',')}`);
}

describe('sysctl in another network namespace', () => {
  test('the tree reads and lists that namespace, with a descriptor, a path or a handle', () => {
    for (const netns of [fd, `/proc/${process.pid}/fd/${fd}`, openNetns(fd)]) expectFreshNamespace(new SysctlTree(PROC_SYS, { netns }));
    expect(() => new SysctlTree(PROC_SYS, { netns: `tsipvs-unit-missing-${process.pid}` }).read('net.ipv4.ip_forward')).toThrow(
      `network namespace "tsipvs-unit-missing-${process.pid}" not found`,
    );
  });

  test('a real-server preset changes only that namespace: its ARP settings, lo up and the VIP, then teardown restores them', async () => {
    const tree = new SysctlTree(PROC_SYS, { netns: fd });
    expectFreshNamespace(tree);
    const hostArp = fs.readFileSync('/proc/sys/net/ipv4/conf/all/arp_ignore', 'utf8');
    const before = tree.read('net.ipv4.conf.lo.arp_announce');
    const network = new RtnetlinkInterfaces({ netns: fd });
    const hostNetwork = new RtnetlinkInterfaces();
    const stateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsipvs-netns-state-')), 'realserver.json');
    try {
      expect(await network.link('lo')).toMatchObject({ up: false });
      await setupPreset(realserverPreset({ mode: 'dr', vips: ['192.0.2.77'] }), { netns: fd, stateFile });
      expect(tree.read('net.ipv4.conf.lo.arp_announce')).toBe('2');
      expect(tree.read('net.ipv4.conf.all.arp_ignore')).toBe('1');
      expect(await network.link('lo')).toMatchObject({ up: true });
      expect(await network.hasAddress('lo', '192.0.2.77', 32)).toBe(true);
      expect(await hostNetwork.hasAddress('lo', '192.0.2.77', 32)).toBe(false);
      expect(fs.readFileSync('/proc/sys/net/ipv4/conf/all/arp_ignore', 'utf8')).toBe(hostArp);

      await teardownPreset('realserver', { netns: fd, stateFile });
      expect(tree.read('net.ipv4.conf.lo.arp_announce')).toBe(before);
      expect(await network.hasAddress('lo', '192.0.2.77', 32)).toBe(false);
    } finally {
      network.close();
      hostNetwork.close();
    }
  });

  test('the default state file is named after that namespace', () => {
    expect(defaultStateFile('director', fd)).toBe(`/run/tsipvs/director-netns${fs.fstatSync(fd).ino}.json`);
    expect(defaultStateFile('director')).toBe(`/run/tsipvs/director-netns${own}.json`);
  });
});
