/**
 * Two directors and one VIP, in the VM: a client (.50), directors d1 (.201) and d2 (.202) and two real
 * servers (.10 and .20, the VIP on lo, DR) on one bridge, each director running a keepalived
 * implementation with a VRRP instance for the VIP and an LVS-DR virtual server. Shared by the VRRP VM
 * cases (test/vm/vrrp*.vm.ts) and the failover benchmark (test/bench/vrrp-bench.ts).
 */
import { spawnSync } from 'node:child_process';
import { TSIPVS_BIN } from '../harness/guest';
import { sleep } from './lab';
import type { Daemon, KeepalivedLab } from './keepalived-lab';

export const VIP = '10.0.0.100';
/** TCG under load: margin on top of each RFC bound. */
export const SLACK_MS = 2500;

/** Master_Down_Interval of a backup of `priority` with advert_int 1: 3 × advert_int + skew. */
export function masterDownMs(priority: number): number {
  return 3000 + ((256 - priority) * 1000) / 256;
}

export interface InstanceOptions {
  readonly state: 'MASTER' | 'BACKUP';
  readonly priority: number;
  readonly password?: string;
  readonly vrid?: number;
  readonly version?: 2 | 3;
  readonly nopreempt?: boolean;
  /** A vrrp_script `check` that fails while this file exists (interval 1, fall 2, rise 2, weight -30). */
  readonly failWhile?: string;
  /** `lvs_sync_daemon eth0 VI_1`: the IPVS sync daemon follows the instance. */
  readonly syncDaemon?: boolean;
  /** A `notify` script (keepalived's arguments: TYPE NAME STATE PRIORITY). */
  readonly notify?: string;
  /** Leave the virtual_server block out (VRRP only). */
  readonly noVirtualServer?: boolean;
}

/** One director's keepalived.conf: the operator's VRRP instance plus the DR virtual server. */
export function vrrpConfig(o: InstanceOptions): string {
  const script = o.failWhile
    ? `vrrp_script check {
    script "/bin/sh -c 'test ! -e ${o.failWhile}'"
    interval 1
    weight -30
    fall 2
    rise 2
    timeout 2
}
`
    : '';
  const virtualServer = o.noVirtualServer
    ? ''
    : `virtual_server ${VIP} 80 {
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
  return `global_defs {
    router_id ${o.state.toLowerCase()}${o.priority}
    vrrp_skip_check_adv_addr
    vrrp_mcast_group4 233.6.6.6
${o.version === 3 ? '    vrrp_version 3\n' : ''}${o.syncDaemon ? '    lvs_sync_daemon eth0 VI_1\n' : ''}}
${script}vrrp_instance VI_1 {
    state ${o.state}
    interface eth0
    virtual_router_id ${o.vrid ?? 50}
    priority ${o.priority}
    advert_int 1
${o.nopreempt ? '    nopreempt\n' : ''}${
    o.version === 3
      ? ''
      : `    authentication {
        auth_type PASS
        auth_pass ${o.password ?? '1111'}
    }
`
  }    virtual_ipaddress {
        ${VIP}/24 dev eth0 label eth0:1
    }
${o.failWhile ? '    track_script {\n        check\n    }\n' : ''}${o.notify ? `    notify ${o.notify}\n` : ''}}
${virtualServer}`;
}

export interface Pair {
  readonly ka: KeepalivedLab;
  readonly d1: string;
  readonly d2: string;
  readonly client: string;
}

/** Client .50, directors .201 (d1) and .202 (d2), real servers .10 and .20 holding the VIP on lo. */
export async function pairLab(ka: KeepalivedLab): Promise<Pair> {
  const { lab } = ka;
  const sw = lab.namespace('sw');
  const segment = lab.segment(sw);
  const attach = (role: string, port: string, address: string): string => {
    const ns = lab.namespace(role);
    segment.attach(ns, port, address);
    return ns;
  };
  const client = attach('client', 'pc', '10.0.0.50');
  const d1 = attach('d1', 'p1', '10.0.0.201');
  const d2 = attach('d2', 'p2', '10.0.0.202');
  const servers = [attach('rs1', 'r1', '10.0.0.10'), attach('rs2', 'r2', '10.0.0.20')];
  for (const ns of servers) {
    ka.sh(ns, `for c in all lo; do echo 1 > /proc/sys/net/ipv4/conf/$c/arp_ignore; echo 2 > /proc/sys/net/ipv4/conf/$c/arp_announce; done\nip addr add ${VIP}/32 dev lo label lo:1`);
  }
  segment.bridge();
  // every port sees every advert (a capture on the client's link too), whatever IGMP said
  lab.ip(sw, 'link set br0 type bridge mcast_snooping 0');
  // the client takes a new master's MAC from its gratuitous ARP
  ka.sh(client, 'echo 1 > /proc/sys/net/ipv4/conf/eth0/arp_accept');
  await Promise.all([ka.agent(servers[0]!, 'rs1', [80]), ka.agent(servers[1]!, 'rs2', [80])]);
  return { ka, d1, d2, client };
}

export function holdsVip(ka: KeepalivedLab, ns: string): boolean {
  return ka.sh(ns, 'ip -4 -o addr show dev eth0').includes(` ${VIP}/24 `);
}

/** Waits until exactly `master` holds the VIP; returns how long it took. */
export async function waitForMaster(p: Pair, master: string, deadlineMs: number, what: string, daemons: readonly Daemon[], pollMs = 100): Promise<number> {
  const other = master === p.d1 ? p.d2 : p.d1;
  const started = Date.now();
  for (;;) {
    if (holdsVip(p.ka, master) && !holdsVip(p.ka, other)) return Date.now() - started;
    if (Date.now() - started > deadlineMs) {
      const logs = daemons.map((d) => `--- ${d.impl} ---\n${d.tail(15)}`).join('\n');
      throw new Error(`${what}: ${master} does not hold the VIP alone after ${deadlineMs} ms (d1 ${holdsVip(p.ka, p.d1)}, d2 ${holdsVip(p.ka, p.d2)})\n${logs}`);
    }
    await sleep(pollMs);
  }
}

/** Waits until both directors hold the VIP (a split pair: each ignores the other's adverts). */
export async function waitForSplit(p: Pair, deadlineMs: number, what: string, daemons: readonly Daemon[]): Promise<void> {
  for (let waited = 0; !(holdsVip(p.ka, p.d1) && holdsVip(p.ka, p.d2)); waited += 200) {
    if (waited > deadlineMs) throw new Error(`${what}: both should be MASTER\n${daemons.map((d) => d.tail(10)).join('\n')}`);
    await sleep(200);
  }
}

/** Asserts that `master` keeps the VIP alone for `ms` (no takeover by the other director). */
export async function staysMaster(p: Pair, master: string, ms: number, what: string): Promise<void> {
  const other = master === p.d1 ? p.d2 : p.d1;
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (!holdsVip(p.ka, master) || holdsVip(p.ka, other)) throw new Error(`${what}: the VIP moved (d1 ${holdsVip(p.ka, p.d1)}, d2 ${holdsVip(p.ka, p.d2)})`);
    await sleep(250);
  }
}

/** Requests every 200 ms from the client while `event` runs; the longest run without an answer, in ms. */
export async function longestGap(p: Pair, durationMs: number, event: () => Promise<void>): Promise<number> {
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
  if (!got.some((a) => !a.startsWith('ERR'))) throw new Error(`no answer at all: ${got.join(' ')}`);
  return longest * 500; // each failed request costs its 300 ms timeout and the 200 ms pause
}

/** What `tsipvs keepalived status --json` says about one VRRP instance of a tsipvs daemon. */
export interface InstanceReport {
  readonly state: string;
  readonly configuredPriority: number;
  readonly effectivePriority: number;
  readonly dropped: Record<string, number>;
  readonly transitions: ReadonlyArray<{ readonly from: string; readonly to: string }>;
}

export function instanceStatus(daemon: Daemon, name = 'VI_1'): InstanceReport {
  if (!daemon.statusSocket) throw new Error(`${daemon.impl} has no status socket`);
  const r = spawnSync(process.execPath, [TSIPVS_BIN, 'keepalived', 'status', '--json', '--status-socket', daemon.statusSocket], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`keepalived status: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { vrrp?: { instances: Array<InstanceReport & { name: string }> } };
  const instance = doc.vrrp?.instances.find((i) => i.name === name);
  if (!instance) throw new Error(`no instance ${name} in ${r.stdout}`);
  return instance;
}
