/** sysctl, realserver and director through `main`: commander reads them, the context carries their output. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SysctlTree, type NetworkInterfaces } from '@tsipvs/sysctl';
import { runWithFake } from './support/environment';
import { FakeKernel } from '@tsipvs/ipvs-core/testing';

/** A network with no links at all. */
const NO_NETWORK: NetworkInterfaces = {
  link: async () => undefined,
  setLinkUp: async () => undefined,
  hasAddress: async () => false,
  addAddress: async () => undefined,
  deleteAddress: async () => undefined,
  close: () => undefined,
};

describe('subcommands through main', () => {
  let root: string;
  let run: (...argv: string[]) => ReturnType<typeof runWithFake>;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsipvs-subcommands-'));
    const put = (file: string, value: string): void => {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), `${value}\n`);
    };
    put('sys/net/ipv4/ip_forward', '0');
    for (const dev of ['all', 'default', 'eth0']) put(`sys/net/ipv4/conf/${dev}/send_redirects`, '1');
    const sysctl = { tree: new SysctlTree(path.join(root, 'sys')), network: NO_NETWORK };
    run = (...argv) => runWithFake(new FakeKernel(), argv, { sysctl });
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('sysctl get writes to the output, a failure to the error output with status 1', async () => {
    expect(await run('sysctl', 'get', 'net.ipv4.ip_forward')).toEqual({ status: 0, stdout: 'net.ipv4.ip_forward = 0\n', stderr: '' });
    expect(await run('sysctl', 'get', 'net.ipv4.nope')).toEqual({ status: 1, stdout: '', stderr: 'tsipvs sysctl get: no such sysctl: net.ipv4.nope\n' });
    expect((await run('sysctl', 'frob')).status).toBe(1);
  });

  test('director setup records the time of the context clock', async () => {
    const stateFile = path.join(root, 'director.json');
    const result = await run('director', 'setup', '--mode', 'nat', '--dev', 'eth0', '--state-file', stateFile);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('changed net.ipv4.ip_forward: 0 -> 1');
    expect(JSON.parse(fs.readFileSync(stateFile, 'utf8'))).toMatchObject({ role: 'director', appliedAt: '1970-01-01T00:00:00.000Z' });
    expect((await run('director', 'teardown', '--state-file', stateFile)).status).toBe(0);
    expect(new SysctlTree(path.join(root, 'sys')).read('net.ipv4.ip_forward')).toBe('0');
  });

  test('help of a subcommand goes to the output with status 0', async () => {
    const result = await run('realserver', '--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: tsipvs realserver/);
  });
});
