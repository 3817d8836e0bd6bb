/**
 * VRRP features on two directors (test/lab/vrrp-lab.ts), tsipvs keepalived on both:
 * - nopreempt: the returning higher-priority director stays BACKUP;
 * - a vrrp_script that starts failing lowers the priority (weight -30) and hands the VIP over, and
 *   back when it passes again; the notify script sees every transition with keepalived's arguments;
 * - a wrong VRID: each ignores the other (counted), both MASTER;
 * - lvs_sync_daemon: a TCP connection opened through the MASTER keeps working after the failover,
 *   because the BACKUP's kernel learned it from the sync daemon; the BACKUP's metrics show its state and
 *   transitions.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { vmTest } from '../harness/guest';
import { sleep } from '../lab/lab';
import { withKeepalivedLab, writeFile } from '../lab/keepalived-lab';
import { holdsVip, instanceStatus, masterDownMs, pairLab, SLACK_MS, staysMaster, VIP, vrrpConfig, waitForMaster, waitForSplit } from '../lab/vrrp-lab';

const DOWN_MS = masterDownMs(80);
/** A node daemon's start under TCG on a loaded host (not a bound under test). */
const START_MS = 60_000;

vmTest('VRRP features: nopreempt, a failing vrrp_script with notify, a wrong VRID (tsipvs on both directors)', async () => {
  await withKeepalivedLab(async (ka) => {
    const p = await pairLab(ka);
    ka.step('lab ready');

    // nopreempt: d1 (100) starts alone and becomes MASTER; d2 (80) joins as BACKUP
    const np1 = ka.startDaemon('tsipvs', p.d1, writeFile(`${ka.dir}/np1.conf`, vrrpConfig({ state: 'BACKUP', priority: 100, nopreempt: true, noVirtualServer: true })), [], undefined, 'vrrp');
    await waitForMaster(p, p.d1, START_MS, 'nopreempt: d1 alone becomes MASTER', [np1]);
    const np2 = ka.startDaemon('tsipvs', p.d2, writeFile(`${ka.dir}/np2.conf`, vrrpConfig({ state: 'BACKUP', priority: 80, noVirtualServer: true })), [], undefined, 'vrrp');
    await np2.waitForLog(/Entering BACKUP STATE/, START_MS);
    ka.sh(p.d1, 'ip link set eth0 down');
    await waitForMaster(p, p.d2, DOWN_MS + SLACK_MS, 'nopreempt: link down, d2 takes over', [np1, np2]);
    ka.sh(p.d1, 'ip link set eth0 up');
    await np1.waitForLog(/Entering FAULT STATE[\s\S]*Entering BACKUP STATE/, 10_000);
    // d1 is back with the higher priority and stays BACKUP: longer than its master-down interval
    await staysMaster(p, p.d2, masterDownMs(100) + SLACK_MS, 'nopreempt: d1 must not take the VIP back');
    const np1Status = instanceStatus(np1);
    assert.equal(np1Status.state, 'BACKUP');
    assert.equal(np1Status.effectivePriority, 100);
    ka.step('nopreempt: d1 back with priority 100, d2 keeps the VIP');
    await Promise.all([np1.stop(), np2.stop()]);

    // a vrrp_script that starts failing: 100 - 30 = 70 < 80, d2 takes over; passing again, d1 preempts
    const failFlag = `${ka.dir}/check-fails`;
    const notify = writeFile(`${ka.dir}/notify.sh`, `#!/bin/sh\necho "$*" >> ${ka.dir}/notify.log\n`);
    fs.chmodSync(notify, 0o755);
    const s1 = ka.startDaemon('tsipvs', p.d1, writeFile(`${ka.dir}/s1.conf`, vrrpConfig({ state: 'MASTER', priority: 100, failWhile: failFlag, notify, noVirtualServer: true })), [], undefined, 'vrrp');
    const s2 = ka.startDaemon('tsipvs', p.d2, writeFile(`${ka.dir}/s2.conf`, vrrpConfig({ state: 'BACKUP', priority: 80, noVirtualServer: true })), [], undefined, 'vrrp');
    await s2.waitForLog(/Entering BACKUP STATE/, START_MS);
    await waitForMaster(p, p.d1, START_MS, 'script: d1 MASTER at start', [s1, s2]);
    fs.writeFileSync(failFlag, '');
    // fall 2 at interval 1, then d2's master-down interval (it ignores adverts of priority 70 < 80)
    const handed = await waitForMaster(p, p.d2, 2000 + DOWN_MS + SLACK_MS, 'script failing: d2 takes over', [s1, s2]);
    assert.equal(instanceStatus(s1).effectivePriority, 70);
    ka.step(`script failing: d1 at priority 70, d2 holds the VIP after ${handed} ms`);
    fs.rmSync(failFlag);
    const back = await waitForMaster(p, p.d1, 2000 + 3000 + SLACK_MS, 'script passing again: d1 preempts', [s1, s2]);
    assert.equal(instanceStatus(s1).effectivePriority, 100);
    ka.step(`script passing: d1 back at 100 and MASTER after ${back} ms`);
    await s1.stop();
    await waitForMaster(p, p.d2, 1000 + SLACK_MS, 'SIGTERM: d2 takes over', [s1, s2]);
    await s2.stop();
    // the notify script ran for every transition of d1, with keepalived's arguments
    await sleep(500);
    const notified = fs.readFileSync(`${ka.dir}/notify.log`, 'utf8').trim().split('\n');
    const expected = ['INSTANCE VI_1 MASTER 100', 'INSTANCE VI_1 BACKUP 70', 'INSTANCE VI_1 MASTER 100'];
    let at = 0;
    for (const line of notified) if (line === expected[at]) at++;
    assert.equal(at, expected.length, `notify lines lack ${expected.slice(at).join(', ')} in this order:\n${notified.join('\n')}`);
    ka.step(`notify: ${notified.join(' | ')}`);

    // a wrong VRID: neither sees its virtual router's adverts, both become MASTER (counted as vrid drops)
    const v1 = ka.startDaemon('tsipvs', p.d1, writeFile(`${ka.dir}/v1.conf`, vrrpConfig({ state: 'MASTER', priority: 100, noVirtualServer: true })), [], undefined, 'vrrp');
    const v2 = ka.startDaemon('tsipvs', p.d2, writeFile(`${ka.dir}/v2.conf`, vrrpConfig({ state: 'BACKUP', priority: 80, vrid: 51, noVirtualServer: true })), [], undefined, 'vrrp');
    await waitForSplit(p, START_MS, 'wrong VRID', [v1, v2]);
    assert.ok((instanceStatus(v2).dropped.vrid ?? 0) > 0, 'd2 counted no advert of another VRID');
    ka.step('wrong VRID: both MASTER, adverts of the other VRID counted');
    await Promise.all([v1.stop(), v2.stop()]);
  });
}, 240_000);

vmTest('VRRP lvs_sync_daemon: a connection opened through the MASTER survives the failover', async () => {
  await withKeepalivedLab(async (ka) => {
    const p = await pairLab(ka);
    ka.step('lab ready');
    const m = ka.startDaemon('tsipvs', p.d1, writeFile(`${ka.dir}/m.conf`, vrrpConfig({ state: 'MASTER', priority: 100, syncDaemon: true })), [], undefined, 'both');
    const b = ka.startDaemon('tsipvs', p.d2, writeFile(`${ka.dir}/b.conf`, vrrpConfig({ state: 'BACKUP', priority: 80, syncDaemon: true })), ['--metrics-listen', '127.0.0.1:9165'], undefined, 'both');
    const daemons = [m, b];
    /** d2's VRRP metrics, scraped inside its namespace. */
    const vrrpMetrics = () => {
      const scrape = ka.lab.exec(p.d2, process.execPath, ['-e', "require('http').get('http://127.0.0.1:9165/metrics', (r) => r.pipe(process.stdout))"]);
      return scrape.stdout.split('\n').filter((line) => line.startsWith('ipvs_vrrp_state{') || line.startsWith('ipvs_vrrp_transitions_total{'));
    };
    for (const [ns, daemon] of [[p.d1, m], [p.d2, b]] as const) await ka.waitForTable(ns, (t) => t.includes('10.0.0.20:80'), START_MS, 'running', daemon);
    await waitForMaster(p, p.d1, START_MS, 'd1 MASTER at start', daemons);
    const daemonsOf = (ns: string) => ka.lab.exec(ns, 'ipvsadm', ['-L', '--daemon']).stdout;
    for (let waited = 0; !(daemonsOf(p.d1).includes('master sync daemon') && daemonsOf(p.d2).includes('backup sync daemon')); waited += 250) {
      if (waited > 10_000) throw new Error(`sync daemons: d1 ${JSON.stringify(daemonsOf(p.d1))}, d2 ${JSON.stringify(daemonsOf(p.d2))}`);
      await sleep(250);
    }
    ka.step('d1 MASTER with the master sync daemon, d2 with the backup one');
    assert.ok(vrrpMetrics().includes('ipvs_vrrp_state{instance="VI_1"} 1'), `d2's metrics: ${vrrpMetrics().join(' ')}`);

    // a connection through d1, held open; d2's kernel learns it from the sync daemon
    const held = ka.hold(p.client, `http://${VIP}`);
    const first = await held.first;
    assert.ok(first === 'rs1' || first === 'rs2', `held connection answered by ${first}`);
    const synced = () => ka.lab.exec(p.d2, 'ipvsadm', ['-L', '-n', '-c']).stdout;
    for (let waited = 0; !synced().includes('10.0.0.50:'); waited += 250) {
      if (waited > 10_000) throw new Error(`d2 never learned the connection:\n${synced()}`);
      await sleep(250);
    }
    ka.step(`connection to ${first} through d1, known on d2: ${synced().split('\n').find((l) => l.includes('10.0.0.50:'))?.trim()}`);

    // failover: the client's next segment reaches d2, which forwards it to the same real server
    ka.sh(p.d1, 'ip link set eth0 down');
    const took = await waitForMaster(p, p.d2, 15_000, "link down: d2 takes over (the bound is the failover case's)", daemons);
    for (let waited = 0; !daemonsOf(p.d2).includes('master sync daemon'); waited += 250) {
      if (waited > 5000) throw new Error(`d2 did not switch its sync daemon to master: ${daemonsOf(p.d2)}`);
      await sleep(250);
    }
    assert.equal(holdsVip(ka, p.d1), false);
    const after = vrrpMetrics();
    for (const line of ['ipvs_vrrp_state{instance="VI_1"} 2', 'ipvs_vrrp_transitions_total{instance="VI_1",state="MASTER"} 1', 'ipvs_vrrp_transitions_total{instance="VI_1",state="BACKUP"} 1']) {
      assert.ok(after.includes(line), `d2's metrics lack ${line}: ${after.join(' ')}`);
    }
    assert.equal(await held.finish(), 'done', `the connection to ${first} did not survive the failover`);
    ka.step(`failover: d2 MASTER after ${took} ms with the master sync daemon, the held connection finished through it`);
    ka.sh(p.d1, 'ip link set eth0 up');
    await Promise.all([m.stop(), b.stop()]);
  });
}, 180_000);
