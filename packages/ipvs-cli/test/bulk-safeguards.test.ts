/** -R, apply and recover under the table lock, with the intent journal, stopped by signals. */
import * as fs from 'node:fs';
import { readIntent, writeIntent } from '@tsipvs/ipvs-core';
import { FakeKernel, runWithFake, safeguardsOf } from './support/environment';

function rules(services: number, servers: number, base = 0): string {
  const lines: string[] = [];
  for (let s = base; s < base + services; s++) {
    lines.push(`-A -t 172.16.${s >> 8}.${s & 255}:80 -s rr`);
    for (let d = 1; d <= servers; d++) lines.push(`-a -t 172.16.${s >> 8}.${s & 255}:80 -r 10.1.${s & 255}.${d}:80 -m -w 1`);
  }
  return `${lines.join('\n')}\n`;
}

/** Aborts `controller` with `signal` when the fake kernel has received its `count`-th request. */
function abortAtRequest(kernel: FakeKernel, count: number, controller: AbortController, signal: string): void {
  const received = kernel.received as unknown as { push: (...items: unknown[]) => number; length: number };
  const push = received.push.bind(received);
  received.push = (...items: unknown[]) => {
    const length = push(...items);
    if (length >= count && !controller.signal.aborted) controller.abort(signal);
    return length;
  };
}

async function saved(kernel: FakeKernel): Promise<string> {
  return (await runWithFake(kernel, ['-S', '-n'])).stdout;
}

describe('bulk changes', () => {
  test('a busy table lock: -R and apply change nothing, exit 4, and say who to wait for', async () => {
    const kernel = new FakeKernel();
    await runWithFake(kernel, ['-R'], { stdin: rules(2, 1) });
    const before = await saved(kernel);
    safeguardsOf(kernel).locked = true;
    const restore = await runWithFake(kernel, ['-R'], { stdin: rules(3, 1, 10) });
    expect(restore).toEqual({ status: 4, stdout: '', stderr: 'another tsipvs is changing this IPVS table (wait for it with --wait)\n' });
    const apply = await runWithFake(kernel, ['apply', '-'], { stdin: rules(1, 1, 20) });
    expect(apply.status).toBe(4);
    expect(await saved(kernel)).toBe(before);
    safeguardsOf(kernel).locked = false;
    expect((await runWithFake(kernel, ['-R'], { stdin: rules(1, 1, 30) })).status).toBe(0);
  });

  for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    for (const at of [3, 40, 150]) {
      test(`${signal} at request ${at} of a restore: rolled back, exit ${status}, no journal left`, async () => {
        const kernel = new FakeKernel();
        await runWithFake(kernel, ['-R'], { stdin: rules(3, 2, 100) });
        const before = await saved(kernel);
        const controller = new AbortController();
        abortAtRequest(kernel, kernel.received.length + at, controller, signal);
        const r = await runWithFake(kernel, ['-R'], { stdin: rules(60, 4), signal: controller.signal });
        expect(r.status).toBe(status);
        expect(r.stderr).toMatch(new RegExp(`(the changes made were rolled back|before sending anything).*\\ntsipvs: interrupted by ${signal}\\n$`, 's'));
        expect(await saved(kernel)).toBe(before);
        expect(fs.existsSync(safeguardsOf(kernel).journal)).toBe(false);
      });
    }
  }

  test('SIGTERM during apply: rolled back, exit 143', async () => {
    const kernel = new FakeKernel();
    await runWithFake(kernel, ['-R'], { stdin: rules(20, 3) });
    const before = await saved(kernel);
    const controller = new AbortController();
    abortAtRequest(kernel, kernel.received.length + 60, controller, 'SIGTERM');
    const r = await runWithFake(kernel, ['apply', '-'], { stdin: rules(30, 2, 10), signal: controller.signal });
    expect(r.status).toBe(143);
    expect(r.stderr).toMatch(/rolled back \(nothing was changed\)\n.*interrupted by SIGTERM\n$/s);
    expect(await saved(kernel)).toBe(before);
  });

  test('a journal left by a killed run blocks bulk changes until recover --rollback puts the table back', async () => {
    const kernel = new FakeKernel();
    await runWithFake(kernel, ['-R'], { stdin: rules(2, 2) });
    const before = await saved(kernel);
    const { journal } = safeguardsOf(kernel);
    // what a killed `-R` leaves: its journal (the prior state of what it touches), and half its changes made
    const prior = { services: [], absent: [5, 6].map((s) => ({ family: 2, protocol: 6, address: `172.16.0.${s}`, port: 80 })), wholeTable: false };
    writeIntent(journal, { command: 'tsipvs -R', pid: 4242, startedAt: '2026-11-29T00:00:00.000Z', prior });
    await runWithFake(kernel, ['-A', '-t', '172.16.0.5:80']);

    const blocked = await runWithFake(kernel, ['-R'], { stdin: rules(1, 1, 9) });
    expect(blocked.status).toBe(4);
    expect(blocked.stderr).toContain(`an unfinished change "tsipvs -R" (pid 4242, started 2026-11-29T00:00:00.000Z) left ${journal}: nothing was sent`);
    expect((await runWithFake(kernel, ['apply', '-'], { stdin: rules(1, 1) })).status).toBe(4);

    const shown = await runWithFake(kernel, ['recover']);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain('the table differs from before that change in 1 place:\n  service TCP 172.16.0.5:80 exists; it did not before\n');
    const rolledBack = await runWithFake(kernel, ['recover', '--rollback']);
    expect(rolledBack).toMatchObject({ status: 0, stderr: '' });
    expect(rolledBack.stdout).toContain('rolled back: the table is as it was before that change (read back); journal removed');
    expect(await saved(kernel)).toBe(before);
    expect(readIntent(journal)).toBeUndefined();
    expect(await runWithFake(kernel, ['recover'])).toEqual({ status: 0, stdout: 'no unfinished change in this network namespace\n', stderr: '' });
  });

  test('recover --forget keeps the table and drops the journal; a damaged journal is named', async () => {
    const kernel = new FakeKernel();
    const { journal } = safeguardsOf(kernel);
    writeIntent(journal, { command: 'tsipvs apply x', pid: 1, startedAt: 't', prior: { services: [], absent: [], wholeTable: true } });
    expect((await runWithFake(kernel, ['recover', '--forget'])).stdout).toContain('journal removed; the table stays as it is');
    fs.writeFileSync(journal, 'garbage');
    const damaged = await runWithFake(kernel, ['-R'], { stdin: rules(1, 1) });
    expect(damaged.status).toBe(4);
    expect(damaged.stderr).toContain(`${journal}: is not valid JSON`);
  });

  test('-R --wait=SECONDS is read; --wait belongs to -R only', async () => {
    const kernel = new FakeKernel();
    expect((await runWithFake(kernel, ['-R', '--wait=5'], { stdin: rules(1, 1) })).status).toBe(0);
    expect((await runWithFake(kernel, ['-R', '--wait'], { stdin: rules(1, 1, 5) })).status).toBe(0);
    expect((await runWithFake(kernel, ['-Ln', '--wait'])).status).toBe(2);
    expect((await runWithFake(kernel, ['-R', '--wait=soon'], { stdin: '' })).stderr).toBe('illegal wait time specified\n');
  });
});
