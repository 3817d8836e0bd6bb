/** `tsipvs drain` through `main` against the fake kernel (whose real servers have no connections: drained at once). */
import { AddressFamily } from '@tsipvs/ipvs-core';
import { FakeKernel, runWithFake } from './support/environment';

async function kernelWith(...lines: string[][]): Promise<FakeKernel> {
  const kernel = new FakeKernel();
  for (const line of lines) expect((await runWithFake(kernel, line)).status).toBe(0);
  return kernel;
}

const saved = async (kernel: FakeKernel): Promise<string> => (await runWithFake(kernel, ['-S', '-n'])).stdout;

describe('tsipvs drain', () => {
  test('weight 0, then deleted; other servers and services untouched', async () => {
    const kernel = await kernelWith(
      ['-A', '-t', '10.0.0.100:80', '-s', 'rr'], ['-a', '-t', '10.0.0.100:80', '-r', '10.0.0.10', '-w', '3'],
      ['-a', '-t', '10.0.0.100:80', '-r', '10.0.0.20'], ['-A', '-u', '10.0.0.100:53'], ['-a', '-u', '10.0.0.100:53', '-r', '10.0.0.10'],
    );
    expect(await runWithFake(kernel, ['drain', '-t', '10.0.0.100:80', '-r', '10.0.0.10'])).toEqual({
      status: 0, stderr: '',
      stdout: expect.stringMatching(/^drained 10\.0\.0\.10:80 of TCP 10\.0\.0\.100:80: weight 3 -> 0, deleted after \d+\.\d s \(no active connection left\)\n$/),
    });

    expect(await saved(kernel)).toBe([
      '-A -t 10.0.0.100:80 -s rr', '-a -t 10.0.0.100:80 -r 10.0.0.20:80 -g -w 1',
      '-A -u 10.0.0.100:53 -s wlc', '-a -u 10.0.0.100:53 -r 10.0.0.10:53 -g -w 1', '',
    ].join('\n'));
  });

  test('--json, fwmark services, NAT servers by port', async () => {
    const kernel = await kernelWith(['-A', '-f', '50', '-6'], ['-a', '-f', '50', '-6', '-r', '[2001:db8::10]:8080', '-m']);
    const result = await runWithFake(kernel, ['drain', '-f', '50', '-6', '-r', '[2001:db8::10]:8080', '--json', '--timeout', '5']);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      service: 'FWM 50', server: '[2001:db8::10]:8080', weightBefore: 1, activeAtStart: 0, activeAtEnd: 0, waitedMs: expect.any(Number), reason: 'no-connections', deleted: true,
    });
    expect(kernel.destinations({ family: AddressFamily.IPv6, fwmark: 50 })).toEqual([]);
  });

  test('errors: clear messages, exit statuses of docs/cli.md, nothing changed', async () => {
    const kernel = await kernelWith(
      ['-A', '-t', '10.0.0.100:80'], ['-a', '-t', '10.0.0.100:80', '-r', '10.0.0.10:80', '-m'], ['-a', '-t', '10.0.0.100:80', '-r', '10.0.0.10:81', '-m'],
    );
    const before = await saved(kernel);
    const run = (...argv: string[]) => runWithFake(kernel, ['drain', ...argv]);
    expect(await run('-t', '10.0.0.101:80', '-r', '10.0.0.10')).toEqual({ status: 255, stdout: '', stderr: 'drain: no service TCP 10.0.0.101:80\n' });
    expect(await run('-t', '10.0.0.100:80', '-r', '10.0.0.99')).toMatchObject({ status: 255, stderr: 'drain: service TCP 10.0.0.100:80 has no real server 10.0.0.99\n' });
    expect(await run('-t', '10.0.0.100:80', '-r', '10.0.0.10')).toMatchObject({ status: 2, stderr: 'drain: service TCP 10.0.0.100:80 has 10.0.0.10 at ports 81, 80: give the port\n' });
    expect(await run('-t', 'nonsense::name:80', '-r', '10.0.0.10')).toMatchObject({ status: 2, stderr: "drain: illegal virtual server address[:port] `nonsense::name:80' specified\n" });
    expect(await run('-t', '10.0.0.100:80', '-r', '10.0.0.10:http2x')).toMatchObject({ status: 2, stderr: "drain: illegal real server address[:port] `10.0.0.10:http2x' specified\n" });
    expect(await run('-t', '10.0.0.100:80')).toMatchObject({ status: 2, stderr: 'drain: give the real server with -r\n' });
    expect(await run('-r', '10.0.0.10')).toMatchObject({ status: 2, stderr: 'drain: give one service: -t, -u, --sctp-service or -f\n' });
    expect(await run('-t', '10.0.0.100:80', '-u', '10.0.0.100:80', '-r', '10.0.0.10')).toMatchObject({ status: 2 });
    expect(await run('-f', '0', '-r', '10.0.0.10')).toMatchObject({ status: 2, stderr: "drain: invalid fwmark value `0' specified\n" });
    expect(await run('-t', '10.0.0.100:80', '-r', '10.0.0.10:80', '--timeout', 'soon')).toMatchObject({ status: 2, stderr: "drain: invalid --timeout `soon': seconds, 0 or more\n" });
    expect(await run('-t', '10.0.0.100:80', '-6', '-r', '10.0.0.10:80')).toMatchObject({ status: 2, stderr: 'drain: -6 goes with -f only\n' });
    expect((await run('--frob')).status).toBe(1);
    expect(await saved(kernel)).toBe(before);
  });
});
