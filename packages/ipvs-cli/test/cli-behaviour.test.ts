/** Behaviour beyond the oracle recordings: our fixes, our additions and parser corners. */
import { AddressFamily, Protocol } from '@tsipvs/ipvs-core';
import { constants } from '@tsipvs/ipvs-core/wire';
import { FakeKernel, runWithFake } from './support/environment';

async function run(kernel: FakeKernel, line: string, stdin?: string) {
  return runWithFake(kernel, line.split(' ').filter((w) => w !== ''), stdin === undefined ? {} : { stdin });
}

async function setup(kernel: FakeKernel, ...lines: string[]): Promise<void> {
  for (const line of lines) {
    const r = await run(kernel, line);
    if (r.status !== 0) throw new Error(`${line}: ${r.stderr}`);
  }
}

const TCP80 = { family: AddressFamily.IPv4, protocol: Protocol.TCP, address: '10.0.0.1', port: 80 };

describe('command line', () => {
  test('the command may come anywhere (ipvsadm: only first)', async () => {
    const kernel = new FakeKernel();
    await setup(kernel, '-A -t 10.0.0.1:80');
    const a = await run(kernel, '-nL');
    const b = await run(kernel, '-n -L');
    const c = await run(kernel, '-Ln');
    expect(a).toEqual(c);
    expect(b).toEqual(c);
    expect(c.stdout).toContain('TCP  10.0.0.1:80 wlc\n');
  });

  test('popt corners: --, exact long names, values on flags, second command names the last word', async () => {
    const kernel = new FakeKernel();
    expect(await run(kernel, '-L -- -n')).toMatchObject({ stderr: 'unexpected argument -n\n', status: 2 });
    expect(await run(kernel, '--add -t 10.0.0.1:80')).toMatchObject({ status: 255, stderr: "Try `tsipvs -h' or 'tsipvs --help' for more information.\n" });
    expect(await run(kernel, '-L --add')).toMatchObject({ stderr: '--add: unknown option\n', status: 255 });
    expect(await run(kernel, '-L --stats=1')).toMatchObject({ stderr: '--stats=1: option does not take an argument\n', status: 255 });
    expect(await run(kernel, '-L -t')).toMatchObject({ stderr: '-t: missing argument\n', status: 255 });
    expect(await run(kernel, '-L --start-daemon master')).toMatchObject({ stderr: "invalid option `master'\n", status: 2 });
    expect(await run(kernel, '-L -n -n')).toMatchObject({ stderr: "multiple 'numeric' options specified\n", status: 2 });
    expect(await run(kernel, '-A -t10.0.0.1:80 -srr')).toMatchObject({ status: 0 });
    expect((await run(kernel, '-Sn')).stdout).toBe('-A -t 10.0.0.1:80 -s rr\n');
  });

  test('-p takes an optional value: default 360, attached, =, or the next non-option word', async () => {
    const kernel = new FakeKernel();
    await setup(kernel, '-A -t 10.0.0.1:1 -p', '-A -t 10.0.0.1:2 -p 600', '-A -t 10.0.0.1:3 -p=700', '-A -t 10.0.0.1:4 -p800', '-A -t 10.0.0.1:5 -p -s rr');
    expect((await run(kernel, '-Sn')).stdout).toBe(
      [1, 2, 3, 4, 5].map((port, i) => `-A -t 10.0.0.1:${port} -s ${port === 5 ? 'rr' : 'wlc'} -p ${[360, 600, 700, 800, 360][i]}\n`).join(''),
    );
  });

  test('-r and -M before the service work like after it (ipvsadm: port 0, mask lost)', async () => {
    const kernel = new FakeKernel();
    await setup(kernel, '-A -M 64 -t [2001:db8::1]:80 -p 30', '-A -t 10.0.0.1:80', '-a -r 10.0.0.2 -m -t 10.0.0.1:80', '-a -r 10.0.0.3:http -m -t 10.0.0.1:80');
    expect((await run(kernel, '-Sn')).stdout).toBe(
      '-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n-a -t 10.0.0.1:80 -r 10.0.0.3:80 -m -w 1\n' +
        '-A -t [2001:db8::1]:80 -s wlc -p 30 -M 64\n',
    );
  });

  test('-b with only commas is ignored like -b "" (ipvsadm crashes)', async () => {
    const kernel = new FakeKernel();
    expect(await run(kernel, '-A -t 10.0.0.1:80 -s sh -b ,')).toMatchObject({ status: 0, stderr: '' });
    expect((await run(kernel, '-Sn')).stdout).toBe('-A -t 10.0.0.1:80 -s sh\n');
    expect(await run(kernel, '-A -t 10.0.0.1:81 -b sh-port')).toMatchObject({ status: 2, stderr: "incompatible scheduler flag `sh-port'\n" });
    expect(await run(kernel, '-A -t 10.0.0.1:81 -b sh-port -s sh')).toMatchObject({ status: 0 });
  });

  test('fwmarks of 2^31 and above are unsigned in listings and saves, and restore', async () => {
    const kernel = new FakeKernel();
    await setup(kernel, '-A -f 4294967295 -s rr', '-A -f 2147483648 -s rr');
    expect((await run(kernel, '-Ln')).stdout).toContain('FWM  4294967295 rr\n');
    const saved = (await run(kernel, '-Sn')).stdout;
    // sorted by a wrapped 32-bit difference, like ipvsadm: 4294967295 - 2147483648 > 0 as an int
    expect(saved).toBe('-A -f 2147483648 -s rr\n-A -f 4294967295 -s rr\n');
    await setup(kernel, '-C');
    expect(await run(kernel, '-R', saved)).toMatchObject({ status: 0, stderr: '' });
    expect((await run(kernel, '-Sn')).stdout).toBe(saved);
  });

  test('-E and -e reset what they do not repeat', async () => {
    const kernel = new FakeKernel();
    await setup(kernel, '-A -t 10.0.0.1:80 -s rr -p 60', '-a -t 10.0.0.1:80 -r 10.0.0.2 -m -w 5 -x 10 -y 2', '-E -t 10.0.0.1:80', '-e -t 10.0.0.1:80 -r 10.0.0.2');
    expect((await run(kernel, '-Sn')).stdout).toBe('-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1\n');
  });

  test('IPVS that cannot be used is "Can\'t initialize ipvs" (exit 2), like ipvsadm\'s start-up', async () => {
    const kernel = new FakeKernel();
    kernel.privileged = false;
    const expected = {
      stdout: '',
      stderr: "Can't initialize ipvs: Permission denied (you must be root)\nAre you sure that IP Virtual Server is built in the kernel or as module?\n",
      status: 2,
    };
    expect(await run(kernel, '-A -t 10.0.0.1:80')).toEqual(expected);
    expect(await run(kernel, '-Ln')).toEqual(expected);
    expect(kernel.closed).toBe(4); // each command opened twice: before and after its modprobe
    expect((await run(kernel, '-v')).status).toBe(0); // only commands that need the kernel open it
  });

  test('no arguments lists the table; -h and -v name tsipvs', async () => {
    const kernel = new FakeKernel();
    expect((await runWithFake(kernel, [])).stdout).toMatch(/^IP Virtual Server version 1\.2\.1 \(size=4096\)\n/);
    expect((await run(kernel, '-v')).stdout).toBe('tsipvs v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n');
    expect((await run(kernel, '--help')).stdout).toContain('  tsipvs -A|E virtual-service');
  });
});

describe('listings', () => {
  test('real-server 64-bit counters are shown whole (ipvsadm: modulo 2^32)', async () => {
    const kernel = new FakeKernel();
    await setup(kernel, '-A -t 10.0.0.1:80', '-a -t 10.0.0.1:80 -r 10.0.0.2 -m');
    kernel.setStats(TCP80, { connections: 5_000_000_000n, bytesIn: 5_000_000_000n }, { family: AddressFamily.IPv4, address: '10.0.0.2', port: 80 });
    const out = (await run(kernel, '-Ln --stats')).stdout;
    expect(out).toContain(`  -> ${'10.0.0.2:80'.padEnd(28)}    5000M        0        0    5000M        0\n`);
    expect((await run(kernel, '-Ln --stats --exact')).stdout).toContain(`  -> ${'10.0.0.2:80'.padEnd(28)} 5000000000        0        0 5000000000        0\n`);
  });

  test('--json: stable schema, counters as strings', async () => {
    const kernel = new FakeKernel();
    await setup(kernel, '-A -u 10.0.0.1:53 -s rr -p 60 -M 255.255.255.0 -o', '-a -u 10.0.0.1:53 -r 10.0.0.2 -i --tun-type gue --tun-port 6080 --tun-csum -w 3');
    kernel.setStats({ ...TCP80, protocol: Protocol.UDP, port: 53 }, { bytesOut: 18446744073709551615n });
    const json = JSON.parse((await run(kernel, '-L --json')).stdout);
    expect(json).toEqual({
      version: '1.2.1',
      connectionTableSize: 4096,
      services: [
        {
          family: 'ipv4', protocol: 'udp', address: '10.0.0.1', port: 53, fwmark: null, scheduler: 'rr', schedulerFlags: [],
          persistent: true, timeout: 60, netmask: '255.255.255.0', persistenceEngine: null, onePacket: true, flags: 5,
          stats: expect.objectContaining({ connections: '0', bytesOut: '18446744073709551615' }),
          destinations: [
            expect.objectContaining({
              family: 'ipv4', address: '10.0.0.2', port: 53, forwarding: 'tunnel', weight: 3,
              tunnel: { type: 'gue', port: 6080, checksum: 'checksum' },
            }),
          ],
        },
      ],
    });
    expect(JSON.parse((await run(kernel, '-L --timeout --json')).stdout)).toEqual({ tcp: 900, tcpFin: 120, udp: 300 });
    expect(JSON.parse((await run(kernel, '-L --daemon --json')).stdout)).toEqual({ daemons: [] });
    expect(await run(kernel, '-L --json --pretty')).toMatchObject({ status: 2, stderr: 'options conflicts in the list command\n' });
    expect(await run(kernel, '-S --json')).toMatchObject({ status: 2, stderr: "Illegal 'json' option with the 'save' command\n" });
  });

  test('--pretty draws a table', async () => {
    const kernel = new FakeKernel();
    await setup(kernel, '-A -t 10.0.0.1:80 -s rr', '-a -t 10.0.0.1:80 -r 10.0.0.2 -m -w 2');
    const out = (await run(kernel, '-Ln --pretty')).stdout;
    expect(out).toMatch(/^╔/);
    expect(out).toContain('TCP  10.0.0.1:80');
    expect(out).toContain('10.0.0.2:80');
    expect(out).toContain('Masq');
  });

  test('-c reads /proc/net/ip_vs_conn (ipvsadm layout, --persistent-conn quirk kept)', async () => {
    const kernel = new FakeKernel();
    const proc =
      'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n' +
      'TCP C0A80164 D431 0A000001 0050 C0A80102 0050 ESTABLISHED     899\n' +
      'UDP C0A80167 13C4 0A000001 13C4 C0A80104 13C4 UDP             179 sip 1234567890abcdef@host\n' +
      'TCP 2001:0db8:0000:0000:0000:0000:0000:0000 0000 2001:0db8:0000:0000:0000:0000:0000:0001 01BB 2001:0db8:0000:0000:0000:0000:0000:0005 01BB NONE             57\n';
    const plain = await runWithFake(kernel, ['-L', '-n', '-c'], { connections: proc });
    expect(plain.stdout).toBe(
      'IPVS connection entries\npro expire state       source             virtual            destination\n' +
        'TCP 14:59  ESTABLISHED 192.168.1.100:54321 10.0.0.1:80        192.168.1.2:80\n' +
        'UDP 02:59  UDP         192.168.1.103:5060 10.0.0.1:5060      192.168.1.4:5060\n' +
        'TCP 00:57  NONE        [2001:db8::]:0     [2001:db8::1]:443  [2001:db8::5]:443\n',
    );
    const persistent = await runWithFake(kernel, ['-L', '-n', '-c', '--persistent-conn'], { connections: proc });
    expect(persistent.stdout.split('\n')[3]).toBe('UDP 02:59  UDP         192.168.1.103:5060 10.0.0.1:5060      192.168.1.4:5060 sip                1234567890abcdef@host');
    expect(await runWithFake(kernel, ['-L', '-c'], { connections: undefined })).toMatchObject({ status: 1, stderr: 'cannot open file /proc/net/ip_vs_conn\n' });
    expect(await runWithFake(kernel, ['-L', '-c'], { connections: '' })).toMatchObject({ status: 1, stderr: 'unexpected input from /proc/net/ip_vs_conn\n' });
  });

  test('--timeout and --daemon failures are reported (ipvsadm: silent exit 1)', async () => {
    const kernel = new FakeKernel();
    kernel.refusals.set(constants.IpvsCommand.GetConfig, 1); // EPERM
    expect(await run(kernel, '-L --timeout')).toEqual({ stdout: '', stderr: 'Permission denied (you must be root)\n', status: 1 });
  });
});

describe('restore', () => {
  test('accepts # comments, and validates everything before applying anything', async () => {
    const kernel = new FakeKernel();
    const good = '# saved rules\n-A -t 10.0.0.1:80 -s rr   # web\n\nipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2 -m\n';
    expect(await run(kernel, '-R', good)).toEqual({ stdout: '', stderr: '', status: 0 });
    const bad = '-A -t 10.0.0.9:80\n-a -t 10.0.0.9:80 -r 10.0.0.2 -w banana\n-A -t 10.0.0.8:80 -s\n';
    expect(await run(kernel, '-R', bad)).toEqual({ stdout: '', stderr: 'line 2: illegal weight specified\nline 3: -s: missing argument\n', status: 2 });
    expect((await run(kernel, '-Sn')).stdout).toBe('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n');
  });

  test('a kernel refusal rolls back every change, edits and deletions included', async () => {
    const kernel = new FakeKernel();
    await setup(kernel, '-A -t 10.0.0.1:80 -s rr', '-a -t 10.0.0.1:80 -r 10.0.0.2 -m -w 4', '-A -t 10.0.0.3:80', '-a -t 10.0.0.3:80 -r 10.0.0.4 -x 9 -y 3');
    const before = (await run(kernel, '-Sn')).stdout;
    const input = ['-E -t 10.0.0.1:80 -s sh', '-e -t 10.0.0.1:80 -r 10.0.0.2 -g', '-D -t 10.0.0.3:80', '-A -t 10.0.0.5:80', '-a -t 10.0.0.1:80 -r 224.0.0.1'].join('\n');
    const r = await run(kernel, '-R', input);
    expect(r).toEqual({
      stdout: '',
      stderr: 'line 5: Invalid operation.  Possibly wrong module version, address not unicast, ...\nrestore failed: nothing applied (the table is as before)\n',
      status: 255,
    });
    expect((await run(kernel, '-Sn')).stdout).toBe(before);
  });

  test('-C, -Z and --set are part of the transaction; listing lines run once it is made', async () => {
    const kernel = new FakeKernel();
    await setup(kernel, '-A -t 10.0.0.9:80 -s rr');
    const refused = await run(kernel, '-R', '-A -t 10.0.0.1:80\n-L -n\n-D -t 10.0.0.7:80\n--set 10 20 30\n');
    expect(refused).toEqual({ stdout: '', stderr: 'line 3: No such service\nrestore failed: nothing applied (the table is as before)\n', status: 255 });
    expect((await run(kernel, '-Sn')).stdout).toBe('-A -t 10.0.0.9:80 -s rr\n');
    expect((await run(kernel, '-L --timeout')).stdout).toBe('Timeout (tcp tcpfin udp): 900 120 300\n');
    const made = await run(kernel, '-R', '-A -t 10.0.0.1:80\n-L -n\n--set 10 20 30\n');
    expect(made.status).toBe(0);
    expect(made.stdout).toContain('TCP  10.0.0.1:80 wlc\n');
    expect((await run(kernel, '-L --timeout')).stdout).toBe('Timeout (tcp tcpfin udp): 10 20 30\n');
    expect(await run(kernel, '-R', '-R\n')).toMatchObject({ status: 2, stderr: 'line 1: -R is not allowed in restore input\n' });
  });
});
