/** IPVS missing: every command that needs it runs modprobe once, like ipvsadm, then works or fails with one text and exit 2. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SysctlTree } from '@tsipvs/sysctl';
import { FakeKernel } from '@tsipvs/ipvs-core/testing';
import { runWithFake } from './support/environment';

const CANT = (reason: string) => `Can't initialize ipvs: ${reason}\nAre you sure that IP Virtual Server is built in the kernel or as module?\n`;

describe('a kernel without ip_vs loaded', () => {
  test('a netlink command loads it and goes on; a command that needs no kernel does not', async () => {
    const kernel = new FakeKernel();
    kernel.familyRegistered = false;
    let loads = 0;
    const modprobe = () => {
      loads += 1;
      kernel.familyRegistered = true;
      return '';
    };
    expect((await runWithFake(kernel, ['-v'], { modprobe })).status).toBe(0);
    expect(loads).toBe(0);
    expect(await runWithFake(kernel, ['-A', '-t', '10.0.0.1:80'], { modprobe })).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(loads).toBe(1);
  });

  test('every command, apply included, gives the same text and exit 2 when modprobe cannot load it', async () => {
    const kernel = new FakeKernel();
    kernel.familyRegistered = false;
    const modprobe = () => 'modprobe: FATAL: Module ip_vs not found in directory /lib/modules/6.1.0\n';
    const expected = {
      stdout: '',
      stderr: `modprobe: FATAL: Module ip_vs not found in directory /lib/modules/6.1.0\n${CANT('IPVS is not available in this kernel: load the ip_vs module')}`,
      status: 2,
    };
    for (const argv of [['-Ln'], ['-A', '-t', '10.0.0.1:80'], ['-R'], ['apply', '-']]) {
      expect(await runWithFake(kernel, argv, { modprobe, stdin: '-A -t 10.0.0.1:80 -s rr\n' })).toEqual(expected);
    }
  });

  describe('sysctl and director', () => {
    let root: string;
    beforeEach(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsipvs-modprobe-'));
      fs.mkdirSync(path.join(root, 'net/ipv4/conf/all'), { recursive: true });
      fs.writeFileSync(path.join(root, 'net/ipv4/ip_forward'), '0\n');
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    const loadInto = (dir: string) => () => {
      fs.mkdirSync(path.join(dir, 'net/ipv4/vs'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'net/ipv4/vs/conntrack'), '0\n');
      return '';
    };

    test('reading an IPVS tunable loads ip_vs first', async () => {
      const sysctl = { tree: new SysctlTree(root) };
      const result = await runWithFake(new FakeKernel(), ['sysctl', 'get', 'net.ipv4.vs.conntrack'], { sysctl, modprobe: loadInto(root) });
      expect(result).toEqual({ status: 0, stdout: 'net.ipv4.vs.conntrack = 0\n', stderr: '' });
    });

    test('settings outside net.ipv4.vs never load it', async () => {
      const sysctl = { tree: new SysctlTree(root) };
      const modprobe = () => {
        throw new Error('modprobe must not run');
      };
      expect(await runWithFake(new FakeKernel(), ['sysctl', 'get', 'net.ipv4.ip_forward'], { sysctl, modprobe })).toEqual({
        status: 0,
        stdout: 'net.ipv4.ip_forward = 0\n',
        stderr: '',
      });
      expect((await runWithFake(new FakeKernel(), ['sysctl', 'list', 'net.ipv4.conf'], { sysctl, modprobe })).status).toBe(0);
    });

    test('when it cannot be loaded: the same text and exit 2 as every other command', async () => {
      const sysctl = { tree: new SysctlTree(root) };
      for (const argv of [['sysctl', 'get', 'net.ipv4.vs.conntrack'], ['sysctl', 'list'], ['sysctl', 'set', 'net.ipv4.vs.conntrack=1'], ['director', 'setup', '--mode', 'dr', '--ipvs', 'conntrack=1', '--dry-run']]) {
        expect(await runWithFake(new FakeKernel(), argv, { sysctl, modprobe: () => '' })).toEqual({
          status: 2,
          stdout: '',
          stderr: CANT(`${path.join(root, 'net/ipv4/vs')} does not exist`),
        });
      }
    });
  });
});
