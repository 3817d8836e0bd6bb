/**
 * The classic LVS clusters with real traffic, configured only by tsipvs (IPVS table and the
 * director / real-server presets). Each case builds its own namespaces and asserts who answered
 * every request and that the IPVS counters agree with what the client sent.
 */
import * as assert from 'node:assert/strict';
import { vmTest } from '../harness/guest';
import { Lab, sleep, tally } from '../lab/lab';
import { parseStats } from '../lab/stats';
import { natNetworks, sharedSegment, type Topology } from '../lab/topologies';

const LAB_TIMEOUT = 240_000;

async function withLab(body: (lab: Lab) => Promise<void>): Promise<void> {
  const lab = new Lab();
  try {
    await body(lab);
  } finally {
    lab.destroy();
  }
}

/** The IPVS estimator publishes counters every 2 s. */
async function statsAfterEstimator(topo: Topology): Promise<ReturnType<typeof parseStats>> {
  await sleep(3000);
  return parseStats(topo.lab.mustTsipvs(topo.director, ['-Ln', '--stats', '--exact']));
}

/** Real servers of a DR/TUN/FWM cluster: VIP on lo (or tunl0) and the ARP settings, by tsipvs. */
function realServerSetup(topo: Topology, mode: 'dr' | 'tun'): void {
  for (const rs of topo.servers) topo.lab.mustTsipvs(rs.ns, ['realserver', 'setup', '--mode', mode, '--vip', topo.vip]);
}

function directorSetup(topo: Topology, mode: 'nat' | 'dr' | 'tun'): void {
  topo.lab.mustTsipvs(topo.director, ['director', 'setup', '--mode', mode, '--dev', topo.directorDev, '--vip', topo.vip]);
}

async function startServers(topo: Topology, ports: readonly number[]): Promise<void> {
  for (const rs of topo.servers) await topo.lab.httpServer(rs.ns, rs.name, ports);
}

/** Builds a DR cluster with `count` real servers behind VIP:80 using the given service options. */
async function drCluster(lab: Lab, count: number, serviceOptions: string[]): Promise<Topology> {
  const topo = sharedSegment(lab, count);
  directorSetup(topo, 'dr');
  realServerSetup(topo, 'dr');
  await startServers(topo, [80]);
  lab.mustTsipvs(topo.director, ['-A', '-t', `${topo.vip}:80`, ...serviceOptions]);
  return topo;
}

vmTest('DR: rr alternates between the real servers and the counters match the requests', () =>
  withLab(async (lab) => {
    const topo = await drCluster(lab, 2, ['-s', 'rr']);
    for (const rs of topo.servers) lab.mustTsipvs(topo.director, ['-a', '-t', `${topo.vip}:80`, '-r', rs.address, '-g']);
    const answers = lab.fetch(topo.client, `http://${topo.vip}/`, 10);
    assert.equal(answers.length, 10);
    for (let i = 0; i < answers.length; i++) assert.notEqual(answers[i], answers[i + 1] ?? '', `request ${i + 1} and ${i + 2} hit the same server: ${answers}`);
    assert.deepEqual(tally(answers), { rs1: 5, rs2: 5 });
    const stats = await statsAfterEstimator(topo);
    const svc = stats.services.get(`TCP ${topo.vip}:80`);
    assert.ok(svc, lab.mustTsipvs(topo.director, ['-Ln', '--stats']));
    assert.equal(svc.conns, 10);
    // SYN, ACK, request, ACK of the reply, FIN, ACK: at least 5 incoming packets per request in DR
    assert.ok(svc.inPkts >= 50, `packets in ${svc.inPkts}`);
    assert.equal(svc.outPkts, 0, 'DR replies bypass the director');
    for (const rs of topo.servers) assert.equal(stats.servers.get(`TCP ${topo.vip}:80 -> ${rs.address}:80`)?.conns, 5);
  }), LAB_TIMEOUT);

vmTest('NAT: VIP:80 maps to RIP:8080 through the director, replies come back through it', () =>
  withLab(async (lab) => {
    const topo = natNetworks(lab, 3);
    directorSetup(topo, 'nat');
    await startServers(topo, [8080]);
    lab.mustTsipvs(topo.director, ['-A', '-t', `${topo.vip}:80`, '-s', 'rr']);
    for (const rs of topo.servers) lab.mustTsipvs(topo.director, ['-a', '-t', `${topo.vip}:80`, '-r', `${rs.address}:8080`, '-m']);
    const answers = lab.fetch(topo.client, `http://${topo.vip}/`, 9);
    assert.deepEqual(tally(answers), { rs1: 3, rs2: 3, rs3: 3 });
    const stats = await statsAfterEstimator(topo);
    const svc = stats.services.get(`TCP ${topo.vip}:80`);
    assert.equal(svc?.conns, 9);
    assert.ok((svc?.inPkts ?? 0) >= 45 && (svc?.outPkts ?? 0) >= 27, JSON.stringify(svc));
    for (const rs of topo.servers) assert.equal(stats.servers.get(`TCP ${topo.vip}:80 -> ${rs.address}:8080`)?.conns, 3);
  }), LAB_TIMEOUT);

vmTest('TUN: IPIP to real servers holding the VIP on tunl0', () =>
  withLab(async (lab) => {
    const topo = sharedSegment(lab, 2);
    directorSetup(topo, 'tun');
    realServerSetup(topo, 'tun');
    await startServers(topo, [80]);
    lab.mustTsipvs(topo.director, ['-A', '-t', `${topo.vip}:80`, '-s', 'rr']);
    for (const rs of topo.servers) lab.mustTsipvs(topo.director, ['-a', '-t', `${topo.vip}:80`, '-r', rs.address, '-i']);
    const answers = lab.fetch(topo.client, `http://${topo.vip}/`, 6);
    assert.deepEqual(tally(answers), { rs1: 3, rs2: 3 });
    const stats = await statsAfterEstimator(topo);
    assert.equal(stats.services.get(`TCP ${topo.vip}:80`)?.conns, 6);
  }), LAB_TIMEOUT);

vmTest('FWM: one firewall-mark service groups ports 80 and 443', () =>
  withLab(async (lab) => {
    const topo = sharedSegment(lab, 2);
    directorSetup(topo, 'dr');
    realServerSetup(topo, 'dr');
    await startServers(topo, [80, 443]);
    const mark = lab.exec(topo.director, 'iptables', ['-t', 'mangle', '-A', 'PREROUTING', '-d', `${topo.vip}/32`, '-p', 'tcp', '-m', 'multiport', '--dports', '80,443', '-j', 'MARK', '--set-mark', '1']);
    assert.equal(mark.status, 0, mark.stderr);
    lab.mustTsipvs(topo.director, ['-A', '-f', '1', '-s', 'rr']);
    for (const rs of topo.servers) lab.mustTsipvs(topo.director, ['-a', '-f', '1', '-r', rs.address, '-g']);
    const http = lab.fetch(topo.client, `http://${topo.vip}:80/`, 4);
    const https = lab.fetch(topo.client, `http://${topo.vip}:443/`, 4);
    assert.deepEqual(tally([...http, ...https]), { rs1: 4, rs2: 4 });
    const stats = await statsAfterEstimator(topo);
    assert.equal(stats.services.get('FWM 1')?.conns, 8);
  }), LAB_TIMEOUT);

vmTest('wrr with weights 3:1 gives 3:1', () =>
  withLab(async (lab) => {
    const topo = await drCluster(lab, 2, ['-s', 'wrr']);
    const [rs1, rs2] = topo.servers as [typeof topo.servers[0], typeof topo.servers[0]];
    lab.mustTsipvs(topo.director, ['-a', '-t', `${topo.vip}:80`, '-r', rs1.address, '-g', '-w', '3']);
    lab.mustTsipvs(topo.director, ['-a', '-t', `${topo.vip}:80`, '-r', rs2.address, '-g', '-w', '1']);
    assert.deepEqual(tally(lab.fetch(topo.client, `http://${topo.vip}/`, 12)), { rs1: 9, rs2: 3 });
  }), LAB_TIMEOUT);

vmTest('weight 0 quiesces a real server: no new connections', () =>
  withLab(async (lab) => {
    const topo = await drCluster(lab, 2, ['-s', 'rr']);
    for (const rs of topo.servers) lab.mustTsipvs(topo.director, ['-a', '-t', `${topo.vip}:80`, '-r', rs.address, '-g']);
    assert.deepEqual(tally(lab.fetch(topo.client, `http://${topo.vip}/`, 4)), { rs1: 2, rs2: 2 });
    lab.mustTsipvs(topo.director, ['-e', '-t', `${topo.vip}:80`, '-r', topo.servers[1]!.address, '-g', '-w', '0']);
    assert.deepEqual(tally(lab.fetch(topo.client, `http://${topo.vip}/`, 6)), { rs1: 6 });
  }), LAB_TIMEOUT);

vmTest('sh and persistence keep one client on one server', () =>
  withLab(async (lab) => {
    const topo = await drCluster(lab, 3, ['-s', 'sh']);
    for (const rs of topo.servers) lab.mustTsipvs(topo.director, ['-a', '-t', `${topo.vip}:80`, '-r', rs.address, '-g']);
    const sh = tally(lab.fetch(topo.client, `http://${topo.vip}/`, 6));
    assert.equal(Object.keys(sh).length, 1, `sh spread one client: ${JSON.stringify(sh)}`);
    lab.mustTsipvs(topo.director, ['-E', '-t', `${topo.vip}:80`, '-s', 'rr', '-p', '60']);
    const persistent = tally(lab.fetch(topo.client, `http://${topo.vip}/`, 6));
    assert.equal(Object.keys(persistent).length, 1, `persistence spread one client: ${JSON.stringify(persistent)}`);
  }), LAB_TIMEOUT);

vmTest('removing a server while traffic flows loses no service for the rest', () =>
  withLab(async (lab) => {
    const topo = await drCluster(lab, 3, ['-s', 'rr']);
    for (const rs of topo.servers) lab.mustTsipvs(topo.director, ['-a', '-t', `${topo.vip}:80`, '-r', rs.address, '-g']);
    const traffic = lab.fetchInBackground(topo.client, `http://${topo.vip}/`, 30, { pauseMs: 100 });
    await sleep(1500);
    lab.mustTsipvs(topo.director, ['-d', '-t', `${topo.vip}:80`, '-r', topo.servers[2]!.address]);
    const answers = await traffic;
    const failures = answers.filter((a) => a.startsWith('ERR'));
    assert.deepEqual(failures, [], `failed requests: ${answers}`);
    const lastTen = tally(answers.slice(-10));
    assert.equal(lastTen.rs3, undefined, `rs3 still served after removal: ${answers}`);
    assert.ok((lastTen.rs1 ?? 0) >= 4 && (lastTen.rs2 ?? 0) >= 4, JSON.stringify(lastTen));
  }), LAB_TIMEOUT);
