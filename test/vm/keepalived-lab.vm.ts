/**
 * keepalived's checker half with real traffic, for Debian's keepalived (the reference) and for
 * `tsipvs keepalived`: the same configs, the same events, the same expected tables (`ipvsadm -S -n`,
 * compared sorted) after each event, except where the two deliberately differ (docs/keepalived.md).
 * Each case builds its own namespaces (client, director, real servers on one bridge; LVS-DR as in the
 * operator's setup), so they need not run alone. Lab timings: delay_loop 1, connect_timeout 1, retry 1,
 * delay_before_retry 1 (the operator's file keeps its own).
 */
import * as assert from 'node:assert/strict';
import { vmTest, type VmTestContext } from '../harness/guest';
import { sleep, tally } from '../lab/lab';
import { installOperatorFiles } from '../lab/operator-files';
import { IMPLEMENTATIONS, sameTable, unavailableReason, withKeepalivedLab, writeFile, type DrTopology, type Implementation, type KeepalivedLab } from '../lab/keepalived-lab';

const CASE_TIMEOUT = 240_000;
/** TCG is slow and busy: margin on top of each computed bound. */
const SLACK_MS = 3000;
const VIP = '10.0.0.100';

/** delay_loop + (retry + 1) × (connect_timeout + delay_before_retry): the longest a failure may take to act on, in ms. */
const failureBound = (delayLoop: number, retry: number, connectTimeout: number, delayBeforeRetry: number) =>
  (delayLoop + (retry + 1) * (connectTimeout + delayBeforeRetry)) * 1000 + SLACK_MS;
const LAB_FAILURE_MS = failureBound(1, 1, 1, 1);
/** Up after one successful check, which comes within a delay_loop. */
const LAB_RECOVERY_MS = 1000 + SLACK_MS;

const svc = (port: number, sched = 'rr') => `-A -t ${VIP}:${port} -s ${sched}`;
const rs = (port: number, address: string, weight = 1) => `-a -t ${VIP}:${port} -r ${address}:${port} -g -w ${weight}`;
const sorry = (port: number) => `-a -t ${VIP}:${port} -r 127.0.0.1:80 -g -w 1`;
const table = (...lines: string[]) => lines.join('\n');

function implCase(title: string, body: (t: VmTestContext, impl: Implementation) => Promise<void>): void {
  for (const impl of IMPLEMENTATIONS) {
    vmTest(`${impl}: ${title}`, async (t) => {
      const why = unavailableReason(impl);
      if (why) t.skip(why);
      await body(t, impl);
    }, CASE_TIMEOUT);
  }
}

function httpGet(port: number, weight: number, extra = ''): string {
  return `    real_server REAL ${port} {
        weight ${weight}${extra}
        HTTP_GET {
            url {
              path /index.html
              status_code 200
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }`;
}

/** A virtual server with lab timings; `servers` are real_server blocks with REAL for the address. */
function virtualServer(port: number, options: string[], servers: Array<[string, string]>): string {
  return [
    `virtual_server ${VIP} ${port} {`,
    '    delay_loop 1',
    '    lb_algo rr',
    '    lb_kind DR',
    '    protocol TCP',
    ...options.map((o) => `    ${o}`),
    ...servers.map(([address, block]) => block.replace('REAL', address)),
    '}',
    '',
  ].join('\n');
}

const fetchNames = async (topo: DrTopology, count: number) => tally(await topo.clientAgent.fetch(`http://${VIP}/`, count));

implCase("failover, sorry server, recovery, reload of a weight, restart with an open connection, ipvsadm -d; the operator's keepalived.conf verbatim", (_t, impl) =>
  withKeepalivedLab(async (ka) => {
    const topo = await ka.drCluster();
    ka.step('cluster ready');
    const [rs1, rs2] = topo.servers as [(typeof topo.servers)[0], (typeof topo.servers)[0]];
    const config = (weight2: number) =>
      virtualServer(80, ['sorry_server 127.0.0.1 80'], [
        [rs1.address, httpGet(80, 1)],
        [rs2.address, httpGet(80, weight2)],
      ]);
    const file = writeFile(`${ka.dir}/failover.conf`, config(1));
    const both = table(svc(80), rs(80, rs1.address), rs(80, rs2.address));
    let daemon = ka.startDaemon(impl, topo.director, file);
    await ka.waitForTable(topo.director, both, 20_000, 'start: both real servers in', daemon);
    assert.deepEqual(await fetchNames(topo, 10), { rs1: 5, rs2: 5 });
    ka.step('started, traffic spread');

    // one HTTP server stops: it leaves within the bound, every request reaches the other
    await rs1.http.stop();
    const left = await ka.waitForTable(topo.director, table(svc(80), rs(80, rs2.address)), LAB_FAILURE_MS, 'rs1 stopped: rs1 leaves', daemon);
    process.stdout.write(`${impl}: rs1 left after ${left.ms} ms (bound ${LAB_FAILURE_MS} ms)\n`);
    assert.deepEqual(await fetchNames(topo, 6), { rs2: 6 });
    ka.step('rs1 out');

    // both stop: the sorry server answers
    await rs2.http.stop();
    await ka.waitForTable(topo.director, table(svc(80), sorry(80)), LAB_FAILURE_MS, 'both stopped: sorry server in', daemon);
    assert.deepEqual(await fetchNames(topo, 4), { sorry: 4 });
    ka.step('sorry in');

    // both start again: they come back, the sorry server leaves
    await rs1.http.start();
    await rs2.http.start();
    await ka.waitForTable(topo.director, both, LAB_RECOVERY_MS, 'both started: back, sorry server out', daemon);
    assert.deepEqual(await fetchNames(topo, 4), { rs1: 2, rs2: 2 });
    ka.step('both back');

    // SIGHUP with rs2's weight changed: only that weight changes
    writeFile(file, config(2));
    daemon.reload();
    const reloaded = table(svc(80), rs(80, rs1.address), rs(80, rs2.address, 2));
    await ka.waitForTable(topo.director, reloaded, 5000, 'SIGHUP: rs2 weight 2', daemon);
    ka.step('reloaded');

    // a connection held open across a restart of the daemon still reaches its server
    const held = ka.hold(topo.client, `http://${VIP}`);
    const first = await held.first;
    assert.ok(first === 'rs1' || first === 'rs2', `held connection answered by ${first}`);
    const stopped = await daemon.stop();
    const afterStop = ka.table(topo.director);
    process.stdout.write(`${impl}: SIGTERM: exit ${stopped.code ?? stopped.signal}, table after:\n${afterStop}`);
    if (impl === 'debian') assert.equal(afterStop.trim(), '', 'keepalived removes its services on SIGTERM');
    else assert.ok(sameTable(afterStop, reloaded), 'tsipvs leaves the table as it is on SIGTERM');
    daemon = ka.startDaemon(impl, topo.director, file);
    await ka.waitForTable(topo.director, reloaded, 10_000, 'restarted: same table', daemon);
    // the table is the one left behind: wait until the new daemon runs before changing it by hand
    if (impl === 'tsipvs') await daemon.waitForLog(/running: status on/, 30_000);
    assert.equal(await held.finish(), 'done', `the connection held open to ${first} did not survive the restart`);
    ka.step('restarted, held connection done');

    // a real server deleted by hand: tsipvs repairs it within a loop, keepalived never reads the table back
    const removed = ka.lab.exec(topo.director, 'ipvsadm', ['-d', '-t', `${VIP}:80`, '-r', `${rs1.address}:80`]);
    assert.equal(removed.status, 0, removed.stderr);
    if (impl === 'tsipvs') await ka.waitForTable(topo.director, reloaded, LAB_RECOVERY_MS, 'ipvsadm -d: repaired', daemon);
    else {
      await sleep(3000);
      assert.equal(ka.table(topo.director).includes(`${rs1.address}:80`), false, 'keepalived put back a server deleted by hand');
    }
    ka.step('ipvsadm -d');
    await daemon.stop();
    await operatorConfig(ka, topo, impl);
    ka.step('done');
    process.stdout.write(await ka.logs());
  }));

implCase('inhibit_on_failure, quorum with hysteresis, MISC_CHECK misc_dynamic', (_t, impl) =>
  withKeepalivedLab(async (ka) => {
    const topo = await ka.drCluster(['10.0.0.10', '10.0.0.20', '10.0.0.30'], [80, 81]);
    ka.step('cluster ready');
    const [a, b, c] = topo.servers.map((s) => s.address) as [string, string, string];
    const [rs1, rs2, rs3] = topo.servers as [(typeof topo.servers)[0], (typeof topo.servers)[0], (typeof topo.servers)[0]];
    // MISC_CHECK: the script exits with the code written in misc-<address>
    const script = writeFile(`${ka.dir}/misc.sh`, `#!/bin/sh\nexit $(cat ${ka.dir}/misc-$1)\n`);
    ka.sh(topo.director, `chmod 755 ${script}`);
    const misc = (address: string, code: number) => writeFile(`${ka.dir}/misc-${address}`, `${code}\n`);
    misc(a, 0);
    misc(b, 0);
    const tcp = `    real_server REAL 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }`;
    const miscBlock = `    real_server REAL 82 {
        weight 1
        MISC_CHECK {
            misc_path "${script} REAL"
            misc_timeout 2
            misc_dynamic
        }
    }`;
    const file = writeFile(
      `${ka.dir}/mixed.conf`,
      virtualServer(80, ['quorum 2', 'hysteresis 1', 'sorry_server 127.0.0.1 80'], [[a, tcp], [b, tcp], [c, tcp]]) +
        virtualServer(81, [], [[a, httpGet(81, 1, '\n        inhibit_on_failure')], [b, httpGet(81, 1, '\n        inhibit_on_failure')]]) +
        virtualServer(82, [], [[a, miscBlock.replaceAll('REAL', a)], [b, miscBlock.replaceAll('REAL', b)]]),
    );
    const vs80 = (...lines: string[]) => [svc(80), ...lines];
    const vs81 = (wa: number, wb: number) => [svc(81), rs(81, a, wa), rs(81, b, wb)];
    const vs82 = (...lines: string[]) => [svc(82), ...lines];
    const all3 = vs80(rs(80, a), rs(80, b), rs(80, c));
    const daemon = ka.startDaemon(impl, topo.director, file);
    await ka.waitForTable(topo.director, table(...all3, ...vs81(1, 1), ...vs82(rs(82, a), rs(82, b))), 20_000, 'start: all in', daemon);
    ka.step('started');

    // misc_dynamic: exit 5 → weight 3, exit 1 → down; inhibit_on_failure: weight 0 instead of removal;
    // quorum 2 hysteresis 1: two of three down leaves weight 1, not below quorum - hysteresis = 1
    misc(a, 5);
    misc(b, 1);
    await rs1.http.stop(81);
    await rs1.http.stop(80);
    await rs2.http.stop(80);
    const quorumKept = table(...vs80(rs(80, c)), ...vs81(0, 1), ...vs82(rs(82, a, 3)));
    await ka.waitForTable(topo.director, quorumKept, LAB_FAILURE_MS, 'misc 5/1, rs1:81 inhibited, two of three down: quorum kept', daemon);
    assert.deepEqual(await fetchNames(topo, 3), { rs3: 3 });
    ka.step('quorum kept');

    // the last one down: quorum lost (0 < 1), the sorry server answers
    await rs3.http.stop(80);
    const quorumLost = table(...vs80(sorry(80)), ...vs81(0, 1), ...vs82(rs(82, a, 3)));
    await ka.waitForTable(topo.director, quorumLost, LAB_FAILURE_MS, 'all down: quorum lost, sorry server in', daemon);
    assert.deepEqual(await fetchNames(topo, 2), { sorry: 2 });
    ka.step('quorum lost');

    // two back: weight 2 < quorum + hysteresis = 3, still lost; inhibited rs1:81 back at weight 1; misc exit 12 → weight 10, exit 0 → up
    await rs1.http.start(80);
    await rs2.http.start(80);
    await rs1.http.start(81);
    misc(a, 12);
    misc(b, 0);
    await ka.waitForTable(topo.director, table(...vs80(sorry(80)), ...vs81(1, 1), ...vs82(rs(82, a, 10), rs(82, b))), LAB_RECOVERY_MS + 1000, 'two back: quorum still lost', daemon);
    await sleep(2000); // two more loops: the two servers are up by now, the quorum must still be lost
    assert.equal(
      ka.table(topo.director).includes(`-r ${a}:80 `) || ka.table(topo.director).includes(`-r ${b}:80 `),
      false,
      `quorum regained below quorum + hysteresis:\n${ka.table(topo.director)}`,
    );

    ka.step('quorum still lost with two');
    // the third back: weight 3 regains the quorum, all in, the sorry server out
    await rs3.http.start(80);
    await ka.waitForTable(topo.director, table(...all3, ...vs81(1, 1), ...vs82(rs(82, a, 10), rs(82, b))), LAB_RECOVERY_MS, 'all back: quorum regained', daemon);
    assert.deepEqual(await fetchNames(topo, 3), { rs1: 1, rs2: 1, rs3: 1 });
    ka.step('done');
    process.stdout.write(await ka.logs());
  }));

/**
 * The operator's files at their paths, on the same cluster, from an empty table: both real servers in
 * at start, one failure removes it within its own bound (delay_loop 3, nb_get_retry 3).
 */
async function operatorConfig(ka: KeepalivedLab, topo: DrTopology, impl: Implementation): Promise<void> {
  ka.lab.exec(topo.director, 'ipvsadm', ['-C']);
  // the MASTER's files, byte for byte, for both implementations (and for any case running beside this one)
  const main = installOperatorFiles('master');
  const both = table(svc(80), rs(80, '10.0.0.10'), rs(80, '10.0.0.20'));
  const daemon = ka.startDaemon(impl, topo.director, main);
  await ka.waitForTable(topo.director, both, 20_000, "operator's config: both real servers in", daemon);
  assert.deepEqual(await fetchNames(topo, 4), { rs1: 2, rs2: 2 });
  await topo.servers[1]!.http.stop();
  const bound = failureBound(3, 3, 1, 1);
  const left = await ka.waitForTable(topo.director, table(svc(80), rs(80, '10.0.0.10')), bound, "operator's config: rs2 stopped, rs2 leaves", daemon);
  process.stdout.write(`${impl}: operator's config: rs2 left after ${left.ms} ms (bound ${bound} ms)\n`);
  assert.deepEqual(await fetchNames(topo, 4), { rs1: 4 });
}
