import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerDirectorCommand, registerRealserverCommand, registerSysctlCommand } from '../src/cli';
import { SysctlTree } from '../src/tree';
import { FakeNetwork } from './support/fake-network';
import { makeTempTree, removeTree, snapshot } from './support/temp-tree';

interface CliResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
}

describe('tsipvs sysctl, realserver and director commands', () => {
  let root: string;
  let scratch: string;
  let network: FakeNetwork;
  beforeEach(() => {
    root = makeTempTree();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsipvs-cli-'));
    network = new FakeNetwork();
  });
  afterEach(() => {
    removeTree(root);
    removeTree(scratch);
  });

  async function cli(...args: string[]): Promise<CliResult> {
    let stdout = '';
    let stderr = '';
    const program = new Command('tsipvs')
      .exitOverride()
      .configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
    const deps = { tree: new SysctlTree(root), network };
    registerSysctlCommand(program, deps);
    registerRealserverCommand(program, deps);
    registerDirectorCommand(program, deps);
    try {
      await program.parseAsync(args, { from: 'user' });
      return { stdout, stderr, status: 0 };
    } catch (error) {
      if (!(error instanceof CommanderError)) throw error;
      return { stdout, stderr, status: error.exitCode };
    }
  }

  describe('sysctl', () => {
    it('gets values like sysctl(8), by name or path, values only, or JSON', async () => {
      expect(await cli('sysctl', 'get', 'net.ipv4.ip_forward', 'net/ipv4/conf/eth0.100/rp_filter')).toEqual({
        stdout: 'net.ipv4.ip_forward = 0\nnet.ipv4.conf.eth0/100.rp_filter = 2\n',
        stderr: '',
        status: 0,
      });
      expect((await cli('sysctl', 'get', '-n', 'net.ipv4.vs.sync_threshold')).stdout).toBe('3 50\n');
      expect(JSON.parse((await cli('sysctl', 'get', '--json', 'net.ipv4.vs.conntrack')).stdout)).toEqual({ 'net.ipv4.vs.conntrack': '0' });
    });

    it.each([
      ['../../etc/shadow', /invalid sysctl name "..\/..\/etc\/shadow": '..' is not allowed/],
      ['/etc/shadow', /absolute paths are not accepted/],
      ['net.ipv4.*', /contains the character "\*"/],
      ['net.ipv4.nope', /no such sysctl: net.ipv4.nope/],
      ['net.ipv4.vs.est_cpulist', /does not exist on this kernel \(it exists on Linux 6.2 and later\)/],
    ])('get %s fails clearly', async (name, message) => {
      const result = await cli('sysctl', 'get', name);
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^tsipvs sysctl get: /);
      expect(result.stderr).toMatch(message);
    });

    it('sets several values, canonicalizing IPVS tunables', async () => {
      const result = await cli('sysctl', 'set', 'net.ipv4.vs.conntrack=on', 'net.ipv4.vs.sync_threshold=4  40', 'net.ipv4.ip_forward=1');
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('changed net.ipv4.vs.conntrack: 0 -> 1');
      const tree = new SysctlTree(root);
      expect([tree.read('net.ipv4.vs.conntrack'), tree.read('net.ipv4.vs.sync_threshold'), tree.read('net.ipv4.ip_forward')]).toEqual(['1', '4 40', '1']);
    });

    it('sets nothing when one value is out of range or the name is bad', async () => {
      const before = snapshot(root);
      const outOfRange = await cli('sysctl', 'set', 'net.ipv4.ip_forward=1', 'net.ipv4.vs.sync_retries=5');
      expect(outOfRange.status).toBe(1);
      expect(outOfRange.stderr).toContain('net.ipv4.vs.sync_retries: "5" is out of range; accepted: 0..3');
      expect((await cli('sysctl', 'set', 'net.ipv4.ip_forward=1', 'net.ipv4.nope=1')).stderr).toContain('no such sysctl: net.ipv4.nope');
      expect((await cli('sysctl', 'set', 'net.ipv4.ip_forward')).stderr).toContain('expected NAME=VALUE');
      expect(snapshot(root)).toEqual(before);
    });

    it.each([
      ['net.ipv4.ip_forward=1\n2', 'invalid value "1\\n2" for net.ipv4.ip_forward'],
      ['net.ipv4.ip_forward=1\n', 'invalid value "1\\n" for net.ipv4.ip_forward'],
      ['net.ipv4.conf.lo.rp_filter=0\u0000', 'for net.ipv4.conf.lo.rp_filter'],
      ['net.ipv4.vs.sync_threshold=3\n50', 'invalid value "3\\n50" for net.ipv4.vs.sync_threshold'],
    ])('set %j is refused, not normalized, and nothing changes', async (assignment, message) => {
      const before = snapshot(root);
      const result = await cli('sysctl', 'set', 'net.ipv4.conf.all.arp_ignore=1', assignment);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain('it contains the control character');
      expect(snapshot(root)).toEqual(before);
    });

    it('set --dry-run --json shows the plan and changes nothing', async () => {
      const result = await cli('sysctl', 'set', '--dry-run', '--json', 'net.ipv4.vs.expire_nodest_conn=1');
      expect(JSON.parse(result.stdout)).toMatchObject({
        dryRun: true,
        changes: [{ kind: 'sysctl', key: 'net.ipv4.vs.expire_nodest_conn', from: '0', to: '1' }],
      });
      expect(new SysctlTree(root).read('net.ipv4.vs.expire_nodest_conn')).toBe('0');
    });

    it('lists the IPVS tunables with ranges, and any prefix', async () => {
      const text = (await cli('sysctl', 'list')).stdout;
      expect(text).toMatch(/^net\.ipv4\.vs\.sync_threshold\s+3 50\s+sync after/m);
      expect(text).toMatch(/^net\.ipv4\.vs\.est_cpulist\s+-\s+.*\[absent; exists on Linux 6\.2 and later\]/m);
      const json = JSON.parse((await cli('sysctl', 'list', '--json')).stdout) as { name: string; value: string | null; range: string }[];
      expect(json.find((k) => k.name === 'net.ipv4.vs.secure_tcp')).toMatchObject({ value: '0', range: '0..3' });
      expect(json.find((k) => k.name === 'net.ipv4.vs.est_nice')?.value).toBeNull();
      expect((await cli('sysctl', 'list', 'net.ipv4.conf.lo')).stdout).toBe(
        'net.ipv4.conf.lo.arp_announce = 0\nnet.ipv4.conf.lo.arp_ignore = 0\nnet.ipv4.conf.lo.rp_filter = 2\nnet.ipv4.conf.lo.send_redirects = 1\n',
      );
    });

    it('says when IPVS is not loaded', async () => {
      removeTree(root);
      root = makeTempTree({ ipvs: false });
      const result = await cli('sysctl', 'list');
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('IPVS is not loaded');
    });
  });

  describe('realserver', () => {
    it('setup --dry-run prints the plan and changes nothing', async () => {
      const before = snapshot(root);
      const result = await cli('realserver', 'setup', '--mode', 'dr', '--vip', '192.0.2.10', '--dry-run', '--state-file', path.join(scratch, 's.json'));
      expect(result.stdout.split('\n').map((l) => l.replace(/\s+#.*/, ''))).toEqual([
        'realserver dr: VIP 192.0.2.10 on lo (dry run: nothing is changed)',
        '  would change net.ipv4.conf.all.arp_ignore: 0 -> 1',
        '  would change net.ipv4.conf.all.arp_announce: 0 -> 2',
        '  would change net.ipv4.conf.lo.arp_ignore: 0 -> 1',
        '  would change net.ipv4.conf.lo.arp_announce: 0 -> 2',
        '  would change address 192.0.2.10/32 on lo: absent -> present',
        '  unchanged link lo: up',
        '',
      ]);
      expect(snapshot(root)).toEqual(before);
      expect(fs.existsSync(path.join(scratch, 's.json'))).toBe(false);
    });

    it('setup then teardown (tun, JSON) restores everything', async () => {
      const before = snapshot(root);
      const stateFile = path.join(scratch, 'realserver.json');
      const setup = await cli('realserver', 'setup', '--mode', 'tun', '--vip', '192.0.2.10', '--vip', '192.0.2.11', '--json', '--state-file', stateFile);
      expect(setup.status).toBe(0);
      const plan = JSON.parse(setup.stdout) as { dryRun: boolean; stateFile: string; changes: { kind: string }[] };
      expect(plan).toMatchObject({ dryRun: false, stateFile });
      expect(plan.changes.map((c) => c.kind)).toEqual(['sysctl', 'sysctl', 'sysctl', 'sysctl', 'sysctl', 'sysctl', 'link-up', 'address', 'address']);
      expect(new SysctlTree(root).read('net.ipv4.conf.tunl0.rp_filter')).toBe('0');
      expect(network.snapshot().addresses).toEqual(['tunl0 192.0.2.10/32', 'tunl0 192.0.2.11/32']);

      const teardown = await cli('realserver', 'teardown', '--mode', 'tun', '--vip', '192.0.2.11', '--vip', '192.0.2.10', '--state-file', stateFile);
      expect(teardown.status).toBe(0);
      expect(teardown.stdout).toContain('restored link tunl0: up -> down');
      expect(teardown.stdout).toContain('restored net.ipv4.conf.all.rp_filter: 0 -> 2');
      expect(snapshot(root)).toEqual(before);
      expect(network.snapshot()).toEqual(new FakeNetwork().snapshot());
    });

    it('persists to a drop-in with --persist FILE', async () => {
      const dropin = path.join(scratch, 'sysctl.d', '90-tsipvs-realserver.conf');
      const stateFile = path.join(scratch, 'realserver.json');
      await cli('realserver', 'setup', '--mode', 'dr', '--vip', '192.0.2.10', '--persist', dropin, '--state-file', stateFile);
      expect(fs.readFileSync(dropin, 'utf8')).toContain('net.ipv4.conf.lo.arp_announce = 2\n');
      await cli('realserver', 'teardown', '--state-file', stateFile);
      expect(fs.existsSync(dropin)).toBe(false);
    });

    it.each([
      [['--mode', 'dr'], /at least one VIP is required/],
      [['--vip', '192.0.2.1'], /required option '--mode <mode>' not specified/],
      [['--mode', 'nat', '--vip', '192.0.2.1'], /unknown mode "nat"/],
      [['--mode', 'dr', '--vip', 'fe80::1'], /IPv6 VIPs are not supported yet/],
      [['--mode', 'dr', '--vip', '192.0.2.1', '--dev', 'eth9'], /no network interface named eth9/],
    ])('setup %j fails with a clear message', async (args, message) => {
      const result = await cli('realserver', 'setup', ...args, '--state-file', path.join(scratch, 'x.json'));
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(message);
    });

    it('teardown without a setup fails', async () => {
      const result = await cli('realserver', 'teardown', '--state-file', path.join(scratch, 'none.json'));
      expect(result).toMatchObject({ status: 1, stderr: expect.stringContaining('realserver is not set up') });
    });
  });

  describe('director', () => {
    it('nat setup with an IPVS tunable, teardown --dry-run, teardown', async () => {
      const before = snapshot(root);
      const stateFile = path.join(scratch, 'director.json');
      const setup = await cli('director', 'setup', '--mode', 'nat', '--dev', 'eth0', '--ipvs', 'expire_nodest_conn=1', '--state-file', stateFile);
      expect(setup.stdout.split('\n').map((l) => l.replace(/\s+#.*/, ''))).toEqual([
        'director nat on eth0',
        '  changed net.ipv4.ip_forward: 0 -> 1',
        '  changed net.ipv4.conf.all.send_redirects: 1 -> 0',
        '  changed net.ipv4.conf.default.send_redirects: 1 -> 0',
        '  changed net.ipv4.conf.eth0.send_redirects: 1 -> 0',
        '  changed net.ipv4.vs.expire_nodest_conn: 0 -> 1',
        `previous values recorded in ${stateFile}; "tsipvs director teardown" restores them`,
        '',
      ]);
      const dry = await cli('director', 'teardown', '--dry-run', '--state-file', stateFile);
      expect(dry.stdout).toContain('would restore net.ipv4.ip_forward: 1 -> 0');
      expect(new SysctlTree(root).read('net.ipv4.ip_forward')).toBe('1');
      expect((await cli('director', 'teardown', '--mode', 'nat', '--dev', 'eth0', '--state-file', stateFile)).status).toBe(0);
      expect(snapshot(root)).toEqual(before);
    });

    it('refuses an --ipvs value with a newline', async () => {
      const before = snapshot(root);
      const result = await cli('director', 'setup', '--mode', 'dr', '--ipvs', 'sync_threshold=3\n50', '--state-file', path.join(scratch, 'd.json'));
      expect(result).toMatchObject({ status: 1, stderr: expect.stringContaining('invalid value "3\\n50" for net.ipv4.vs.sync_threshold') });
      expect(snapshot(root)).toEqual(before);
      expect(fs.existsSync(path.join(scratch, 'd.json'))).toBe(false);
    });

    it('rejects a bad --ipvs assignment', async () => {
      const result = await cli('director', 'setup', '--mode', 'dr', '--ipvs', 'conntrack', '--state-file', path.join(scratch, 'd.json'));
      expect(result).toMatchObject({ status: 1, stderr: expect.stringContaining('--ipvs expects NAME=VALUE') });
    });

    it('advises --dev when it is not given', async () => {
      const result = await cli('director', 'setup', '--mode', 'nat', '--dry-run', '--state-file', path.join(scratch, 'd.json'));
      expect(result.stdout).toContain('  note: interfaces that exist already keep their own send_redirects');
      const withDev = await cli('director', 'setup', '--mode', 'nat', '--dev', 'eth0', '--dry-run', '--json', '--state-file', path.join(scratch, 'd.json'));
      expect(JSON.parse(withDev.stdout)).toMatchObject({ notes: [] });
    });
  });
});
