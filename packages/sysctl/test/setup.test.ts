import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { directorPreset, realserverPreset } from '../src/presets';
import { setupPreset, teardownPreset } from '../src/setup';
import { readRecord } from '../src/state';
import { SysctlTree } from '../src/tree';
import { FailingTree } from './support/failing-tree';
import { FakeNetwork } from './support/fake-network';
import { makeTempTree, removeTree, snapshot } from './support/temp-tree';

describe('setup and teardown', () => {
  let root: string;
  let scratch: string;
  let tree: SysctlTree;
  let network: FakeNetwork;
  let stateFile: string;
  beforeEach(() => {
    root = makeTempTree();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsipvs-state-'));
    tree = new SysctlTree(root);
    network = new FakeNetwork();
    stateFile = path.join(scratch, 'run', 'realserver.json');
  });
  afterEach(() => {
    removeTree(root);
    removeTree(scratch);
  });

  it('plans only what differs, from the current value to the wanted one', async () => {
    tree.write('net.ipv4.conf.lo.arp_ignore', '1');
    const { plan, applied } = await setupPreset(realserverPreset({ mode: 'dr', vips: ['192.0.2.10'] }), { tree, network, stateFile, dryRun: true });
    expect(applied).toBe(false);
    expect(plan.steps.map((s) => (s.kind === 'sysctl' ? `${s.key} ${s.from}->${s.to}` : s.kind))).toEqual([
      'net.ipv4.conf.all.arp_ignore 0->1',
      'net.ipv4.conf.all.arp_announce 0->2',
      'net.ipv4.conf.lo.arp_announce 0->2',
      'address',
    ]);
    expect(plan.unchanged).toEqual([
      { item: 'net.ipv4.conf.lo.arp_ignore', value: '1' },
      { item: 'link lo', value: 'up' },
    ]);
    expect(fs.existsSync(stateFile)).toBe(false);
    expect(tree.read('net.ipv4.conf.all.arp_ignore')).toBe('0');
  });

  it.each([
    ['realserver dr', realserverPreset({ mode: 'dr', vips: ['192.0.2.10', '192.0.2.11'] })],
    ['realserver tun', realserverPreset({ mode: 'tun', vips: ['192.0.2.10'] })],
    ['realserver dr on eth0.100', realserverPreset({ mode: 'dr', vips: ['192.0.2.10'], dev: 'eth0.100' })],
    ['director nat', directorPreset({ mode: 'nat', dev: 'eth0', ipvs: { conntrack: '1' } })],
    ['director dr', directorPreset({ mode: 'dr' })],
    ['director tun', directorPreset({ mode: 'tun', dev: 'eth0' })],
  ])('%s: applies, records, and teardown restores exactly', async (_name, preset) => {
    if (preset.dev === 'eth0.100') network.up.set('eth0.100', false);
    const treeBefore = snapshot(root);
    const networkBefore = network.snapshot();
    const file = path.join(scratch, `${preset.role}.json`);

    const { plan, applied } = await setupPreset(preset, { tree, network, stateFile: file });
    expect(applied).toBe(true);
    for (const s of preset.desired.sysctls) expect(tree.read(s.key)).toBe(s.value);
    for (const a of preset.desired.addresses) expect(await network.hasAddress(a.dev, a.address, a.prefixLength)).toBe(true);
    for (const l of preset.desired.linksUp) expect(network.up.get(l.dev)).toBe(true);
    expect(readRecord(file)?.steps).toEqual(plan.steps);

    const { report } = await teardownPreset(preset.role, { tree, network, stateFile: file });
    expect(report?.failed).toEqual([]);
    expect(snapshot(root)).toEqual(treeBefore);
    expect(network.snapshot()).toEqual(networkBefore);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('rolls back what was applied when a step fails, and records nothing', async () => {
    const before = snapshot(root);
    network.failAddingAddress = '192.0.2.11';
    const setup = setupPreset(realserverPreset({ mode: 'tun', vips: ['192.0.2.10', '192.0.2.11'] }), { tree, network, stateFile });
    await expect(setup).rejects.toMatchObject({ code: 'apply-failed', message: expect.stringMatching(/192\.0\.2\.11.*EPERM.*rolled back the 8 changes/) });
    expect(snapshot(root)).toEqual(before);
    expect(network.snapshot()).toEqual(new FakeNetwork().snapshot());
    expect(fs.existsSync(stateFile)).toBe(false);
  });

  it('refuses a second setup until teardown', async () => {
    await setupPreset(realserverPreset({ mode: 'dr', vips: ['192.0.2.10'] }), { tree, network, stateFile });
    await expect(setupPreset(realserverPreset({ mode: 'dr', vips: ['192.0.2.20'] }), { tree, network, stateFile })).rejects.toMatchObject({
      code: 'state',
      message: expect.stringContaining('already set up'),
    });
  });

  it('teardown refuses a mismatching mode, VIP or interface, and a missing record', async () => {
    await expect(teardownPreset('realserver', { tree, network, stateFile })).rejects.toMatchObject({ code: 'state', message: expect.stringContaining('not set up') });
    await setupPreset(realserverPreset({ mode: 'dr', vips: ['192.0.2.10'] }), { tree, network, stateFile });
    await expect(teardownPreset('realserver', { tree, network, stateFile, expectMode: 'tun' })).rejects.toThrow(/mode dr, not tun/);
    await expect(teardownPreset('realserver', { tree, network, stateFile, expectVips: ['192.0.2.99'] })).rejects.toThrow(/VIPs 192\.0\.2\.10, not 192\.0\.2\.99/);
    await expect(teardownPreset('realserver', { tree, network, stateFile, expectDev: 'eth0' })).rejects.toThrow(/interface lo, not eth0/);
    await expect(teardownPreset('director', { tree, network, stateFile })).rejects.toThrow(/records a realserver setup/);
    const dry = await teardownPreset('realserver', { tree, network, stateFile, dryRun: true, expectMode: 'dr', expectVips: ['192.0.2.10'] });
    expect(dry.report).toBeUndefined();
    expect(tree.read('net.ipv4.conf.all.arp_ignore')).toBe('1');
  });

  it('restores drifted values and reports them; skips what is gone', async () => {
    await setupPreset(realserverPreset({ mode: 'dr', vips: ['192.0.2.10'] }), { tree, network, stateFile });
    tree.write('net.ipv4.conf.all.arp_ignore', '2');
    await network.deleteAddress('lo', '192.0.2.10', 32);
    const { report } = await teardownPreset('realserver', { tree, network, stateFile });
    expect(report?.drifted.map((d) => d.found)).toEqual(['2']);
    expect(report?.gone.map((s) => s.kind)).toEqual(['address']);
    expect(tree.read('net.ipv4.conf.all.arp_ignore')).toBe('0');
  });

  it('restores the exact bytes it read: "0 \\n" comes back as "0 \\n"', async () => {
    fs.writeFileSync(path.join(root, 'net/ipv4/conf/all/arp_ignore'), '0 \n');
    fs.writeFileSync(path.join(root, 'net/ipv4/conf/all/rp_filter'), '2\t\n');
    fs.writeFileSync(path.join(root, 'net/ipv4/conf/tunl0/rp_filter'), '2');
    const before = snapshot(root);
    await setupPreset(realserverPreset({ mode: 'tun', vips: ['192.0.2.10'] }), { tree, network, stateFile });
    expect(fs.readFileSync(path.join(root, 'net/ipv4/conf/all/arp_ignore'), 'utf8')).toBe('1\n');
    expect(readRecord(stateFile)?.steps[0]).toMatchObject({ key: 'net.ipv4.conf.all.arp_ignore', from: '0', fromBase64: Buffer.from('0 \n').toString('base64') });
    await teardownPreset('realserver', { tree, network, stateFile });
    expect(fs.readFileSync(path.join(root, 'net/ipv4/conf/all/arp_ignore'), 'utf8')).toBe('0 \n');
    expect(snapshot(root)).toEqual(before);
  });

  it('refuses a state file of the older format, changing nothing', async () => {
    await setupPreset(realserverPreset({ mode: 'dr', vips: ['192.0.2.10'] }), { tree, network, stateFile });
    const applied = snapshot(root);
    const record = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { steps: Record<string, unknown>[] };
    const older = { ...record, version: 1, steps: record.steps.map(({ fromBase64: _dropped, ...step }) => step) };
    fs.writeFileSync(stateFile, JSON.stringify(older));
    await expect(teardownPreset('realserver', { tree, network, stateFile })).rejects.toMatchObject({
      code: 'state',
      message: expect.stringContaining(`state file ${stateFile} was written by an older tsipvs (format 1`),
    });
    expect(snapshot(root)).toEqual(applied);
    expect(fs.existsSync(stateFile)).toBe(true);
  });

  it('rolls back when a sysctl write fails mid-plan', async () => {
    const failing = new FailingTree(root);
    failing.failWritesTo = 'net.ipv4.conf.lo.arp_ignore';
    fs.writeFileSync(path.join(root, 'net/ipv4/conf/all/arp_ignore'), '0 \n');
    const before = snapshot(root);
    await expect(setupPreset(realserverPreset({ mode: 'dr', vips: ['192.0.2.10'] }), { tree: failing, network, stateFile })).rejects.toMatchObject({
      code: 'apply-failed',
      message: expect.stringContaining('net.ipv4.conf.lo.arp_ignore: 0 -> 1 failed: the kernel rejected "1" (EINVAL); rolled back the 2 changes already made'),
    });
    expect(snapshot(root)).toEqual(before);
    expect(network.snapshot()).toEqual(new FakeNetwork().snapshot());
  });

  it('keeps the record when a rollback fails, so that teardown can finish it', async () => {
    const failing = new FailingTree(root);
    const before = snapshot(root);
    failing.failWritesTo = 'net.ipv4.conf.all.arp_ignore';
    failing.failingValue = '0';
    network.failAddingAddress = '192.0.2.10';
    await expect(setupPreset(realserverPreset({ mode: 'dr', vips: ['192.0.2.10'] }), { tree: failing, network, stateFile })).rejects.toMatchObject({
      code: 'rollback-failed',
      message: expect.stringMatching(/rolling back failed for: net\.ipv4\.conf\.all\.arp_ignore: 0 -> 1 .*run "tsipvs realserver teardown" to retry/),
    });
    expect(tree.read('net.ipv4.conf.all.arp_ignore')).toBe('1');
    failing.failWritesTo = undefined;
    const { report } = await teardownPreset('realserver', { tree: failing, network, stateFile });
    expect(report?.gone.map((s) => s.kind)).toEqual(['address']);
    expect(snapshot(root)).toEqual(before);
    expect(fs.existsSync(stateFile)).toBe(false);
  });

  it('records the plan before applying it', async () => {
    let recordedDuringApply: unknown;
    const addAddress = network.addAddress.bind(network);
    network.addAddress = async (dev, address, prefixLength) => {
      recordedDuringApply = readRecord(stateFile)?.steps.length;
      await addAddress(dev, address, prefixLength);
    };
    await setupPreset(realserverPreset({ mode: 'dr', vips: ['192.0.2.10'] }), { tree, network, stateFile });
    expect(recordedDuringApply).toBe(5);
  });

  it('keeps what could not be restored on record', async () => {
    const failing = new FailingTree(root);
    tree = failing;
    await setupPreset(realserverPreset({ mode: 'dr', vips: ['192.0.2.10'] }), { tree, network, stateFile });
    failing.failWritesTo = 'net.ipv4.conf.lo.arp_announce';
    await expect(teardownPreset('realserver', { tree, network, stateFile })).rejects.toMatchObject({ code: 'revert-failed' });
    expect(readRecord(stateFile)?.steps.map((s) => (s.kind === 'sysctl' ? s.key : s.kind))).toEqual(['net.ipv4.conf.lo.arp_announce']);
    expect(tree.read('net.ipv4.conf.all.arp_announce')).toBe('0');
    failing.failWritesTo = undefined;
    await teardownPreset('realserver', { tree, network, stateFile });
    expect(tree.read('net.ipv4.conf.lo.arp_announce')).toBe('0');
    expect(fs.existsSync(stateFile)).toBe(false);
  });

  it('writes a sysctl.d drop-in and restores the previous file on teardown', async () => {
    const dropinFile = path.join(scratch, 'sysctl.d', '90-tsipvs-director.conf');
    fs.mkdirSync(path.dirname(dropinFile));
    const old = Buffer.from('# caf\xe9\n', 'latin1'); // not UTF-8: read and restored as bytes
    fs.writeFileSync(dropinFile, old);
    await setupPreset(directorPreset({ mode: 'nat', dev: 'eth0.100' }), { tree, network, stateFile, dropinFile });
    expect(fs.readFileSync(dropinFile, 'utf8')).toBe(
      [
        '# director nat on eth0.100',
        '# Written by "tsipvs director setup"; "tsipvs director teardown" restores what was here before.',
        '# Addresses (VIPs) are not kept by sysctl.d: configure them in your network configuration too.',
        'net.ipv4.ip_forward = 1',
        'net.ipv4.conf.all.send_redirects = 0',
        'net.ipv4.conf.default.send_redirects = 0',
        'net.ipv4.conf.eth0/100.send_redirects = 0',
        '',
      ].join('\n'),
    );
    await teardownPreset('director', { tree, network, stateFile });
    expect(fs.readFileSync(dropinFile)).toEqual(old);
  });

  it('names a missing interface, tunl0 with its module', async () => {
    network.up.delete('tunl0');
    await expect(setupPreset(realserverPreset({ mode: 'tun', vips: ['192.0.2.10'] }), { tree, network, stateFile })).rejects.toMatchObject({
      code: 'no-such-interface',
      message: expect.stringContaining('modprobe ipip'),
    });
    await expect(setupPreset(directorPreset({ mode: 'nat', dev: 'eth9' }), { tree, network, stateFile })).rejects.toMatchObject({
      code: 'no-such-interface',
      message: 'no network interface named eth9',
    });
  });

  it('needs IPVS for IPVS tunables', async () => {
    removeTree(root);
    root = makeTempTree({ ipvs: false });
    tree = new SysctlTree(root);
    await expect(setupPreset(directorPreset({ mode: 'nat', ipvs: { conntrack: '1' } }), { tree, network, stateFile })).rejects.toMatchObject({
      code: 'ipvs-not-loaded',
    });
  });
});
