/**
 * Mutated kernel replies (truncations, bit flips, bad lengths) never crash or hang the decoder,
 * the transport or the client: every failure is a typed error.
 */
import {
  AddressFamily, codec, createFakeTransport, IpvsError, IpvsProtocolError, openIpvs, parseMessages, Protocol,
  daemonReply, destinationReply, serviceReply, type NetlinkMessage,
} from './internals';
import { oracleCaptures, random } from './support';

const rng = random(7);

/** Real replies: every datagram of the oracle captures, plus synthesized real server replies. */
function corpus(): Buffer[] {
  const datagrams = oracleCaptures().flatMap((c) => [...c.files.values()].flatMap((r) => r.replies));
  datagrams.push(destinationReply(1, {
    key: { family: AddressFamily.IPv6, address: '2001:db8::10', port: 80 }, forwarding: 2, weight: 3, upperThreshold: 9,
    lowerThreshold: 1, tunnelType: 1, tunnelPort: 6080, tunnelFlags: 1, activeConnections: 1, inactiveConnections: 2,
    persistentConnections: 3, stats: { connections: 1n, packetsIn: 2n, packetsOut: 3n, bytesIn: 4n, bytesOut: 5n, connectionsPerSecond: 6n,
      packetsInPerSecond: 7n, packetsOutPerSecond: 8n, bytesInPerSecond: 9n, bytesOutPerSecond: 10n, wide: true },
  }));
  datagrams.push(daemonReply(1, { state: 1, interface: 'eth0', syncId: 5, group: 'ff02::1:81' }));
  return datagrams;
}

function mutate(original: Buffer): Buffer {
  const b = Buffer.from(original);
  switch (rng.int(0, 5)) {
    case 0: return b.subarray(0, rng.int(0, b.length - 1)); // truncation
    case 1: { // bit flips
      for (let i = rng.int(1, 4); i > 0; i--) { const at = rng.int(0, b.length - 1); b[at]! ^= 1 << rng.int(0, 7); }
      return b;
    }
    case 2: { // a random 16-bit length field somewhere (attribute headers are 16-bit aligned)
      const at = rng.int(0, (b.length >> 1) - 1) * 2;
      b.writeUInt16LE(rng.pick([0, 1, 3, 4, 5, 0xffff, rng.int(0, 0xffff)]), at);
      return b;
    }
    case 3: { // nlmsg_len off by a little
      if (b.length >= 4) b.writeUInt32LE(Math.max(0, b.readUInt32LE(0) + rng.int(-8, 8)), 0);
      return b;
    }
    case 4: return Buffer.concat([b, Buffer.from(Array.from({ length: rng.int(1, 12) }, () => rng.int(0, 255)))]); // trailing garbage
    default: { // random bytes in place
      const at = rng.int(0, b.length - 1);
      b.fill(rng.int(0, 255), at, Math.min(b.length, at + rng.int(1, 16)));
      return b;
    }
  }
}

const decoders: Array<(m: NetlinkMessage) => unknown> = [
  codec.decodeService, (m) => codec.decodeDestination(m, AddressFamily.IPv4), codec.decodeDaemon, codec.decodeInfo,
  codec.decodeTimeouts, codec.decodeFamilyId,
  // the in-place readers of dumps
  (m) => new codec.ServiceKeyReader().read(m.bytes, 0, m.bytes.length),
  (m) => new codec.DestinationReader(AddressFamily.IPv4).read(m.bytes, 0, m.bytes.length),
];

describe('fuzzing the decoders', () => {
  it('turns 20000 mutated replies into results or IpvsProtocolErrors only', () => {
    const datagrams = corpus();
    let failures = 0;
    for (let i = 0; i < 20_000; i++) {
      const mutated = mutate(rng.pick(datagrams));
      try {
        for (const message of parseMessages(mutated)) for (const decode of decoders) {
          try { decode(message); } catch (error) {
            if (!(error instanceof IpvsProtocolError)) throw error;
            failures++;
          }
        }
      } catch (error) {
        if (!(error instanceof IpvsProtocolError)) throw error;
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(0);
  });

  it('the client answers every call over a mutating kernel with a value or a typed error, never a hang', async () => {
    const captures = oracleCaptures().find((c) => c.scenario === 'schedulers-v4')!;
    const byCommand = new Map<number, Buffer[]>();
    for (const recording of captures.files.values()) byCommand.set(recording.request[16]!, [...recording.replies]);
    const transport = createFakeTransport((request) => {
      if (request.type === 0x10) return captures.files.get('ctrl-getfamily-IPVS.hex')!.replies.map((d) => Buffer.from(d));
      const replies = byCommand.get(request.bytes[16]!) ?? [];
      return replies.map((d) => {
        const copy = Buffer.from(d);
        try { for (const m of parseMessages(copy)) m.bytes.writeUInt32LE(request.seq, 8); } catch { /* keep as is */ }
        return rng.int(0, 2) === 0 ? mutate(copy) : copy;
      });
    }, { timeoutMs: 50 });
    const ipvs = await openIpvs({ transport });
    const outcomes = { ok: 0, protocol: 0, kernel: 0 };
    for (let i = 0; i < 300; i++) {
      const call = rng.pick([
        () => ipvs.getServices(), () => ipvs.getInfo(), () => ipvs.getTimeouts(), () => ipvs.getDaemons(),
        () => ipvs.getService({ family: AddressFamily.IPv4, protocol: Protocol.TCP, address: '0.0.0.0', port: 1 }),
      ]);
      try {
        await call();
        outcomes.ok++;
      } catch (error) {
        if (error instanceof IpvsProtocolError) outcomes.protocol++;
        else if (error instanceof IpvsError) outcomes.kernel++;
        else throw error;
      }
    }
    expect(outcomes.ok + outcomes.protocol + outcomes.kernel).toBe(300);
    expect(outcomes.protocol).toBeGreaterThan(0);
    ipvs.close();
  });
});
