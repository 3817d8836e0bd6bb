/**
 * VRRP adverts on the wire, byte for byte. A packet socket on the client's link captures the adverts of
 * a MASTER on d1, run by tsipvs keepalived and then by Debian's keepalived with the same configuration,
 * for VRRP version 2 (auth_type PASS) and version 3. Each VRRP message must equal the layout of the
 * RFC built here field by field (RFC 3768 §5.1, RFC 5798 §5.1, checksums included), and our IP header
 * must carry what keepalived's does (TOS, TTL 255, protocol 112, addresses, no fragmentation).
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IPROUTE2 as IP, vmTest } from '../harness/guest';
import { unavailableReason, withKeepalivedLab, writeFile, type Implementation, type KeepalivedLab } from '../lab/keepalived-lab';
import { pairLab, VIP, vrrpConfig, waitForMaster, type Pair } from '../lab/vrrp-lab';

const LIBC = path.resolve(__dirname, '../../../packages/ipvs-core/dist/src/libc/libc.js');
const GROUP = '233.6.6.6';
const SOURCE = '10.0.0.201';

/**
 * Prints, as hex, the IP packets of the first COUNT VRRP adverts with a non-zero priority from SOURCE
 * seen on the namespace's links (AF_PACKET, ETH_P_IP), or exits 1 after TIMEOUT ms.
 */
const CAPTURE = `
const [libcPath, count, timeoutMs, source, readyFile] = process.argv.slice(2);
const { libc, SOL_SOCKET, SO_RCVTIMEO } = require(libcPath);
const c = libc();
const fd = c.socket(17 /* AF_PACKET */, 3 /* SOCK_RAW */, 0x0008 /* htons(ETH_P_IP) */);
if (fd < 0) { console.error('socket: errno ' + c.errno()); process.exit(2); }
const tv = Buffer.alloc(16); tv.writeBigInt64LE(0n, 0); tv.writeBigInt64LE(200000n, 8);
c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16);
require('fs').writeFileSync(readyFile, '');
const frame = Buffer.alloc(2048);
const found = [];
const end = Date.now() + Number(timeoutMs);
while (found.length < Number(count) && Date.now() < end) {
  const n = c.recv(fd, frame, frame.length, 0);
  if (n < 34 || frame.readUInt16BE(12) !== 0x0800) continue;
  const ip = frame.subarray(14, n);
  const from = [...ip.subarray(12, 16)].join('.');
  if (ip[9] !== 112 || from !== source) continue;
  const vrrp = ip.subarray((ip[0] & 15) * 4);
  if (vrrp[2] === 0) continue;
  found.push(Buffer.from(ip).toString('hex'));
}
console.log(JSON.stringify(found));
process.exit(found.length === Number(count) ? 0 : 1);`;

function capture(ka: KeepalivedLab, ns: string, count: number, timeoutMs: number): { ready: Promise<void>; packets: Promise<Buffer[]> } {
  const script = writeFile(`${ka.dir}/capture.js`, CAPTURE);
  const readyFile = `${ka.dir}/capture-ready-${Date.now()}`;
  const child = spawn(IP, ['netns', 'exec', ns, process.execPath, script, LIBC, String(count), String(timeoutMs), SOURCE, readyFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const packets = new Promise<Buffer[]>((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve((JSON.parse(out) as string[]).map((h) => Buffer.from(h, 'hex'))) : reject(new Error(`capture exited ${code}: ${out}${err}`)))),
  );
  const ready = (async () => {
    for (let i = 0; i < 200 && !fs.existsSync(readyFile); i++) await new Promise((r) => setTimeout(r, 50));
    if (!fs.existsSync(readyFile)) throw new Error('the capture never started');
  })();
  return { ready, packets };
}

/** The 16-bit one's complement of the one's complement sum (RFC 1071). */
function internetChecksum(...parts: Buffer[]): number {
  const data = Buffer.concat(parts);
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) sum += (data[i]! << 8) + (data[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const ipv4 = (a: string) => Buffer.from(a.split('.').map(Number));

/** The advert of the lab's MASTER (VRID 50, priority 100, advert_int 1, the VIP), laid out as the RFC draws it. */
function rfcAdvert(version: 2 | 3): Buffer {
  const m =
    version === 2
      ? Buffer.concat([
          // Version 2 | Type 1 (ADVERTISEMENT), VRID, Priority, Count IP Addrs
          Buffer.from([0x21, 50, 100, 1]),
          // Auth Type 1 (simple text password), Adver Int 1 s, Checksum (0 while computed)
          Buffer.from([1, 1, 0, 0]),
          ipv4(VIP),
          // Authentication Data: the password, zero-padded to 8 octets
          Buffer.from('1111\0\0\0\0', 'latin1'),
        ])
      : Buffer.concat([
          // Version 3 | Type 1, VRID, Priority, Count IPvX Addr
          Buffer.from([0x31, 50, 100, 1]),
          // rsvd (4 bits) | Max Adver Int (12 bits, centiseconds: 100), Checksum
          Buffer.from([0x00, 100, 0, 0]),
          ipv4(VIP),
        ]);
  // version 3's checksum covers the IPv4 pseudo-header (RFC 5798 §5.2.8)
  const pseudo = version === 3 ? Buffer.concat([ipv4(SOURCE), ipv4(GROUP), Buffer.from([0, 112, 0, m.length])]) : Buffer.alloc(0);
  m.writeUInt16BE(internetChecksum(pseudo, m), 6);
  return m;
}

/** The IP header fields that must match keepalived's (identification and checksum vary per packet). */
function headerFields(ip: Buffer): Record<string, string | number> {
  return {
    versionAndLength: ip[0]!, tos: ip[1]!, totalLength: ip.readUInt16BE(2), flagsAndFragment: ip.readUInt16BE(6),
    ttl: ip[8]!, protocol: ip[9]!, source: [...ip.subarray(12, 16)].join('.'), destination: [...ip.subarray(16, 20)].join('.'),
    headerChecksumValid: internetChecksum(ip.subarray(0, (ip[0]! & 15) * 4)) === 0 ? 1 : 0,
  };
}

async function advertsOf(p: Pair, impl: Implementation, version: 2 | 3): Promise<Buffer[]> {
  const { ka } = p;
  const cap = capture(ka, p.client, 2, 40_000);
  await cap.ready;
  const daemon = ka.startDaemon(impl, p.d1, writeFile(`${ka.dir}/wire-${impl}-v${version}.conf`, vrrpConfig({ state: 'MASTER', priority: 100, version, noVirtualServer: true })), [], undefined, 'vrrp');
  try {
    await waitForMaster(p, p.d1, 30_000, `${impl} v${version} MASTER`, [daemon]);
    return await cap.packets;
  } finally {
    await daemon.stop();
  }
}

vmTest("VRRP adverts on the wire: tsipvs and Debian's keepalived, versions 2 and 3, byte for byte as the RFC lays them out", async (t) => {
  const why = unavailableReason('debian');
  if (why) t.skip(why);
  await withKeepalivedLab(async (ka) => {
    const p = await pairLab(ka);
    for (const version of [2, 3] as const) {
      const expected = rfcAdvert(version);
      const headers: Record<string, Record<string, string | number>> = {};
      for (const impl of ['tsipvs', 'debian'] as const) {
        const packets = await advertsOf(p, impl, version);
        for (const ip of packets) {
          const vrrp = ip.subarray((ip[0]! & 15) * 4);
          assert.equal(vrrp.toString('hex'), expected.toString('hex'), `${impl} v${version}: the VRRP message differs from the RFC layout`);
        }
        headers[impl] = headerFields(packets[0]!);
        ka.step(`v${version} ${impl}: ${packets[0]!.toString('hex')}`);
      }
      assert.deepEqual(headers.tsipvs, headers.debian, `v${version}: our IP header differs from keepalived's`);
      assert.equal(headers.tsipvs!.ttl, 255);
      assert.equal(headers.tsipvs!.headerChecksumValid, 1);
    }
  });
}, 180_000);
