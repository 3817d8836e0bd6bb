/**
 * VRRP between two directors on one bridge, with real traffic: a client, directors d1 (MASTER, priority
 * 100) and d2 (BACKUP, 80) each running `tsipvs keepalived` (both halves: VRRP and the checkers of an
 * LVS-DR virtual server), two real servers. The VIP must be on exactly one director, move within the
 * RFC's bounds when the master's link goes down or it stops, and come back when the master returns
 * (preemption). A wrong auth_pass splits the pair (both MASTER), as keepalived does. Then the same
 * failover with Debian's keepalived on one side and tsipvs on the other, in both roles.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { vmTest } from '../harness/guest';
import { sleep } from '../lab/lab';
import { unavailableReason, withKeepalivedLab, writeFile, type Implementation } from '../lab/keepalived-lab';
import { installOperatorFiles } from '../lab/operator-files';
import { longestGap, masterDownMs, pairLab, SLACK_MS, VIP, vrrpConfig, waitForMaster, waitForSplit, type Pair } from '../lab/vrrp-lab';

const DOWN_MS = masterDownMs(80);
const config = (state: 'MASTER' | 'BACKUP', priority: number, password?: string) => vrrpConfig({ state, priority, ...(password ? { password } : {}) });

async function failover(p: Pair, master: Implementation, backup: Implementation): Promise<void> {
  const { ka } = p;
  const m = ka.startDaemon(master, p.d1, writeFile(`${ka.dir}/d1-${master}.conf`, config('MASTER', 100)), [], undefined, 'both');
  const b = ka.startDaemon(backup, p.d2, writeFile(`${ka.dir}/d2-${backup}.conf`, config('BACKUP', 80)), [], undefined, 'both');
  const daemons = [m, b];
  // both run once their checkers have programmed their tables (a node daemon takes seconds to start under TCG)
  for (const [ns, daemon] of [[p.d1, m], [p.d2, b]] as const) await ka.waitForTable(ns, (t) => t.includes('10.0.0.20:80'), 30_000, `${daemon.impl} running`, daemon);
  await waitForMaster(p, p.d1, 30_000, `${master} d1 MASTER at start`, daemons);
  const answers = p.ka.lab.fetch(p.client, `http://${VIP}/`, 4);
  assert.deepEqual([...new Set(answers)].sort(), ['rs1', 'rs2'], `requests through d1: ${answers.join(' ')}`);
  ka.step(`${master}/${backup}: d1 MASTER, traffic through it`);

  // the master's link goes down: the backup holds the VIP within the master-down interval
  let tookMs = 0;
  const gap = await longestGap(p, 9000, async () => {
    await sleep(1000);
    ka.sh(p.d1, 'ip link set eth0 down');
    tookMs = await waitForMaster(p, p.d2, DOWN_MS + SLACK_MS, 'link down: d2 takes over', daemons);
  });
  ka.step(`${master}/${backup}: link down, d2 holds the VIP after ${tookMs} ms (bound ${DOWN_MS} ms + slack), longest gap without answers ${gap} ms`);
  assert.ok(gap <= DOWN_MS + SLACK_MS, `the client went ${gap} ms without answers`);

  // the link comes back: d1 (100) preempts d2 (80)
  ka.sh(p.d1, 'ip link set eth0 up');
  const back = await waitForMaster(p, p.d1, 8000 + SLACK_MS, 'link up: d1 preempts', daemons);
  ka.step(`${master}/${backup}: link up, d1 preempted after ${back} ms`);

  // SIGTERM on the master: priority 0, the backup takes over within one advert_int (its skew, in fact)
  await sleep(2000);
  const stopping = Date.now();
  await m.stop();
  const stopped = await waitForMaster(p, p.d2, 1000 + SLACK_MS, 'SIGTERM: d2 takes over at once', daemons);
  ka.step(`${master}/${backup}: SIGTERM on d1, d2 holds the VIP ${Date.now() - stopping} ms after the signal (${stopped} ms after d1 exited)`);
  await b.stop();
}

vmTest('VRRP, tsipvs on both directors: start, link down, preemption, SIGTERM; a wrong auth_pass splits the pair', async () => {
  await withKeepalivedLab(async (ka) => {
    const p = await pairLab(ka);
    ka.step('lab ready');
    await failover(p, 'tsipvs', 'tsipvs');
    // wrong auth_pass: each drops the other's adverts (counted), both become MASTER
    const a = ka.startDaemon('tsipvs', p.d1, writeFile(`${ka.dir}/d1-auth.conf`, config('MASTER', 100)), [], undefined, 'both');
    const b = ka.startDaemon('tsipvs', p.d2, writeFile(`${ka.dir}/d2-auth.conf`, config('BACKUP', 80, '2222')), [], undefined, 'both');
    for (const [ns, daemon] of [[p.d1, a], [p.d2, b]] as const) await ka.waitForTable(ns, (t) => t.includes('10.0.0.20:80'), 30_000, 'running', daemon);
    await waitForSplit(p, DOWN_MS + 2 * SLACK_MS, 'wrong auth_pass', [a, b]);
    ka.step('wrong auth_pass: both MASTER');
    await Promise.all([a.stop(), b.stop()]);
  });
}, 240_000);

vmTest("VRRP interoperability: Debian's keepalived and tsipvs keepalived, each as MASTER and as BACKUP", async (t) => {
  const why = unavailableReason('debian');
  if (why) t.skip(why);
  await withKeepalivedLab(async (ka) => {
    const p = await pairLab(ka);
    ka.step('lab ready');
    await failover(p, 'debian', 'tsipvs');
    await failover(p, 'tsipvs', 'debian');
  });
}, 300_000);

vmTest("VRRP with the operator's MASTER and BACKUP files verbatim (state BAKCUP included): failover, notify, preemption", async () => {
  await withKeepalivedLab(async (ka) => {
    const p = await pairLab(ka);
    // each director sees its own /etc/keepalived (ip netns exec mounts /etc/netns/NS/keepalived there)
    const main = installOperatorFiles('master', `/etc/netns/${p.d1}/keepalived`);
    installOperatorFiles('backup', `/etc/netns/${p.d2}/keepalived`);
    const notified = writeFile(`${ka.dir}/backup-notify.log`, '');
    fs.writeFileSync(`/etc/netns/${p.d2}/keepalived/notify.sh`, `#!/bin/sh\necho "$1" >> ${notified}\n`, { mode: 0o755 });
    try {
      const m = ka.startDaemon('tsipvs', p.d1, main, [], undefined, 'both');
      const b = ka.startDaemon('tsipvs', p.d2, main, [], undefined, 'both');
      const daemons = [m, b];
      for (const [ns, daemon] of [[p.d1, m], [p.d2, b]] as const) await ka.waitForTable(ns, (t) => t.includes('10.0.0.20:80'), 60_000, 'running', daemon);
      await waitForMaster(p, p.d1, 30_000, "the operator's MASTER holds the VIP", daemons);
      assert.match(b.log, /unknown state 'BAKCUP', defaulting to BACKUP/);
      assert.deepEqual([...new Set(ka.lab.fetch(p.client, `http://${VIP}/`, 4))].sort(), ['rs1', 'rs2']);
      ka.step('operator: node1 MASTER, traffic through it; node2 read state BAKCUP as BACKUP');
      ka.sh(p.d1, 'ip link set eth0 down');
      const took = await waitForMaster(p, p.d2, DOWN_MS + SLACK_MS, "operator: link down, the BACKUP's VIP", daemons);
      assert.deepEqual([...new Set(ka.lab.fetch(p.client, `http://${VIP}/`, 4))].sort(), ['rs1', 'rs2']);
      ka.step(`operator: link down, node2 holds the VIP after ${took} ms and answers`);
      ka.sh(p.d1, 'ip link set eth0 up');
      await waitForMaster(p, p.d1, 8000 + SLACK_MS, 'operator: link up, node1 preempts', daemons);
      for (let waited = 0; fs.readFileSync(notified, 'utf8') !== 'backup\nmaster\nbackup\n'; waited += 200) {
        if (waited > 5000) throw new Error(`node2's notify.sh calls: ${JSON.stringify(fs.readFileSync(notified, 'utf8'))}`);
        await sleep(200);
      }
      ka.step('operator: node1 preempted; node2 ran notify.sh backup, master, backup');
      await Promise.all([m.stop(), b.stop()]);
    } finally {
      for (const ns of [p.d1, p.d2]) fs.rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
  });
}, 240_000);
