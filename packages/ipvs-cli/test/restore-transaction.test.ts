/**
 * -R as one transaction: -C, -Z and --set inside it, sync daemons refused before anything is sent,
 * and the three verdicts of a failure (refused: nothing applied; transport: rolled back; rollback
 * incomplete: what is left, exit 3). -S says when its output is incomplete.
 */
import { constants } from '@tsipvs/ipvs-core/wire';
import { FaultPlan } from '@tsipvs/ipvs-core/testing';
import { FakeKernel, runWithFake, safeguardsOf, type FakeRunOptions } from './support/environment';

const TABLE = [
  '-A -t 10.0.0.1:80 -s rr',
  '-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 1',
  '-a -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 2',
  '-A -t 10.0.0.2:80 -s wlc',
  '-a -t 10.0.0.2:80 -r 10.0.2.1:80 -g -w 1',
].join('\n');

async function loaded(): Promise<{ kernel: FakeKernel; before: string }> {
  const kernel = new FakeKernel();
  const load = await runWithFake(kernel, ['-R'], { stdin: TABLE });
  if (load.status !== 0) throw new Error(load.stderr);
  return { kernel, before: await save(kernel) };
}

async function save(kernel: FakeKernel): Promise<string> {
  return (await runWithFake(kernel, ['-S', '-n'])).stdout;
}

const restore = (kernel: FakeKernel, input: string, options: FakeRunOptions = {}) => runWithFake(kernel, ['-R'], { ...options, stdin: input });

/** `n` new services of 5 real servers each, as restore lines. */
function newServices(n: number): string[] {
  const lines: string[] = [];
  for (let s = 0; s < n; s++) {
    lines.push(`-A -t 10.9.${s}.1:80 -s rr`);
    for (let d = 1; d <= 5; d++) lines.push(`-a -t 10.9.${s}.1:80 -r 10.8.${s}.${d}:80 -m -w ${d}`);
  }
  return lines;
}

describe('restore: lines that are not plain changes', () => {
  test('-C then a refused line: the issue\'s example leaves the table as it was and says so', async () => {
    const { kernel, before } = await loaded();
    const r = await restore(kernel, '-C\n-A -t 10.9.9.8:80 -s nosuchsched\n');
    expect(r).toEqual({
      stdout: '',
      stderr: 'line 2: Scheduler or persistence engine not found\nrestore failed: nothing applied (the table is as before)\n',
      status: 255,
    });
    expect(await save(kernel)).toBe(before);
  });

  test('-C then new rules: the table is replaced', async () => {
    const { kernel } = await loaded();
    expect(await restore(kernel, '-C\n-A -t 10.9.9.8:80 -s sh\n')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(await save(kernel)).toBe('-A -t 10.9.9.8:80 -s sh\n');
  });

  test('--set is undone with the rest; -Z waits for the end, so a failure leaves the counters', async () => {
    const { kernel, before } = await loaded();
    kernel.setStats({ family: 2, protocol: 6, address: '10.0.0.1', port: 80 }, { connections: 5n });
    const r = await restore(kernel, '--set 10 20 30\n-Z\n-E -t 10.0.0.1:80 -s sh\n-D -t 10.0.0.7:80\n');
    expect(r).toEqual({ stdout: '', stderr: 'line 4: No such service\nrestore failed: nothing applied (the table is as before)\n', status: 255 });
    expect(await save(kernel)).toBe(before);
    expect((await runWithFake(kernel, ['-L', '--timeout'])).stdout).toBe('Timeout (tcp tcpfin udp): 900 120 300\n');
    expect((await runWithFake(kernel, ['-L', '-n', '--stats'])).stdout).toMatch(/TCP {2}10\.0\.0\.1:80 +5 /);
    expect(await restore(kernel, '-Z\n-E -t 10.0.0.1:80 -s sh\n')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect((await runWithFake(kernel, ['-L', '-n', '--stats'])).stdout).toMatch(/TCP {2}10\.0\.0\.1:80 +0 /);
  });

  test('sync daemons are refused by line before anything is sent', async () => {
    const { kernel, before } = await loaded();
    const sent = kernel.received.length;
    const r = await restore(kernel, '-A -t 10.0.0.5:80\n--start-daemon master --mcast-interface lo\n--stop-daemon backup\n');
    expect(r).toEqual({
      stdout: '',
      stderr:
        'line 2: --start-daemon is not allowed in restore input: a sync daemon cannot be part of the all-or-nothing restore (run it on its own)\n' +
        'line 3: --stop-daemon is not allowed in restore input: a sync daemon cannot be part of the all-or-nothing restore (run it on its own)\n',
      status: 2,
    });
    expect(kernel.received.length).toBe(sent);
    expect(await save(kernel)).toBe(before);
  });
});

describe('restore: the three ways a transaction fails', () => {
  test('a transport failure midway: what happened, and rolled back (read back as before)', async () => {
    const { kernel, before } = await loaded();
    const faults = new FaultPlan();
    const input = newServices(30).join('\n');
    // opening (2 requests) and the prior state (30 lookups) pass; the batch's third datagram is lost
    faults.inject('enobufs', { after: 2 + 30 + 100 });
    const r = await restore(kernel, input, { faults });
    expect(faults.struck.map((f) => f.kind)).toEqual(['enobufs']);
    expect(r.status).toBe(255);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(/^line \d+: Replies from the kernel were lost \(netlink receive buffer overflow\)$/);
    expect(lines[1]).toMatch(/^the exchange with the kernel failed: \d+ changes made, \d+ unanswered \(made or not\), \d+ not sent$/);
    expect(lines.slice(2)).toEqual(['restore failed: the changes made were rolled back (the table is as before)', '']);
    expect(await save(kernel)).toBe(before);
  });

  test('EMSGSIZE from the socket is not "Module is wrong version"', async () => {
    const { kernel, before } = await loaded();
    const faults = new FaultPlan().inject('send-error', { after: 2 + 30 + 70 });
    const r = await restore(kernel, newServices(30).join('\n'), { faults });
    expect(r.stderr).toMatch(/^line \d+: Message too long for the netlink socket\n/);
    expect(r.stderr).not.toContain('Module is wrong version');
    expect(r.stderr).toMatch(/rolled back \(the table is as before\)\n$/);
    expect(await save(kernel)).toBe(before);
  });

  test('a rollback that fails: what is left, read back, and exit 3', async () => {
    const { kernel } = await loaded();
    // the kernel will not delete services: the rollback cannot take back the one added
    kernel.refusals.set(constants.IpvsCommand.DelService, 12);
    const r = await restore(kernel, '-A -t 10.0.0.5:80 -s rr\n-a -t 10.0.0.5:80 -r 10.0.5.1:80 -m\n-A -t 10.0.0.6:80 -s nosuch\n');
    expect(r).toEqual({
      stdout: '',
      stderr:
        'line 3: Scheduler or persistence engine not found\n' +
        'restore failed and rolling back failed: the table is not as before:\n' +
        '  service TCP 10.0.0.5:80 exists (with 1 real server); it did not before\n' +
        'rolling back: deleteService service TCP 10.0.0.5:80: Cannot allocate memory\n' +
        `the journal ${safeguardsOf(kernel).journal} keeps the table as it was before: "tsipvs recover --rollback" puts it back\n`,
      status: 3,
    });
  });

  test('a table that cannot be read back: its state is unknown, exit 3', async () => {
    const { kernel } = await loaded();
    const faults = new FaultPlan().inject('deadline', { after: 2 + 30 + 100, times: Infinity });
    const r = await restore(kernel, newServices(30).join('\n'), { faults, kernelTimeoutMs: 50 });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/\nrestore failed and the table could not be read back: its state is unknown\nrolling back: .*(no reply from the kernel within 50 ms|no answer from the transport in time)\)( \(and \d+ more errors?\))?\nthe journal \S+ keeps the table as it was before: "tsipvs recover --rollback" puts it back\n$/);
  });
});

describe('-S when a dump fails', () => {
  test('says on stderr that what it wrote is incomplete', async () => {
    const { kernel } = await loaded();
    for (let s = 3; s <= 6; s++) await runWithFake(kernel, ['-A', '-t', `10.0.0.${s}:80`]);
    // opening (2 requests) and the service dump pass, then two real-server dumps; the third is unreadable
    const faults = new FaultPlan().inject('malformed-datagram', { after: 2 + 1 + 2 });
    const r = await runWithFake(kernel, ['-S', '-n'], { faults });
    expect(r.status).toBe(1);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('-A'))).toHaveLength(2);
    expect(r.stderr).toMatch(/\nsave incomplete: the rules written are only part of the table; do not restore or apply them\n$/);
  });
});
