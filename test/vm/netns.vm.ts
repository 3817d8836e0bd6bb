/**
 * One process programs several network namespaces (`ip netns add`) through the library's `netns`
 * option and the CLI's `--netns`; ipvsadm run inside each (`ip netns exec`) sees exactly that
 * namespace's table, connections and settings. The calling thread is back in its own namespace after
 * every call, failed ones included. Namespace names carry the pid: cases share /run/netns.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AddressFamily, ForwardingMethod, lockIpvsTable, netnsInode, openIpvs, Protocol, type IpvsApi, type ServiceKey,
} from '@tsipvs/ipvs-core';
import { IPROUTE2, vmTest, type VmTestContext } from '../harness/guest';

/** Prints how long each step took (in the report's output): namespaces are slow to make under TCG. */
function stopwatch(): (step: string) => void {
  let last = Date.now();
  return (step) => {
    const now = Date.now();
    console.log(`${step}: ${now - last} ms`);
    last = now;
  };
}

function namespaces(t: VmTestContext, ...suffixes: string[]): string[] {
  return suffixes.map((suffix) => {
    const name = `tsv${process.pid}${suffix}`;
    t.sh(`ip netns add ${name} && ip -n ${name} link set lo up`);
    return name;
  });
}

function ipvsadmIn(t: VmTestContext, name: string, args: string): string {
  return t.sh(`ip netns exec ${name} ipvsadm ${args}`);
}

function catIn(t: VmTestContext, name: string | undefined, file: string): string {
  return t.sh(name === undefined ? `cat ${file}` : `ip netns exec ${name} cat ${file}`).trim();
}

function tsipvsOk(t: VmTestContext, args: readonly string[], input?: string): string {
  const r = t.tsipvs(args, input === undefined ? {} : { input });
  assert.equal(r.status, 0, `tsipvs ${args.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

const tcp = (address: string, port: number): ServiceKey => ({ family: AddressFamily.IPv4, protocol: Protocol.TCP, address, port });

/** `count` services of 3 real servers each, on 10.N.0.x. */
async function program(api: IpvsApi, n: number, count: number): Promise<string[]> {
  const lines: string[] = [];
  for (let i = 1; i <= count; i++) {
    const service = tcp(`10.${n}.0.${i}`, 80);
    await api.addService(service, { scheduler: 'rr', timeout: 0, netmask: '255.255.255.255', flags: 0 });
    lines.push(`-A -t 10.${n}.0.${i}:80 -s rr`);
    for (let r = 1; r <= 3; r++) {
      await api.addDestination(service, { family: AddressFamily.IPv4, address: `10.${n}.1.${r}`, port: 80 }, { forwarding: ForwardingMethod.Masquerade, weight: r });
      lines.push(`-a -t 10.${n}.0.${i}:80 -r 10.${n}.1.${r}:80 -m -w ${r}`);
    }
  }
  return lines;
}

vmTest('netns.vm library: one process programs three namespaces, each listed through pooled dump sockets; ipvsadm inside sees its own', async (t) => {
  const lap = stopwatch();
  // what --netns costs first: loading koffi and libc (setns, ioctl) in this VM; cached afterwards
  const started = process.hrtime.bigint();
  (require('koffi') as typeof import('koffi')).load('libc.so.6');
  console.log(`koffi load + libc: ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)} ms`);
  const own = netnsInode();
  const [a, b, c] = namespaces(t, 'a', 'b', 'c');
  lap('three namespaces');
  const home = await openIpvs();
  await home.addService(tcp('10.9.0.1', 80), { scheduler: 'wlc', timeout: 0, netmask: '255.255.255.255', flags: 0 });
  const expected = new Map<string, string>();
  const clients = await Promise.all([a, b, c].map((name) => openIpvs({ netns: name, dumpSockets: 4 })));
  assert.equal(netnsInode(), own);
  lap('three clients');
  for (const [i, name] of [a!, b!, c!].entries()) expected.set(name, (await program(clients[i]!, i + 1, 4 + i)).map((l) => `${l}\n`).join('')); // ipvsadm sorts: this order
  assert.equal(netnsInode(), own);
  lap('programmed');
  for (const [i, name] of [a!, b!, c!].entries()) {
    // every service's real servers at once: the extra dump sockets are opened now, long after openIpvs
    const services = await clients[i]!.getServices();
    const destinations = await Promise.all(services.map((s) => clients[i]!.getDestinations(s.key)));
    assert.equal(services.length, 4 + i);
    assert.deepEqual(destinations.map((d) => d.length), services.map(() => 3));
    assert.equal(ipvsadmIn(t, name, '-S -n'), expected.get(name));
  }
  assert.equal(t.ipvsadm(['-S', '-n']).stdout, '-A -t 10.9.0.1:80 -s wlc\n');
  assert.deepEqual((await home.getServices()).map((s) => s.key), [tcp('10.9.0.1', 80)]);
  for (const client of [...clients, home]) client.close();
  lap('listed and compared');

  t.sh(`ip netns del ${c}`);
  await assert.rejects(openIpvs({ netns: c }), { name: 'NetnsError', code: 'not-found', message: `network namespace "${c}" not found (/run/netns/${c}): No such file or directory` });
  await assert.rejects(openIpvs({ netns: '/proc/self/ns/uts' }), { name: 'NetnsError', code: 'not-a-netns' });
  assert.equal(netnsInode(), own);
  t.sh(`ip netns del ${a} && ip netns del ${b}`);
  lap('errors');
}, 120_000);

vmTest('netns.vm CLI: --netns on ipvsadm letters, -R, apply, -c, sysctl and director; the lock is the target\'s; clean errors', async (t) => {
  const lap = stopwatch();
  const [a, b, c] = namespaces(t, 'a', 'b', 'c');
  lap('three namespaces');
  // ipvsadm's letters, -R, and apply, each in its namespace
  tsipvsOk(t, ['-A', '-u', '10.1.1.1:53', '-s', 'rr', `--netns=${a}`]);
  tsipvsOk(t, ['-R', '--netns', b!], '-A -t 10.2.0.1:80 -s wrr\n-a -t 10.2.0.1:80 -r 10.2.1.1:80 -g -w 2\n');
  t.sh(`ip netns exec ${a} ipvsadm -a -u 10.1.1.1:53 -r 10.1.1.2:53 -m`);
  const rules = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsipvs-netns-')), 'rules');
  fs.writeFileSync(rules, '-A -t 10.3.0.1:443 -s sh\n-a -t 10.3.0.1:443 -r 10.3.1.1:443 -m\n');
  tsipvsOk(t, ['apply', '--netns', c!, rules]);
  lap('-A, -R, apply');
  assert.equal(ipvsadmIn(t, a!, '-S -n'), '-A -u 10.1.1.1:53 -s rr\n-a -u 10.1.1.1:53 -r 10.1.1.2:53 -m -w 1\n');
  assert.equal(ipvsadmIn(t, b!, '-S -n'), '-A -t 10.2.0.1:80 -s wrr\n-a -t 10.2.0.1:80 -r 10.2.1.1:80 -g -w 2\n');
  assert.equal(ipvsadmIn(t, c!, '-S -n'), '-A -t 10.3.0.1:443 -s sh\n-a -t 10.3.0.1:443 -r 10.3.1.1:443 -m -w 1\n');
  assert.equal(t.ipvsadm(['-S', '-n']).stdout, '');
  assert.equal(tsipvsOk(t, ['--netns', b!, '-L', '-n']), ipvsadmIn(t, b!, '-L -n'));
  lap('compared');

  // -c reads the target's connection table: a local client's datagram to a's VIP makes one there
  t.sh(`ip -n ${a} addr add 10.1.1.1/32 dev lo && ip -n ${a} addr add 10.1.1.2/32 dev lo`);
  t.run(IPROUTE2, ['netns', 'exec', a!, process.execPath, '-e', "const s=require('dgram').createSocket('udp4');s.send('x',53,'10.1.1.1',()=>s.close())"]);
  const ours = tsipvsOk(t, ['--netns', a!, '-L', '-n', '-c']);
  assert.match(ours, /^UDP +\S+ +\S+ +10\.1\.1\.\d+:\d+ +10\.1\.1\.1:53 +10\.1\.1\.2:53\s*$/m, ours);
  const withoutExpiry = (text: string) => text.replace(/^(UDP +)\S+/gm, '$1');
  assert.equal(withoutExpiry(ours), withoutExpiry(ipvsadmIn(t, a!, '-L -n -c')));
  lap('-c');

  // settings: sysctl set and the director preset change only the target's /proc/sys
  const vs = '/proc/sys/net/ipv4/vs/expire_nodest_conn';
  tsipvsOk(t, ['sysctl', 'set', '--netns', a!, 'net.ipv4.vs.expire_nodest_conn=1']);
  assert.deepEqual([catIn(t, a, vs), catIn(t, b, vs), catIn(t, undefined, vs)], ['1', '0', '0']);
  const state = path.join(path.dirname(rules), 'director.json');
  const forward = '/proc/sys/net/ipv4/ip_forward';
  const ownForward = catIn(t, undefined, forward);
  tsipvsOk(t, ['director', 'setup', '--mode', 'nat', '--netns', b!, '--state-file', state]);
  assert.deepEqual([catIn(t, b, forward), catIn(t, a, forward), catIn(t, undefined, forward)], ['1', '0', ownForward]);
  tsipvsOk(t, ['--netns', b!, 'director', 'teardown', '--state-file', state]);
  assert.equal(catIn(t, b, forward), '0');
  lap('sysctl, director');

  // the table lock is the target namespace's: held in a by this process, a's -R is refused, b's goes through
  const lock = await lockIpvsTable({ netns: a });
  try {
    const busy = t.tsipvs(['--netns', a!, '-R'], { input: '-A -t 10.1.9.9:80\n' });
    assert.equal(busy.status, 4, busy.stderr);
    tsipvsOk(t, ['--netns', b!, '-R'], '-A -t 10.2.9.9:80\n');
  } finally {
    await lock.release();
  }
  lap('lock');

  // a deleted namespace, a bad path, a file that is no namespace: one line, exit 2, nothing done
  t.sh(`ip netns del ${c}`);
  const plain = path.join(path.dirname(rules), 'plain');
  fs.writeFileSync(plain, '');
  for (const [spec, message] of [
    [c!, `tsipvs: network namespace "${c}" not found (/run/netns/${c}): No such file or directory\n`],
    ['/nonexistent/ns', 'tsipvs: network namespace "/nonexistent/ns" not found: No such file or directory\n'],
    [plain, `tsipvs: network namespace "${plain}" is not a network namespace: not a network namespace file (expected a bind mount of /proc/PID/ns/net, as \`ip netns add\` makes)\n`],
  ] as const) {
    // one command each: the namespace is opened by main, before any command runs
    const args = spec === c ? ['--netns', spec, '-A', '-t', '10.7.0.1:80'] : spec === plain ? ['apply', '--netns', spec, rules] : ['sysctl', 'set', '--netns', spec, 'net.ipv4.ip_forward=1'];
    const r = t.tsipvs(args);
    assert.deepEqual([r.status, r.stdout, r.stderr], [2, '', message], args.join(' '));
  }
  assert.equal(t.ipvsadm(['-S', '-n']).stdout, '');
  t.sh(`ip netns del ${a} && ip netns del ${b}`);
  lap('errors');
}, 180_000);
