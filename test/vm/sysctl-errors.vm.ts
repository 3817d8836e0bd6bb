/** Real-kernel failures: kernel rejections roll back, missing knobs and interfaces are named, and the typed accessors read /proc right. */
import * as assert from 'node:assert/strict';
import { IPVS_KNOB_NAMES, IpvsSysctls } from '@tsipvs/sysctl';
import { vmTest } from '../harness/guest';
import { networkState, procValue, scratchFile } from './sysctl-support.vm';

vmTest('sysctl set rolls back earlier writes when the kernel rejects a later one', (t) => {
  const before = networkState(t);
  const r = t.tsipvs(['sysctl', 'set', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.ip_local_port_range=5000 4000']);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /tsipvs sysctl set: net\.ipv4\.ip_local_port_range: .* failed: the kernel rejected "5000 4000" .*\(EINVAL\); rolled back the 1 change already made/);
  assert.equal(procValue(t, 'net/ipv4/conf/all/arp_ignore'), '0');
  assert.equal(networkState(t), before);
});

vmTest('sysctl get/set by dotted name with a dotted interface, and by path', (t) => {
  t.sh('ip link add eth0.100 type dummy');
  const set = t.tsipvs(['sysctl', 'set', 'net.ipv4.conf.eth0/100.rp_filter=2']);
  assert.equal(set.status, 0, set.stderr);
  assert.equal(procValue(t, 'net/ipv4/conf/eth0.100/rp_filter'), '2');
  const get = t.tsipvs(['sysctl', 'get', 'net/ipv4/conf/eth0.100/rp_filter', 'net.ipv4.vs.sync_threshold']);
  assert.equal(get.stdout, 'net.ipv4.conf.eth0/100.rp_filter = 2\nnet.ipv4.vs.sync_threshold = 3 50\n');
  const bad = t.tsipvs(['sysctl', 'get', 'net/ipv4/../../../etc/passwd']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /'\.\.' is not allowed/);
});

vmTest('knobs missing on 6.1 and out-of-range values are refused before any write', (t) => {
  const missing = t.tsipvs(['sysctl', 'set', 'net.ipv4.vs.est_nice=5']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /net\.ipv4\.vs\.est_nice does not exist on this kernel \(it exists on Linux 6\.2 and later\)/);
  const range = t.tsipvs(['sysctl', 'set', 'net.ipv4.vs.conntrack=1', 'net.ipv4.vs.sync_ports=3']);
  assert.equal(range.status, 1);
  assert.match(range.stderr, /sync_ports: "3" is out of range/);
  assert.equal(procValue(t, 'net/ipv4/vs/conntrack'), '0');
});

vmTest('typed accessors read and write the real net.ipv4.vs', () => {
  const ipvs = new IpvsSysctls();
  assert.ok(ipvs.isLoaded());
  const present = ipvs.readAll().filter((r) => r.text !== undefined).map((r) => r.name);
  const absent = IPVS_KNOB_NAMES.filter((n) => !present.includes(n));
  assert.deepEqual(absent.filter((n) => n !== 'debug_level'), ['est_cpulist', 'est_nice']);
  assert.deepEqual(ipvs.get('sync_threshold'), { threshold: 3, period: 50 });
  assert.equal(ipvs.get('pmtu_disc'), true);
  assert.equal(ipvs.get('conn_reuse_mode'), 1);
  ipvs.set('sync_threshold', { threshold: 0, period: 0 });
  assert.deepEqual(ipvs.get('sync_threshold'), { threshold: 0, period: 0 });
  ipvs.set('sync_ports', 4);
  assert.equal(ipvs.get('sync_ports'), 4);
  ipvs.set('expire_quiescent_template', true);
  assert.equal(ipvs.get('expire_quiescent_template'), true);
});

vmTest('realserver setup names a missing interface and changes nothing', (t) => {
  const before = networkState(t);
  const r = t.tsipvs(['realserver', 'setup', '--mode', 'dr', '--vip', '10.10.10.9', '--dev', 'nope0', '--state-file', scratchFile('s.json')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no network interface named nope0/);
  assert.equal(networkState(t), before);
});

vmTest('a second setup is refused until teardown', (t) => {
  const state = scratchFile('realserver.json');
  assert.equal(t.tsipvs(['realserver', 'setup', '--mode', 'dr', '--vip', '10.10.10.6', '--state-file', state]).status, 0);
  const again = t.tsipvs(['realserver', 'setup', '--mode', 'dr', '--vip', '10.10.10.7', '--state-file', state]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /realserver is already set up/);
  assert.equal(t.tsipvs(['realserver', 'teardown', '--state-file', state]).status, 0);
});
