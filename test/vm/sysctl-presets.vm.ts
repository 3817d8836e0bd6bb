/** Each preset applied in a fresh namespace, read back from /proc and iproute2, then reverted to exactly what was there. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { directorPreset, realserverPreset, setupPreset, teardownPreset } from '@tsipvs/sysctl';
import { vmTest } from '../harness/guest';
import { ipv4Addresses, linkIsUp, networkState, procValue, scratchFile, tsipvsOk } from './sysctl-support.vm';

vmTest('realserver dr (CLI): ARP settings on all and lo, VIP/32 on lo; teardown restores everything', (t) => {
  const before = networkState(t);
  const state = scratchFile('realserver.json');
  const setup = JSON.parse(tsipvsOk(t, ['realserver', 'setup', '--mode', 'dr', '--vip', '10.10.10.1', '--state-file', state, '--json'])) as {
    changes: { kind: string }[];
  };
  assert.deepEqual(setup.changes.map((c) => c.kind), ['sysctl', 'sysctl', 'sysctl', 'sysctl', 'address']);
  assert.equal(procValue(t, 'net/ipv4/conf/all/arp_ignore'), '1');
  assert.equal(procValue(t, 'net/ipv4/conf/all/arp_announce'), '2');
  assert.equal(procValue(t, 'net/ipv4/conf/lo/arp_ignore'), '1');
  assert.equal(procValue(t, 'net/ipv4/conf/lo/arp_announce'), '2');
  assert.ok(ipv4Addresses(t, 'lo').includes('10.10.10.1/32'), t.sh('ip addr show dev lo'));
  assert.ok(fs.existsSync(state));

  tsipvsOk(t, ['realserver', 'teardown', '--mode', 'dr', '--vip', '10.10.10.1', '--state-file', state]);
  assert.equal(networkState(t), before);
  assert.ok(!fs.existsSync(state));
});

vmTest('realserver dr on a dummy interface whose name has a dot (library)', async (t) => {
  t.sh('ip link add vip.5 type dummy');
  const before = networkState(t);
  const stateFile = scratchFile('realserver.json');
  const { plan } = await setupPreset(realserverPreset({ mode: 'dr', vips: ['10.10.10.2', '10.10.10.3'], dev: 'vip.5' }), { stateFile });
  assert.ok(plan.steps.some((s) => s.kind === 'sysctl' && s.key === 'net.ipv4.conf.vip/5.arp_ignore'));
  assert.equal(procValue(t, 'net/ipv4/conf/vip.5/arp_ignore'), '1');
  assert.equal(procValue(t, 'net/ipv4/conf/vip.5/arp_announce'), '2');
  assert.ok(linkIsUp(t, 'vip.5'));
  assert.deepEqual(ipv4Addresses(t, 'vip.5'), ['10.10.10.2/32', '10.10.10.3/32']);

  await teardownPreset('realserver', { stateFile });
  assert.equal(networkState(t), before);
});

vmTest('realserver tun (CLI): tunl0 up with VIP/32, rp_filter=0 on all and tunl0; teardown restores everything', (t) => {
  assert.ok(!linkIsUp(t, 'tunl0'), 'tunl0 starts down in a fresh namespace');
  t.sh('echo 1 > /proc/sys/net/ipv4/conf/all/rp_filter'); // the usual distribution default, so the change shows
  const before = networkState(t);
  const state = scratchFile('realserver.json');
  const text = tsipvsOk(t, ['realserver', 'setup', '--mode', 'tun', '--vip', '10.10.10.4', '--state-file', state]);
  assert.match(text, /changed net\.ipv4\.conf\.all\.rp_filter: 1 -> 0/);
  assert.equal(procValue(t, 'net/ipv4/conf/all/rp_filter'), '0');
  assert.equal(procValue(t, 'net/ipv4/conf/tunl0/rp_filter'), '0');
  assert.equal(procValue(t, 'net/ipv4/conf/all/arp_ignore'), '1');
  assert.equal(procValue(t, 'net/ipv4/conf/tunl0/arp_announce'), '2');
  assert.ok(linkIsUp(t, 'tunl0'));
  assert.deepEqual(ipv4Addresses(t, 'tunl0'), ['10.10.10.4/32']);

  const down = tsipvsOk(t, ['realserver', 'teardown', '--state-file', state]);
  assert.match(down, /restored link tunl0: up -> down/);
  assert.equal(networkState(t), before);
  assert.ok(!linkIsUp(t, 'tunl0'));
});

vmTest('director nat (CLI): ip_forward=1, send_redirects=0, an IPVS tunable; teardown restores everything', (t) => {
  t.sh('ip link add d0 type dummy && ip link set d0 up');
  const before = networkState(t);
  const state = scratchFile('director.json');
  tsipvsOk(t, ['director', 'setup', '--mode', 'nat', '--dev', 'd0', '--ipvs', 'expire_nodest_conn=1', '--ipvs', 'sync_threshold=5 60', '--state-file', state]);
  assert.equal(procValue(t, 'net/ipv4/ip_forward'), '1');
  for (const scope of ['all', 'default', 'd0']) assert.equal(procValue(t, `net/ipv4/conf/${scope}/send_redirects`), '0', scope);
  assert.equal(procValue(t, 'net/ipv4/vs/expire_nodest_conn'), '1');
  assert.equal(procValue(t, 'net/ipv4/vs/sync_threshold').replace(/\s+/g, ' '), '5 60');

  tsipvsOk(t, ['director', 'teardown', '--mode', 'nat', '--state-file', state]);
  assert.equal(networkState(t), before);
});

for (const mode of ['dr', 'tun'] as const) {
  vmTest(`director ${mode} (library): send_redirects=0 only; teardown restores everything`, async (t) => {
    t.sh('ip link add d0 type dummy');
    const before = networkState(t);
    const stateFile = scratchFile('director.json');
    const { plan } = await setupPreset(directorPreset({ mode, dev: 'd0' }), { stateFile });
    assert.deepEqual(
      plan.steps.map((s) => (s.kind === 'sysctl' ? `${s.key}=${s.to}` : s.kind)),
      ['net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.default.send_redirects=0', 'net.ipv4.conf.d0.send_redirects=0'],
    );
    assert.equal(procValue(t, 'net/ipv4/ip_forward'), '0');
    assert.equal(procValue(t, 'net/ipv4/conf/d0/send_redirects'), '0');
    await teardownPreset('director', { stateFile });
    assert.equal(networkState(t), before);
  });
}

vmTest('dry runs change nothing', (t) => {
  const before = networkState(t);
  const state = scratchFile('realserver.json');
  const text = tsipvsOk(t, ['realserver', 'setup', '--mode', 'tun', '--vip', '10.10.10.5', '--dry-run', '--state-file', state]);
  assert.match(text, /would change address 10\.10\.10\.5\/32 on tunl0: absent -> present/);
  tsipvsOk(t, ['director', 'setup', '--mode', 'nat', '--dry-run', '--state-file', state]);
  assert.equal(networkState(t), before);
  assert.ok(!fs.existsSync(state));
});
