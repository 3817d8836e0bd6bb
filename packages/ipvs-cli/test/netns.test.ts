/** The global `--netns`: taken out of every command line, and the command runs against that namespace's kernel. */
import { takeGlobalOptions } from '../src/argv/netns';
import { CliError } from '../src/errors';
import { FakeKernel, runWithFake, safeguardsOf } from './support/environment';

describe('--netns on the command line', () => {
  test('is taken out wherever it stands before --, in both spellings; the rest is left as it was', () => {
    expect(takeGlobalOptions(['--netns', 'blue', '-Ln'])).toEqual({ netns: 'blue', argv: ['-Ln'] });
    expect(takeGlobalOptions(['-A', '-t', '1.2.3.4:80', '--netns=/proc/1/ns/net'])).toEqual({ netns: '/proc/1/ns/net', argv: ['-A', '-t', '1.2.3.4:80'] });
    expect(takeGlobalOptions(['apply', '--netns', 'x', '-', '--', '--netns', 'y'])).toEqual({ netns: 'x', argv: ['apply', '-', '--', '--netns', 'y'] });
    expect(takeGlobalOptions(['-L'])).toEqual({ netns: undefined, argv: ['-L'] });
  });

  test('without a value, or given twice, is a usage error', () => {
    for (const argv of [['--netns'], ['--netns', '-Ln'], ['--netns='], ['--netns', 'a', '--netns=b']]) {
      expect(() => takeGlobalOptions(argv)).toThrow(CliError);
    }
  });
});

describe('commands in another namespace', () => {
  const blue = (): { home: FakeKernel; other: FakeKernel } => ({ home: new FakeKernel(), other: new FakeKernel() });

  test('ipvsadm\'s letters, -R and apply change the named namespace\'s table only', async () => {
    const { home, other } = blue();
    const namespaces = { blue: other };
    expect(await runWithFake(home, ['--netns', 'blue', '-A', '-t', '10.0.0.1:80', '-s', 'rr'], { namespaces })).toMatchObject({ status: 0, stderr: '' });
    expect(await runWithFake(home, ['-R', '--netns=blue'], { namespaces, stdin: '-A -t 10.0.0.2:80 -s wlc\n' })).toMatchObject({ status: 0 });
    expect(await runWithFake(home, ['apply', '--netns', 'blue', '-'], { namespaces, stdin: '-A -t 10.0.0.3:80 -s rr\n' })).toMatchObject({ status: 0 });
    expect((await runWithFake(home, ['--netns', 'blue', '-S', '-n'], { namespaces })).stdout).toBe('-A -t 10.0.0.3:80 -s rr\n');
    expect(home.received).toEqual([]); // not even the family lookup
    expect((await runWithFake(home, ['-S', '-n'], { namespaces })).stdout).toBe('');
  });

  test('the lock a bulk change takes is the named namespace\'s', async () => {
    const { home, other } = blue();
    safeguardsOf(other).locked = true;
    const busy = await runWithFake(home, ['--netns', 'blue', '-R'], { namespaces: { blue: other }, stdin: '-A -t 10.0.0.1:80\n' });
    expect(busy.status).toBe(4);
    expect((await runWithFake(home, ['-R'], { namespaces: { blue: other }, stdin: '-A -t 10.0.0.1:80\n' })).status).toBe(0);
  });

  test('a namespace that cannot be opened: one line naming it, exit 2, nothing run', async () => {
    const { home } = blue();
    const r = await runWithFake(home, ['-A', '-t', '10.0.0.1:80', '--netns', 'red']);
    expect(r).toEqual({ status: 2, stdout: '', stderr: 'tsipvs: network namespace "red" not found (/run/netns/red): No such file or directory\n' });
    expect(home.received).toEqual([]);
    expect((await runWithFake(home, ['--netns'])).status).toBe(2);
  });
});
