/** Proves the harness itself: Debian's ipvsadm works in each case's own namespace. */
import * as assert from 'node:assert/strict';
import { vmTest } from '../harness/guest';

const DUMMY = 'ip link add d0 type dummy && ip link set d0 up && ip addr add 10.0.0.254/8 dev d0';

vmTest('ipvsadm adds a service with two real servers and lists them', (t) => {
  t.sh(DUMMY);
  for (const args of [
    ['-A', '-t', '10.0.0.1:80', '-s', 'rr'],
    ['-a', '-t', '10.0.0.1:80', '-r', '10.0.0.2:80', '-m', '-w', '2'],
    ['-a', '-t', '10.0.0.1:80', '-r', '10.0.0.3:80', '-g'],
  ]) {
    const r = t.ipvsadm(args);
    assert.equal(r.status, 0, r.stderr);
  }
  const list = t.ipvsadm(['-Ln']);
  assert.equal(list.status, 0);
  assert.equal(
    list.stdout,
    [
      'IP Virtual Server version 1.2.1 (size=4096)',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      'TCP  10.0.0.1:80 rr',
      `  -> ${'10.0.0.2:80'.padEnd(28)} Masq    2      0          0         `,
      `  -> ${'10.0.0.3:80'.padEnd(28)} Route   1      0          0         `,
      '',
    ].join('\n'),
  );
});

vmTest('every case starts in an empty namespace', (t) => {
  const list = t.ipvsadm(['-Sn']);
  assert.equal(list.status, 0);
  assert.equal(list.stdout, '');
  // leave state behind on purpose: the next case must not see it
  assert.equal(t.ipvsadm(['-A', '-t', '10.9.9.9:80']).status, 0);
});

vmTest('a fresh namespace from a case is empty too', (t) => {
  assert.equal(t.ipvsadm(['-A', '-u', '10.9.9.9:53']).status, 0);
  const fresh = t.ipvsadm(['-Sn'], { freshNamespace: true });
  assert.equal(fresh.status, 0, fresh.stderr);
  assert.equal(fresh.stdout, '');
});
