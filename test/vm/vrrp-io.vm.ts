/**
 * VRRP's sockets on the real kernel: two namespaces on one veth pair. An advert sent by one arrives at
 * the other with TTL 255 and decodes to what was sent (multicast group and unicast); a gratuitous ARP
 * teaches the other side the sender's MAC for the address.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { vmTest } from '../harness/guest';

const KEEPALIVED = path.resolve(__dirname, '../../../packages/keepalived/dist/src');

/** A node program run inside a namespace; prints what it is asked to. */
function inNamespace(ns: string, program: string, timeoutMs = 20_000): string {
  const file = `/tmp/vrrp-io-${process.pid}-${ns}.js`;
  fs.writeFileSync(file, `const io = require(${JSON.stringify(`${KEEPALIVED}/vrrp/io.js`)});\nconst packet = require(${JSON.stringify(`${KEEPALIVED}/vrrp/packet.js`)});\n${program}`);
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, file], { encoding: 'utf8', timeout: timeoutMs });
  assert.equal(r.status, 0, `${ns}: ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

/** Starts a receiver in the background; resolves with its output once it exits. */
function receiver(ns: string, program: string): Promise<string> {
  const file = `/tmp/vrrp-io-${process.pid}-${ns}-rx.js`;
  fs.writeFileSync(file, `const io = require(${JSON.stringify(`${KEEPALIVED}/vrrp/io.js`)});\nconst packet = require(${JSON.stringify(`${KEEPALIVED}/vrrp/packet.js`)});\n${program}`);
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, file]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`receiver exited ${code}: ${err}`))));
  });
}

const RECEIVE = `
const channel = io.openVrrpChannel({ interfaceName: 'v1', source: '10.7.0.2', group: GROUP, unicastPeers: PEERS });
require('node:fs').writeFileSync('/tmp/vrrp-io-ready', '');
const timer = setTimeout(() => { console.log('nothing received'); channel.close().then(() => process.exit(1)); }, 15000);
channel.on('datagram', (d) => {
  const r = packet.decodeAdvert(d, 2);
  if (!r.ok) { console.log('dropped ' + r.reason); return; }
  console.log(JSON.stringify(r.advert));
  clearTimeout(timer);
  channel.close().then(() => process.exit(0));
});`;

const SEND = `
const channel = io.openVrrpChannel({ interfaceName: 'v0', source: '10.7.0.1', group: GROUP, unicastPeers: PEERS });
channel.send((destination) => packet.encodeAdvert({ version: 2, vrid: 50, priority: 100, intervalCs: 100, addresses: ['10.7.0.100'], auth: { type: 'pass', password: '1111' } }, { source: '10.7.0.1', destination }));
channel.close();`;

function waitReady(): void {
  for (let i = 0; i < 200 && !fs.existsSync('/tmp/vrrp-io-ready'); i++) spawnSync('sleep', ['0.05']);
  assert.ok(fs.existsSync('/tmp/vrrp-io-ready'), 'the receiver never opened its channel');
  fs.rmSync('/tmp/vrrp-io-ready');
}

vmTest('VRRP adverts over a raw socket (multicast and unicast) and gratuitous ARP between two namespaces', async (t) => {
  const a = `vrrpa${process.pid}`;
  const b = `vrrpb${process.pid}`;
  t.sh(`ip netns add ${a} && ip netns add ${b} && ip link add v0 netns ${a} type veth peer name v1 netns ${b}
ip -n ${a} addr add 10.7.0.1/24 dev v0 && ip -n ${a} link set v0 up && ip -n ${a} link set lo up
ip -n ${b} addr add 10.7.0.2/24 dev v1 && ip -n ${b} link set v1 up && ip -n ${b} link set lo up`);
  try {
    for (const [label, group, peers] of [['multicast', '233.6.6.6', []], ['unicast', '224.0.0.18', ['10.7.0.2']]] as const) {
      const setup = `const GROUP = ${JSON.stringify(group)}; const PEERS = ${JSON.stringify(peers)};`;
      const got = receiver(b, setup + RECEIVE);
      waitReady();
      inNamespace(a, setup + SEND);
      const advert = JSON.parse(await got) as Record<string, unknown>;
      assert.deepEqual(advert, {
        version: 2, vrid: 50, priority: 100, intervalCs: 100, addresses: ['10.7.0.100'], auth: { type: 'pass', password: '1111' },
        source: '10.7.0.1', destination: peers[0] ?? group, ttl: 255,
      }, label);
    }
    // gratuitous ARP: the neighbour (accepting unsolicited ARP) learns 10.7.0.100 at v0's MAC
    t.sh(`ip netns exec ${b} sh -c 'echo 1 > /proc/sys/net/ipv4/conf/v1/arp_accept'`);
    inNamespace(a, `io.sendGratuitousArp('v0', ['10.7.0.100']);`);
    const mac = t.sh(`ip -n ${a} -o link show v0`).match(/link\/ether ([0-9a-f:]+)/)?.[1];
    let neighbour = '';
    for (let i = 0; i < 40 && !neighbour.includes(mac ?? '?'); i++) {
      spawnSync('sleep', ['0.05']);
      neighbour = t.sh(`ip -n ${b} neigh show 10.7.0.100 dev v1`);
    }
    assert.ok(mac && neighbour.includes(mac), `neighbour entry ${JSON.stringify(neighbour)} lacks ${mac}`);
    // a missing interface is a clear error
    const missing = spawnSync('ip', ['netns', 'exec', a, process.execPath, '-e',
      `try { require(${JSON.stringify(`${KEEPALIVED}/vrrp/io.js`)}).openVrrpChannel({ interfaceName: 'nope0', source: '10.7.0.1', group: '224.0.0.18', unicastPeers: [] }); } catch (e) { console.log(e.message); }`], { encoding: 'utf8' });
    assert.match(missing.stdout, /if_nametoindex nope0: No such device/);
  } finally {
    t.sh(`ip netns del ${a}; ip netns del ${b}; true`);
  }
}, 120_000);
