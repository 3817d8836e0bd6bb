/**
 * VRRP between two directors on one bridge, with real traffic: a client, directors d1 (MASTER, priority
 * 100) and d2 (BACKUP, 80) each running `tsipvs keepalived` (both halves: VRRP and the checkers of an
 * LVS-DR virtual server), two real servers. The VIP must be on exactly one director, move within the
 * RFC's bounds when the master's link goes down or it stops, and come back when the master returns
 * (preemption). A wrong auth_pass splits the pair (both MASTER), as keepalived does. Then the same
 * failover with Debian's keepalived on one side and tsipvs on the other, in both roles.
 */
import * as assert from 'node:assert/strict';
import { vmTest } from '../harness/guest';
import { sleep } from '../lab/lab';
import { unavailableReason, withKeepalivedLab, writeFile, type Daemon, type Implementation, type KeepalivedLab } from '../lab/keepalived-lab';

const VIP = '10.0.0.100';
/** TCG under load: margin on top of each RFC bound. */
const SLACK_MS = 2500;
/** Master_Down_Interval of the priority-80 backup: 3 × advert_int + (256 - 80) / 256 s. */
const DOWN_MS = 3000 + ((256 - 80) * 1000) / 256;

function config(state: 'MASTER' | 'BACKUP', priority: number, password = '1111'): string {
  return `global_defs {
    router_id ${state.toLowerCase()}
    vrrp_skip_check_adv_addr
    vrrp_mcast_group4 233.6.6.6
}
vrrp_instance VI_1 {
    state ${state}
    interface eth0
    virtual_router_id 50
    priority ${priority}
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass ${password}
    }
    virtual_ipaddress {
        ${VIP}/24 dev eth0 label eth0:1
    }
}
virtual_server ${VIP} 80 {
    delay_loop 1
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server 10.0.0.10 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 10.0.0.20 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
`;
}

interface Pair {
  readonly ka: KeepalivedLab;
  readonly d1: string;
  readonly d2: string;
  readonly client: string;
}

/** Client .50, directors .201 (d1) and .202 (d2), real servers .10 and .20 holding the VIP on lo. */
async function pairLab(ka: KeepalivedLab): Promise<Pair> {
  const { lab } = ka;
  const sw = lab.namespace('sw');
  const members: string[] = [];
  const attach = (role: string, port: string, address: string): string => {
    const ns = lab.namespace(role);
    lab.link(ns, 'eth0', sw, port);
    members.push(port);
    lab.ip(ns, `addr add ${address}/24 dev eth0`);
    return ns;
  };
  const client = attach('client', 'pc', '10.0.0.50');
  const d1 = attach('d1', 'p1', '10.0.0.201');
  const d2 = attach('d2', 'p2', '10.0.0.202');
  const servers = [attach('rs1', 'r1', '10.0.0.10'), attach('rs2', 'r2', '10.0.0.20')];
  for (const ns of servers) {
    ka.sh(ns, `for c in all lo; do echo 1 > /proc/sys/net/ipv4/conf/$c/arp_ignore; echo 2 > /proc/sys/net/ipv4/conf/$c/arp_announce; done\nip addr add ${VIP}/32 dev lo label lo:1`);
  }
  lab.bridge(sw, 'br0', members);
  // the client takes a new master's MAC from its gratuitous ARP
  ka.sh(client, 'echo 1 > /proc/sys/net/ipv4/conf/eth0/arp_accept');
  await Promise.all([ka.agent(servers[0]!, 'rs1', [80]), ka.agent(servers[1]!, 'rs2', [80])]);
  return { ka, d1, d2, client };
}

function holdsVip(ka: KeepalivedLab, ns: string): boolean {
  return ka.sh(ns, 'ip -4 -o addr show dev eth0').includes(` ${VIP}/24 `);
}

/** Waits until exactly `master` holds the VIP; returns how long it took. */
async function waitForMaster(p: Pair, master: string, deadlineMs: number, what: string, daemons: readonly Daemon[]): Promise<number> {
  const other = master === p.d1 ? p.d2 : p.d1;
  const started = Date.now();
  for (;;) {
    if (holdsVip(p.ka, master) && !holdsVip(p.ka, other)) return Date.now() - started;
    if (Date.now() - started > deadlineMs) {
      const logs = daemons.map((d) => `--- ${d.impl} ---\n${d.tail(15)}`).join('\n');
      throw new Error(`${what}: ${master} does not hold the VIP alone after ${deadlineMs} ms (d1 ${holdsVip(p.ka, p.d1)}, d2 ${holdsVip(p.ka, p.d2)})\n${logs}`);
    }
    await sleep(100);
  }
}

/** Requests every 200 ms from the client while `event` runs; returns the longest run without an answer, in ms. */
async function longestGap(p: Pair, durationMs: number, event: () => Promise<void>): Promise<number> {
  const count = Math.ceil(durationMs / 200);
  const answers = p.ka.lab.fetchInBackground(p.client, `http://${VIP}/`, count, { timeoutMs: 300, pauseMs: 200 });
  await event();
  const got = await answers;
  let longest = 0;
  let run = 0;
  for (const a of got) {
    run = a.startsWith('ERR') ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  assert.ok(got.some((a) => !a.startsWith('ERR')), `no answer at all: ${got.join(' ')}`);
  return longest * 500; // each failed request costs its 300 ms timeout and the 200 ms pause
}

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
    for (let waited = 0; !(holdsVip(ka, p.d1) && holdsVip(ka, p.d2)); waited += 200) {
      if (waited > DOWN_MS + 2 * SLACK_MS) throw new Error(`wrong auth_pass: both should be MASTER\n${a.tail(10)}\n${b.tail(10)}`);
      await sleep(200);
    }
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
