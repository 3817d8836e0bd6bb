/**
 * All-or-nothing restore and declarative apply against the real kernel: failures injected at random
 * lines leave the table exactly as before (read back by Debian's ipvsadm), and apply reaches the
 * file's table with the minimal change set and is idempotent.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { vmTest, type VmTestContext } from '../harness/guest';
import { ruleLines, seededRandom } from '../harness/rules-text';

const ROUTABLE = 'ip link add d0 type dummy && ip link set d0 up && ip addr add 10.0.0.1/8 dev d0';

const rules = (services: number, servers: number, base = 0): string[] => ruleLines(services, servers, base);

function save(t: VmTestContext): string {
  const r = t.ipvsadm(['-S', '-n']);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

vmTest('restore with a refused line at a random position applies nothing (10 positions)', (t) => {
  t.sh(ROUTABLE);
  // an existing table the restore must not disturb
  const existing = rules(3, 2, 500);
  const seeded = t.tsipvs(['-R'], { input: `${existing.join('\n')}\n` });
  assert.equal(seeded.status, 0, seeded.stderr);
  const before = save(t);
  const random = seededRandom(42);
  const body = rules(40, 5);
  for (let round = 0; round < 10; round++) {
    const at = 1 + Math.floor(random() * (body.length - 1));
    const lines = [...body];
    // the kernel refuses a multicast real server (EINVAL) only when it gets there
    const vip = /-t (\S+)/.exec(lines[at]!)?.[1] ?? '172.16.0.0:80';
    lines.splice(at, 0, `-a -t ${vip} -r 224.0.0.${1 + round}:80 -m`);
    const r = t.tsipvs(['-R'], { input: `${lines.join('\n')}\n` });
    assert.notEqual(r.status, 0, `round ${round}: restore succeeded despite the bad line`);
    assert.match(r.stderr, new RegExp(`line ${at + 1}\\b`), `round ${round}: the error must name line ${at + 1}: ${r.stderr}`);
    assert.equal(save(t), before, `round ${round}: the table changed; tsipvs said: ${r.stderr}`);
  }
}, 300_000, { alone: true });

vmTest('restore refusing a duplicate service in the middle rolls back edits and deletions too', (t) => {
  t.sh(ROUTABLE);
  assert.equal(t.tsipvs(['-R'], { input: `${rules(4, 3).join('\n')}\n` }).status, 0);
  const before = save(t);
  const input = [
    '-E -t 172.16.0.0:80 -s sh',
    '-e -t 172.16.0.1:80 -r 10.1.1.2:80 -g -w 9',
    '-d -t 172.16.0.2:80 -r 10.1.2.1:80',
    '-D -t 172.16.0.3:80',
    '-A -t 172.16.0.1:80 -s rr', // exists: EEXIST
    '-A -t 172.16.9.9:80',
  ].join('\n');
  const r = t.tsipvs(['-R'], { input });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /line 5\b/);
  assert.equal(save(t), before);
});

vmTest('apply reaches the file with the minimal change set, then changes nothing', (t) => {
  t.sh(ROUTABLE);
  assert.equal(t.tsipvs(['-R'], { input: `${rules(20, 4).join('\n')}\n` }).status, 0);
  const desired = rules(20, 4);
  desired[3] = desired[3]!.replace(/-w \d+/, '-w 50'); // edit one real server
  desired.splice(11, 1); // remove one real server (line 11 is the first server of the third service)
  desired.push(...rules(2, 2, 300)); // two new services
  const removed = desired.findIndex((l) => l.startsWith('-A -t 172.16.0.19:80'));
  desired.splice(removed, 5); // delete a whole service and its servers
  fs.writeFileSync('/tmp/desired.rules', `${desired.join('\n')}\n`);

  const dry = t.tsipvs(['apply', '--dry-run', '--json', '/tmp/desired.rules']);
  assert.equal(dry.status, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout) as { summary: Record<string, number> };
  assert.deepEqual(plan.summary, {
    servicesAdded: 2, servicesEdited: 0, servicesDeleted: 1, destinationsAdded: 4, destinationsEdited: 1, destinationsDeleted: 1,
  });
  const unchanged = save(t);
  assert.equal(t.tsipvs(['apply', '--dry-run', '/tmp/desired.rules']).status, 0);
  assert.equal(save(t), unchanged, '--dry-run must not change the table');

  const applied = t.tsipvs(['apply', '/tmp/desired.rules']);
  assert.equal(applied.status, 0, applied.stderr);
  // the result is exactly what restoring the file into an empty table gives
  const fresh = t.run('unshare', ['-n', 'sh', '-c', `/usr/sbin/ip link set lo up && /usr/sbin/ip link add d0 type dummy && /usr/sbin/ip link set d0 up && /usr/sbin/ip addr add 10.0.0.1/8 dev d0 && ipvsadm -R < /tmp/desired.rules && ipvsadm -S -n`]);
  assert.equal(fresh.status, 0, fresh.stderr);
  assert.equal(save(t), fresh.stdout);

  const again = t.tsipvs(['apply', '--json', '/tmp/desired.rules']);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(Object.values((JSON.parse(again.stdout) as { summary: Record<string, number> }).summary).reduce((a, b) => a + b, 0), 0);
}, 120_000, { alone: true });

vmTest('apply that the kernel refuses midway leaves the table as before', (t) => {
  t.sh(ROUTABLE);
  assert.equal(t.tsipvs(['-R'], { input: `${rules(5, 3).join('\n')}\n` }).status, 0);
  const before = save(t);
  const desired = rules(5, 3);
  desired[1] = desired[1]!.replace(/-w \d+/, '-w 7');
  desired.push('-A -t 172.16.5.5:80 -s rr', '-a -t 172.16.5.5:80 -r 224.1.1.1:80 -m', ...rules(2, 2, 100));
  fs.writeFileSync('/tmp/bad.rules', `${desired.join('\n')}\n`);
  const r = t.tsipvs(['apply', '/tmp/bad.rules']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, new RegExp(`line ${desired.indexOf('-a -t 172.16.5.5:80 -r 224.1.1.1:80 -m') + 1}\\b`), r.stderr);
  assert.equal(save(t), before);
});
