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

  it('writes the drop-in through a fresh temporary file, whatever was left at its name', async () => {
    const dropinFile = path.join(scratch, 'sysctl.d', '90-tsipvs-director.conf');
    const victim = path.join(scratch, 'victim');
    fs.writeFileSync(victim, 'precious\n');
    fs.mkdirSync(path.dirname(dropinFile));
    fs.symlinkSync(victim, `${dropinFile}.${process.pid}.tmp`);
    await setupPreset(directorPreset({ mode: 'dr' }), { tree, network, stateFile, dropinFile });
    expect(fs.readFileSync(dropinFile, 'utf8')).toContain('net.ipv4.conf.all.send_redirects = 0\n');
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(fs.existsSync(`${dropinFile}.${process.pid}.tmp`)).toBe(false);
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

  describe('a tampered state file', () => {
    type RecordJson = { mode: string; ipvs?: Record<string, string>; steps: Record<string, unknown>[] };
    let dropinFile: string;
    let victim: string;
    beforeEach(async () => {
      dropinFile = path.join(scratch, 'sysctl.d', '90-tsipvs-realserver.conf');
      victim = path.join(scratch, 'victim.conf');
      fs.writeFileSync(victim, 'precious\n');
      fs.mkdirSync(path.join(root, 'kernel'));
      fs.writeFileSync(path.join(root, 'kernel/core_pattern'), 'core\n');
      await setupPreset(realserverPreset({ mode: 'dr', vips: ['192.0.2.10'] }), { tree, network, stateFile, dropinFile });
    });
    const tamper = (change: (record: RecordJson) => void): void => {
      const record = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as RecordJson;
      change(record);
      fs.writeFileSync(stateFile, JSON.stringify(record));
    };
    const step = (record: RecordJson, index: number): Record<string, unknown> => record.steps[index]!;
    const base64 = (text: string): string => Buffer.from(text).toString('base64');

    it('is the one setup wrote: four settings, the VIP, the drop-in it created', () => {
      const record = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as RecordJson;
      expect(record.steps.map((s) => `${String(s.kind)} ${String(s.key ?? s.address ?? s.path)}`)).toEqual([
        'sysctl net.ipv4.conf.all.arp_ignore',
        'sysctl net.ipv4.conf.all.arp_announce',
        'sysctl net.ipv4.conf.lo.arp_ignore',
        'sysctl net.ipv4.conf.lo.arp_announce',
        'address 192.0.2.10',
        `file ${dropinFile}`,
      ]);
      expect(step(record, 5)).toMatchObject({ created: true });
    });

    it.each<[string, (record: RecordJson) => void, RegExp]>([
      ['a setting setup never changes', (r) => void (step(r, 0).key = 'kernel.core_pattern'), /step 1 \{.*: realserver dr: VIP 192\.0\.2\.10 on lo never changes kernel\.core_pattern/],
      ['another value than setup writes', (r) => void (step(r, 0).to = '3'), /step 1 .*: setup sets net\.ipv4\.conf\.all\.arp_ignore to "1", not "3"/],
      ['a previous content of several lines', (r) => void (step(r, 1).fromBase64 = base64('0\nkernel.core_pattern=|/tmp/x\n')), /step 2 .*: invalid value .* it contains the control character "\\n"/],
      ['a "from" that is not the previous content', (r) => void (step(r, 1).from = '7'), /step 2 .*: "from" "7" is not the previous content "0\\n"/],
      ['a previous content that is not base64', (r) => void (step(r, 2).fromBase64 = 'MA==!'), /step 3 .*: "fromBase64" is not base64/],
      ['an address that is not a VIP of the setup', (r) => void (step(r, 4).address = '192.0.2.99'), /step 5 .*: realserver dr: .* never adds 192\.0\.2\.99\/32 on lo/],
      ['a link setup does not bring up', (r) => void r.steps.push({ kind: 'link-up', dev: 'eth0', reason: 'x' }), /step 7 .*: .* never brings up eth0/],
      ['an unknown kind of step', (r) => void r.steps.push({ kind: 'exec', command: 'rm -rf /' }), /step 7 \{"kind":"exec","command":"rm -rf \/"\}: unknown kind of step "exec"/],
      ['a file that is not the drop-in', (r) => void Object.assign(step(r, 5), { path: victim, to: 'precious\n' }), /step 6 .*: not the drop-in setup writes for realserver dr: VIP 192\.0\.2\.10 on lo/],
      ['a drop-in path that is not absolute', (r) => void (step(r, 5).path = 'sysctl.d/../90.conf'), /step 6 .*: a drop-in path is absolute and normalized/],
      ['a file step that does not say whether setup created the file', (r) => void delete step(r, 5).created, /step 6 .*: "created" must be true or false/],
      ['the same change twice', (r) => void r.steps.push(step(r, 0)), /step 7 .*: setup makes each change once/],
      ['a mode the role does not have', (r) => void (r.mode = 'nat'), /records no setup tsipvs makes: realserver: unknown mode "nat"/],
    ])('refuses %s, naming the file and the entry, and changes nothing', async (_what, change, message) => {
      tamper(change);
      const tree0 = snapshot(root);
      const network0 = network.snapshot();
      const dropin0 = fs.readFileSync(dropinFile, 'utf8');
      const teardown = teardownPreset('realserver', { tree, network, stateFile });
      await expect(teardown).rejects.toMatchObject({ code: 'state', message: expect.stringMatching(message) });
      await expect(teardown).rejects.toThrow(`state file ${stateFile}`);
      expect(snapshot(root)).toEqual(tree0);
      expect(network.snapshot()).toEqual(network0);
      expect(fs.readFileSync(dropinFile, 'utf8')).toBe(dropin0);
      expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
      expect(fs.existsSync(stateFile)).toBe(true);
    });

    it('never deletes a file setup did not create, even one the record names with the drop-in text', async () => {
      tamper((r) => void (step(r, 5).path = victim));
      const tree0 = snapshot(root);
      await expect(teardownPreset('realserver', { tree, network, stateFile })).rejects.toMatchObject({
        code: 'state',
        message: `state file ${stateFile}, step 6 (file ${victim}: absent -> written): ${victim} holds neither the drop-in setup wrote nor what was there before, so tsipvs leaves it alone; nothing was changed`,
      });
      expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
      expect(snapshot(root)).toEqual(tree0);
    });

    it('leaves a drop-in changed after setup alone, and tears down once it is gone', async () => {
      fs.writeFileSync(dropinFile, '# mine now\n');
      const tree0 = snapshot(root);
      await expect(teardownPreset('realserver', { tree, network, stateFile, dryRun: true })).rejects.toThrow(/holds neither the drop-in setup wrote/);
      await expect(teardownPreset('realserver', { tree, network, stateFile })).rejects.toThrow(/nothing was changed/);
      expect(fs.readFileSync(dropinFile, 'utf8')).toBe('# mine now\n');
      expect(snapshot(root)).toEqual(tree0);
      fs.rmSync(dropinFile);
      const { report } = await teardownPreset('realserver', { tree, network, stateFile });
      expect(report?.failed).toEqual([]);
      expect(tree.read('net.ipv4.conf.all.arp_ignore')).toBe('0');
    });

    it('refuses a symbolic link where the drop-in goes, at setup', async () => {
      await teardownPreset('realserver', { tree, network, stateFile });
      fs.symlinkSync(victim, dropinFile);
      const before = snapshot(root);
      await expect(setupPreset(realserverPreset({ mode: 'dr', vips: ['192.0.2.10'] }), { tree, network, stateFile, dropinFile })).rejects.toMatchObject({
        code: 'unsafe-path',
        message: `${dropinFile} is a symbolic link; tsipvs neither follows nor replaces it`,
      });
      expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
      expect(snapshot(root)).toEqual(before);
      expect(fs.existsSync(stateFile)).toBe(false);
    });
  });

  it('checks the IPVS tunables of a director record against the recorded ones', async () => {
    await setupPreset(directorPreset({ mode: 'dr', ipvs: { conntrack: 'on' } }), { tree, network, stateFile });
    const record = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { ipvs: Record<string, string> };
    expect(record.ipvs).toEqual({ conntrack: '1' });
    fs.writeFileSync(stateFile, JSON.stringify({ ...record, ipvs: { conntrack: '0' } }));
    await expect(teardownPreset('director', { tree, network, stateFile })).rejects.toThrow(/setup sets net\.ipv4\.vs\.conntrack to "0", not "1"; setup cannot have written this, so nothing was changed$/);
    expect(tree.read('net.ipv4.vs.conntrack')).toBe('1');
  });
});

