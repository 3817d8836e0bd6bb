/**
 * A kernel where nothing loaded ip_vs yet: tsipvs loads it as ipvsadm does (modprobe), for netlink
 * commands and for the net.ipv4.vs.* settings alike. The case unloads every IPVS module first, so it
 * runs alone, and loads them all back at the end.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { vmTest, type VmTestContext } from '../harness/guest';

function ipvsModules(): string[] {
  return fs
    .readFileSync('/proc/modules', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name === 'ip_vs' || name.startsWith('ip_vs_'));
}

/** Unloads ip_vs and everything built on it (namespaces of earlier cases may take a moment to go). */
function unloadIpvs(t: VmTestContext): void {
  t.sh(`for try in 1 2 3 4 5 6 7 8 9 10; do
    for m in $(awk '$1 ~ /^ip_vs_/ {print $1}' /proc/modules); do rmmod "$m" 2>/dev/null; done
    rmmod ip_vs 2>/dev/null
    grep -q '^ip_vs ' /proc/modules || exit 0
    sleep 1
  done
  echo "ip_vs stays loaded: $(grep ip_vs /proc/modules)"; exit 1`);
  assert.equal(fs.existsSync('/proc/sys/net/ipv4/vs'), false);
}

vmTest(
  'modprobe: sysctl get/set of net.ipv4.vs.*, -Ln and apply load ip_vs when nothing loaded it yet',
  (t) => {
    const loadedAtStart = ipvsModules();
    try {
      unloadIpvs(t);
      const get = t.tsipvs(['sysctl', 'get', 'net.ipv4.vs.conntrack']);
      assert.deepEqual(get, { status: 0, stdout: 'net.ipv4.vs.conntrack = 0\n', stderr: '' });
      assert.ok(ipvsModules().includes('ip_vs'));

      unloadIpvs(t);
      assert.equal(t.tsipvs(['sysctl', 'set', 'net.ipv4.vs.expire_nodest_conn=1']).status, 0);
      assert.equal(fs.readFileSync('/proc/sys/net/ipv4/vs/expire_nodest_conn', 'utf8'), '1\n');

      unloadIpvs(t);
      const ours = t.tsipvs(['-Ln']);
      const theirs = t.ipvsadm(['-Ln']);
      assert.deepEqual(ours, theirs);
      assert.equal(ours.status, 0);

      unloadIpvs(t);
      const apply = t.tsipvs(['apply', '-'], { input: '-A -t 192.0.2.1:80 -s rr\n' });
      assert.equal(apply.status, 0, apply.stderr);
      assert.equal(t.ipvsadm(['-Sn']).stdout, '-A -t 192.0.2.1:80 -s rr\n');
      t.ipvsadm(['-C']);
    } finally {
      t.sh(`modprobe -a ${loadedAtStart.join(' ')}`);
    }
  },
  300_000,
  { alone: true },
);
