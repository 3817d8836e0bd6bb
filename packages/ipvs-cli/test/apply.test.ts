/** `tsipvs apply` through `main`, against the fake kernel. */
import { runWithFake } from './support/environment';
import { FakeKernel, FaultPlan } from '@tsipvs/ipvs-core/testing';

const RULES = `# two services
-A -t 10.0.0.1:80 -s rr
-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1
-A -u 10.0.0.1:53 -s wlc
`;

async function table(fake: FakeKernel): Promise<string> {
  return (await runWithFake(fake, ['-Sn'])).stdout;
}

async function withTable(...lines: string[]): Promise<FakeKernel> {
  const fake = new FakeKernel();
  const result = await runWithFake(fake, ['-R'], { stdin: lines.join('\n') });
  if (result.status !== 0) throw new Error(result.stderr);
  return fake;
}

describe('tsipvs apply', () => {
  test('prints the plan and applies it', async () => {
    const fake = await withTable('-A -t 10.0.0.1:80 -s wlc', '-A -t 10.0.0.9:80 -s rr');
    const result = await runWithFake(fake, ['apply', 'rules'], { files: { rules: RULES } });
    expect(result).toEqual({
      status: 0,
      stderr: '',
      stdout:
        '- -D -t 10.0.0.9:80\n' +
        '~ -E -t 10.0.0.1:80 -s rr\n' +
        '+ -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n' +
        '+ -A -u 10.0.0.1:53 -s wlc\n' +
        '4 changes: services +1 ~1 -1, real servers +1 ~0 -0\n',
    });
    expect(await table(fake)).toBe('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n-A -u 10.0.0.1:53 -s wlc\n');
    expect((await runWithFake(fake, ['apply', 'rules'], { files: { rules: RULES } })).stdout).toBe('no changes: services +0 ~0 -0, real servers +0 ~0 -0\n');
  });

  test('--dry-run prints the plan and changes nothing; - reads stdin', async () => {
    const fake = await withTable('-A -t 10.0.0.9:80 -s rr');
    const result = await runWithFake(fake, ['apply', '--dry-run', '-'], { stdin: RULES });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('+ -A -t 10.0.0.1:80 -s rr\n');
    expect(result.stdout).toContain('- -D -t 10.0.0.9:80\n');
    expect(await table(fake)).toBe('-A -t 10.0.0.9:80 -s rr\n');
  });

  test('--json prints the plan as JSON', async () => {
    const fake = new FakeKernel();
    const result = await runWithFake(fake, ['apply', '--json', 'rules'], { files: { rules: RULES } });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      applied: true,
      summary: { servicesAdded: 2, servicesEdited: 0, servicesDeleted: 0, destinationsAdded: 1, destinationsEdited: 0, destinationsDeleted: 0 },
      operations: ['+ -A -t 10.0.0.1:80 -s rr', '+ -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1', '+ -A -u 10.0.0.1:53 -s wlc'],
    });
  });

  test('a file with bad lines: every problem with its line number, exit 2, nothing applied', async () => {
    const fake = await withTable('-A -t 10.0.0.9:80 -s rr');
    const rules = `${RULES}-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w -1\n-D -t 10.0.0.9:80\n`;
    const result = await runWithFake(fake, ['apply', 'rules'], { files: { rules } });
    expect(result).toEqual({
      status: 2,
      stdout: '',
      stderr: 'line 5: illegal weight specified\nline 6: only -A and -a lines describe a table (found -D)\n',
    });
    expect(await table(fake)).toBe('-A -t 10.0.0.9:80 -s rr\n');
  });

  test('a file that cannot be read', async () => {
    const result = await runWithFake(new FakeKernel(), ['apply', 'missing']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^cannot read missing: ENOENT/);
  });

  test('a refusal midway: nothing is changed, the line is named, exit 255', async () => {
    const fake = await withTable('-A -t 10.0.0.9:80 -s rr');
    const rules = `${RULES}-A -t 10.0.0.1:81 -s nosuch\n`;
    const result = await runWithFake(fake, ['apply', 'rules'], { files: { rules } });
    expect(result).toEqual({
      status: 255,
      stdout: '',
      stderr: 'line 5: Scheduler or persistence engine not found\nnothing was changed\n',
    });
    expect(await table(fake)).toBe('-A -t 10.0.0.9:80 -s rr\n');
  });

  test.each([
    ['an empty file', { files: { rules: '' } }, ['rules'], 'rules'],
    ['a file of comments', { files: { rules: '# nothing yet\n\n   # really\n' } }, ['rules'], 'rules'],
    ['/dev/null', { files: { '/dev/null': '' } }, ['/dev/null'], '/dev/null'],
    ['a closed stdin (node reads it as /dev/null)', { stdin: '' }, ['-'], 'standard input'],
    ['{"services":[]}', { files: { 'rules.json': '{"services":[]}' } }, ['rules.json'], 'rules.json'],
    ['[]', { stdin: '[]\n' }, ['-'], 'standard input'],
  ] as const)('%s would delete every service: refused, exit 2, nothing changed', async (_what, options, args, name) => {
    const fake = await withTable('-A -t 10.0.0.9:80 -s rr');
    const sent = fake.received.length;
    const result = await runWithFake(fake, ['apply', ...args], options);
    expect(result).toEqual({
      status: 2,
      stdout: '',
      stderr: `${name} defines no service: applying it would delete every service (--allow-empty to do that)\n`,
    });
    expect(fake.received.length).toBe(sent);
    expect(await table(fake)).toBe('-A -t 10.0.0.9:80 -s rr\n');
  });

  test('--allow-empty deletes every service', async () => {
    const fake = await withTable('-A -t 10.0.0.9:80 -s rr', '-A -t 10.0.0.8:80 -s rr');
    const result = await runWithFake(fake, ['apply', '--allow-empty', '-'], { stdin: '' });
    expect(result).toEqual({ status: 0, stderr: '', stdout: '- -D -t 10.0.0.8:80\n- -D -t 10.0.0.9:80\n2 changes: services +0 ~0 -2, real servers +0 ~0 -0\n' });
    expect(await table(fake)).toBe('');
  });

  test('an unreadable stdin is an error, not an empty ruleset', async () => {
    const fake = await withTable('-A -t 10.0.0.9:80 -s rr');
    const result = await runWithFake(fake, ['apply', '--allow-empty', '-'], { stdinError: new Error('EISDIR: illegal operation on a directory, read') });
    expect(result).toEqual({ status: 2, stdout: '', stderr: 'cannot read standard input: EISDIR: illegal operation on a directory, read\n' });
    expect(await table(fake)).toBe('-A -t 10.0.0.9:80 -s rr\n');
  });

  test('a failed exchange with the kernel midway: rolled back, read back as before', async () => {
    const fake = await withTable('-A -t 10.0.0.9:80 -s rr');
    const rules = '-A -t 10.0.0.9:80 -s rr\n' + Array.from({ length: 40 }, (_, i) => `-A -t 10.0.1.${i + 1}:80 -s rr\n-a -t 10.0.1.${i + 1}:80 -r 10.0.2.${i + 1}:80 -m -w 1\n`).join('');
    // opening (2), reading the table (1 dump of services, 1 of real servers), looking up the 40 new services, then the batch's second datagram
    const faults = new FaultPlan().inject('malformed-message', { after: 2 + 2 + 40 + 70 });
    const result = await runWithFake(fake, ['apply', 'rules'], { files: { rules }, faults });
    expect(faults.struck).toHaveLength(1);
    expect(result.status).toBe(255);
    expect(result.stderr).toMatch(/^line \d+: Unreadable reply from the kernel\nthe exchange with the kernel failed: \d+ changes made, \d+ unanswered \(made or not\), \d+ not sent\nthe changes made were rolled back \(nothing was changed\)\n$/);
    expect(await table(fake)).toBe('-A -t 10.0.0.9:80 -s rr\n');
  });

  test('commander usage errors and help go through the output', async () => {
    const missing = await runWithFake(new FakeKernel(), ['apply']);
    expect(missing).toEqual({ status: 1, stdout: '', stderr: "error: missing required argument 'file'\n" });
    const help = await runWithFake(new FakeKernel(), ['apply', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: tsipvs apply \[options\] <file>/);
  });
});
