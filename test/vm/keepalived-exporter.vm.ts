/**
 * `tsipvs exporter` against the real kernel: a NAT cluster (client, director, two real servers with
 * HTTP servers) carries real requests, then the scraped counters must equal, digit for digit, what
 * `ipvsadm -Ln --stats --exact` prints; a real server in two services has a series in each.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { vmTest, IPROUTE2, TSIPVS_BIN } from '../harness/guest';
import { Lab, sleep, tally } from '../lab/lab';
import { natNetworks } from '../lab/topologies';

const COUNTERS = ['connections_total', 'incoming_packets_total', 'outgoing_packets_total', 'incoming_bytes_total', 'outgoing_bytes_total'];

/** The counter samples `ipvsadm -Ln --stats --exact` implies, in the exporter's names and labels (IPv4 only). */
function expectedSamples(ipvsadm: string): string[] {
  const samples: string[] = [];
  let service = '';
  for (const line of ipvsadm.split('\n')) {
    const m = /^(?:(TCP|UDP|SCTP|FWM)\s+(\S+)|\s+->\s+(\S+):(\d+))\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
    if (!m) continue;
    const values = m.slice(5, 10);
    let scope: string;
    let labels: string;
    if (m[1]) {
      const [address, port] = m[1] === 'FWM' ? ['', '0'] : m[2]!.split(':');
      service = `family="ipv4",proto="${m[1]}",local_address="${address}",local_port="${port}",local_mark="${m[1] === 'FWM' ? m[2] : ''}"`;
      scope = 'service';
      labels = service;
    } else {
      scope = 'backend';
      labels = `${service},remote_address="${m[3]}",remote_port="${m[4]}"`;
    }
    COUNTERS.forEach((name, i) => samples.push(`ipvs_${scope}_${name}{${labels}} ${values[i]}`));
  }
  return samples;
}

vmTest('keepalived: tsipvs exporter serves counters equal to ipvsadm -Ln --stats --exact after real traffic', async () => {
  const lab = new Lab();
  let exporter: ReturnType<typeof spawn> | undefined;
  try {
    const topo = natNetworks(lab, 2);
    const { director } = topo;
    // the table is set up with ipvsadm (quicker to start than node under emulation): only the exporter is under test
    lab.ip(director, `addr add ${topo.vip}/32 dev ${topo.directorDev}`);
    const sh = (script: string) => assert.equal(lab.exec(director, 'sh', ['-c', script]).status, 0, script);
    sh('echo 1 > /proc/sys/net/ipv4/ip_forward');
    const rules = [`-A -t ${topo.vip}:80 -s rr`, '-A -f 7 -s rr'];
    for (const rs of topo.servers) rules.push(`-a -t ${topo.vip}:80 -r ${rs.address}:8080 -m -w 3`, `-a -f 7 -r ${rs.address}:8080 -m`);
    const restore = lab.exec(director, 'ipvsadm', ['-R'], `${rules.join('\n')}\n`);
    assert.equal(restore.status, 0, restore.stderr);
    for (const rs of topo.servers) await lab.httpServer(rs.ns, rs.name, [8080]);

    exporter = spawn(IPROUTE2, ['netns', 'exec', director, process.execPath, TSIPVS_BIN, 'exporter', '--listen', '127.0.0.1:9165'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const exited = new Promise<number | null>((resolve) => exporter!.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      exporter!.stderr!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('serving metrics on http://127.0.0.1:9165/metrics')) resolve();
      });
      void exited.then((code) => reject(new Error(`the exporter exited ${code}: ${log}`)));
    });

    assert.deepEqual(tally(lab.fetch(topo.client, `http://${topo.vip}/`, 8)), { rs1: 4, rs2: 4 });
    await sleep(3000); // the kernel's estimator publishes the counters every 2 s

    /** GET / (the status only), then GET /metrics: one node start (slow under emulation) for both. */
    const scrape = () => {
      const script = `const get = (p) => new Promise((ok) => require('http').get('http://127.0.0.1:9165' + p, (r) => { let b = ''; r.on('data', (d) => b += d); r.on('end', () => ok([r.statusCode, b])); }));
        get('/').then(([other]) => get('/metrics').then(([status, body]) => process.stdout.write(other + '\\n' + status + '\\n' + body)));`;
      const r = lab.exec(director, process.execPath, ['-e', script]);
      assert.equal(r.status, 0, r.stderr);
      const [other, status, ...body] = r.stdout.split('\n');
      return { other: Number(other), status: Number(status), body: body.join('\n') };
    };
    const stats = () => {
      const r = lab.exec(director, 'ipvsadm', ['-Ln', '--stats', '--exact']);
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    const before = stats();
    const scraped = scrape();
    assert.equal(stats(), before, 'the counters moved while scraping: no traffic should be flowing');
    assert.equal(scraped.status, 200);

    const expected = expectedSamples(before);
    assert.equal(expected.length, 2 * 5 + 4 * 5, before);
    const counterLines = scraped.body.split('\n').filter((l) => /^ipvs_(service|backend)_\w+_total\{/.test(l));
    assert.deepEqual([...counterLines].sort(), [...expected].sort());
    const web = `family="ipv4",proto="TCP",local_address="${topo.vip}",local_port="80",local_mark=""`;
    assert.ok(scraped.body.includes(`ipvs_service_connections_total{${web}} 8\n`), scraped.body);
    for (const rs of topo.servers) {
      assert.ok(scraped.body.includes(`ipvs_backend_weight{${web},remote_address="${rs.address}",remote_port="8080"} 3\n`), scraped.body);
      assert.ok(scraped.body.includes(`ipvs_backend_weight{family="ipv4",proto="FWM",local_address="",local_port="0",local_mark="7",remote_address="${rs.address}",remote_port="8080"} 1\n`));
    }
    assert.equal(scraped.other, 404, 'paths other than /metrics');

    exporter.kill('SIGTERM');
    assert.equal(await exited, 0, log);
    exporter = undefined;
  } finally {
    exporter?.kill('SIGKILL');
    lab.destroy();
  }
}, 180_000);
