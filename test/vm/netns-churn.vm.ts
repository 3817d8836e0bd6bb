/**
 * Another network namespace adds and deletes services while this one is listed, restored or applied.
 * This kernel keeps the services of all namespaces in one table and resumes a multi-part service dump
 * by position in it, so a plain dump repeats or skips services then (ipvsadm's does). tsipvs never
 * lists a service twice or one that is gone, and a refused restore or apply still leaves the table
 * exactly as it was. These cases run alone: ipvsadm reads the table back only once the churn stopped.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { vmTest, type VmTestContext } from '../harness/guest';

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Starts a loop, in a namespace of its own, that restores 50 services and flushes them. The returned
 * function ends it and waits until it has flushed its last services (a namespace that dies with
 * services deletes them later, which would shift our dumps again).
 */
function churnElsewhere(): () => void {
  const base = `/tmp/churn-${process.pid}`;
  fs.writeFileSync(`${base}.rules`, Array.from({ length: 50 }, (_, i) => `-A -t 10.9.0.${i + 1}:80 -s rr\n`).join(''));
  fs.writeFileSync(`${base}.run`, '');
  fs.rmSync(`${base}.done`, { force: true });
  const loop = `while [ -e ${base}.run ]; do ipvsadm -R < ${base}.rules; ipvsadm -C; done; ipvsadm -C; touch ${base}.done`;
  spawn('unshare', ['-n', 'sh', '-c', loop], { detached: true, stdio: 'ignore' }).unref();
  return () => {
    fs.rmSync(`${base}.run`, { force: true });
    for (let waited = 0; !fs.existsSync(`${base}.done`); waited += 50) {
      if (waited > 60_000) throw new Error('the churn loop did not stop');
      sleep(50);
    }
  };
}

function withChurn<T>(body: () => T): T {
  const stop = churnElsewhere();
  try {
    return body();
  } finally {
    stop();
  }
}

function table(services: number, base = 0): string {
  const lines: string[] = [];
  for (let s = base; s < base + services; s++) {
    const vip = `172.17.${s >> 8}.${s & 255}:80`;
    lines.push(`-A -t ${vip} -s rr`, `-a -t ${vip} -r 10.2.${s >> 8}.${s & 255}:80 -m -w 1`);
  }
  return `${lines.join('\n')}\n`;
}

function save(t: VmTestContext, tool: 'ipvsadm' | 'tsipvs'): string {
  const r = tool === 'ipvsadm' ? t.ipvsadm(['-S', '-n']) : t.tsipvs(['-S', '-n']);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** 400 services: their dump takes several datagrams, so other namespaces can shift it. */
function setUp(t: VmTestContext): string {
  t.sh('ip link add d0 type dummy && ip link set d0 up && ip addr add 10.0.0.1/8 dev d0');
  const loaded = t.tsipvs(['-R'], { input: table(400) });
  assert.equal(loaded.status, 0, loaded.stderr);
  return save(t, 'ipvsadm');
}

vmTest('listings never repeat a service nor show one that is gone while another namespace churns', (t) => {
  const expected = new Set(setUp(t).split('\n').filter(Boolean));
  const tally = { tsipvsExact: 0, ipvsadmExact: 0 };
  withChurn(() => {
    for (let i = 0; i < 10; i++) {
      const lines = save(t, 'tsipvs').split('\n').filter(Boolean);
      assert.equal(new Set(lines).size, lines.length, `tsipvs -S -n #${i} repeats lines`);
      const unknown = lines.filter((l) => !expected.has(l));
      assert.deepEqual(unknown, [], `tsipvs -S -n #${i} shows lines that are not in the table`);
      if (lines.length === expected.size) tally.tsipvsExact++;
      const theirs = save(t, 'ipvsadm').split('\n').filter(Boolean);
      if (theirs.length === expected.size && new Set(theirs).size === theirs.length) tally.ipvsadmExact++;
    }
  });
  process.stdout.write(`exact listings of 10 under churn: tsipvs ${tally.tsipvsExact}, ipvsadm ${tally.ipvsadmExact}\n`);
}, 300_000, { alone: true });

vmTest('a refused restore is undone exactly while another namespace churns', (t) => {
  const expected = setUp(t);
  for (let round = 0; round < 6; round++) {
    const base = 1000 + round * 30;
    const input = table(30, base).split('\n');
    const at = 5 + round * 7;
    // the kernel refuses a multicast real server (EINVAL) only when it gets there
    input.splice(at, 0, `-a -t 172.17.${base >> 8}.${base & 255}:80 -r 224.0.0.${round + 1}:80 -m`);
    // edits and deletions of existing services too, so that the undo needs their prior state
    input.unshift('-E -t 172.17.0.7:80 -s wlc', '-d -t 172.17.0.8:80 -r 10.2.0.8:80', '-D -t 172.17.0.9:80');
    const r = withChurn(() => t.tsipvs(['-R'], { input: input.join('\n') }));
    assert.notEqual(r.status, 0, `round ${round}: the bad line was accepted`);
    assert.match(r.stderr, new RegExp(`line ${at + 4}\\b`), r.stderr);
    assert.match(r.stderr, /nothing applied/, r.stderr);
    assert.equal(save(t, 'ipvsadm'), expected, `round ${round}: the table changed; tsipvs said: ${r.stderr}`);
  }
}, 300_000, { alone: true });

vmTest('apply while another namespace churns either reaches the file or changes nothing', (t) => {
  const original = setUp(t);
  // one edit, one new service, one deleted service
  const desired = table(401).replace('-A -t 172.17.0.5:80 -s rr', '-A -t 172.17.0.5:80 -s wlc').replace(/-A -t 172\.17\.0\.9:80 .*\n.*\n/, '');
  fs.writeFileSync('/tmp/churn-desired.rules', desired);
  const applied = withChurn(() => t.tsipvs(['apply', '/tmp/churn-desired.rules']));
  const now = save(t, 'ipvsadm');
  if (applied.status === 0) {
    const fresh = t.run('unshare', ['-n', 'sh', '-c', '/usr/sbin/ip link set lo up && /usr/sbin/ip link add d0 type dummy && /usr/sbin/ip link set d0 up && /usr/sbin/ip addr add 10.0.0.1/8 dev d0 && ipvsadm -R < /tmp/churn-desired.rules && ipvsadm -S -n']);
    assert.equal(fresh.status, 0, fresh.stderr);
    assert.equal(now, fresh.stdout, 'apply succeeded but the table is not the file');
  } else {
    assert.match(applied.stderr, /nothing was changed/, applied.stderr);
    assert.equal(now, original, `apply failed and the table changed: ${applied.stderr}`);
  }
}, 300_000, { alone: true });
