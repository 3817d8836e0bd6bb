import {
  AddressFamily, Attributes, codec, DaemonState, ForwardingMethod, IpvsValidationError, Protocol, RequestEncoder,
  ServiceFlags, TunnelType, type Daemon, type DaemonConfig, type Destination, type Service, type ServiceKey, type Stats,
  parseMessages, daemonReply, destinationReply, FAKE_FAMILY_ID, serviceReply, decodeServiceNest, decodeDestinationNest, decodeDaemonNest,
  type Operation,
} from './internals';
import { oracleCaptures, random } from './support';

const rng = random(42);
const ipv4 = (): string => `${rng.int(1, 223)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
const ipv6 = (): string => {
  const groups = Array.from({ length: 8 }, () => (rng.bool() ? 0 : rng.int(0, 0xffff)));
  groups[0] = 0x2001;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => { bytes[2 * i] = g >> 8; bytes[2 * i + 1] = g & 0xff; });
  return require('./internals').formatNodeIPv6(bytes, 0);
};
const big = (): bigint => BigInt(rng.int(0, 0xffffffff)) * BigInt(rng.int(0, 0xffffffff));

function randomStats(wide: boolean): Stats {
  const narrow = (): bigint => (wide ? big() : BigInt(rng.int(0, 0xffffffff)));
  return {
    connections: narrow(), packetsIn: narrow(), packetsOut: narrow(), bytesIn: big(), bytesOut: big(),
    connectionsPerSecond: narrow(), packetsInPerSecond: narrow(), packetsOutPerSecond: narrow(),
    bytesInPerSecond: narrow(), bytesOutPerSecond: narrow(), wide,
  };
}

function randomServiceKey(): ServiceKey {
  const family = rng.bool() ? AddressFamily.IPv4 : AddressFamily.IPv6;
  if (rng.int(0, 3) === 0) return { family, fwmark: rng.int(1, 0xffffffff) };
  return { family, protocol: rng.pick([Protocol.TCP, Protocol.UDP, Protocol.SCTP]), address: family === AddressFamily.IPv4 ? ipv4() : ipv6(), port: rng.int(0, 65535) };
}

function randomService(wide: boolean): Service {
  const key = randomServiceKey();
  return {
    key,
    scheduler: rng.pick(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'none']),
    timeout: rng.int(0, 0xffffffff),
    netmask: key.family === AddressFamily.IPv4 ? `${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(0, 255)}` : rng.int(1, 128),
    flags: rng.int(0, 0x3f) & ~ServiceFlags.Hashed,
    persistenceEngine: rng.bool() ? 'sip' : undefined,
    stats: randomStats(wide),
  };
}

function randomDestination(wide: boolean): Destination {
  const family = rng.bool() ? AddressFamily.IPv4 : AddressFamily.IPv6;
  return {
    key: { family, address: family === AddressFamily.IPv4 ? ipv4() : ipv6(), port: rng.int(0, 65535) },
    forwarding: rng.pick([ForwardingMethod.Masquerade, ForwardingMethod.DirectRoute, ForwardingMethod.Tunnel, ForwardingMethod.Local]),
    weight: rng.int(0, 0x7fffffff), upperThreshold: rng.int(0, 0xffffffff), lowerThreshold: rng.int(0, 0xffffffff),
    tunnelType: rng.pick([TunnelType.IPIP, TunnelType.GUE, TunnelType.GRE]), tunnelPort: rng.int(0, 65535), tunnelFlags: rng.int(0, 3),
    activeConnections: rng.int(0, 0xffffffff), inactiveConnections: rng.int(0, 0xffffffff), persistentConnections: rng.int(0, 0xffffffff),
    stats: randomStats(wide),
  };
}

const only = (buffer: Buffer) => parseMessages(buffer)[0]!;

/** Reads the SERVICE/DEST/DAEMON nest of an encoded request back with the reply decoders. */
function requestNest(message: Buffer, type: number, maxType: number): Attributes {
  return Attributes.parse(message, 20, message.length, 6, 'request').nested(type, maxType)!;
}

describe('codec property tests (random objects)', () => {
  /** A decoded service or real server as a plain object: its counters are an accessor, decoded on first access. */
  const plain = <T extends Service | Destination>(decoded: T): T => ({ ...decoded, stats: decoded.stats });

  it('decodes kernel-style service replies, with STATS64 and with only the 32-bit STATS', () => {
    for (let i = 0; i < 500; i++) {
      const wide = rng.bool();
      const service = randomService(wide);
      expect(plain(codec.decodeService(only(serviceReply(i, service, { stats64: wide }))))).toEqual(service);
    }
  });

  it('decodes real server replies; a missing ADDR_FAMILY means the service family', () => {
    for (let i = 0; i < 500; i++) {
      const wide = rng.bool();
      const dest = randomDestination(wide);
      expect(plain(codec.decodeDestination(only(destinationReply(i, dest, { stats64: wide })), AddressFamily.IPv4))).toEqual(dest);
      const old = codec.decodeDestination(only(destinationReply(i, dest, { stats64: wide, addrFamily: false })), dest.key.family);
      expect(plain(old)).toEqual(dest);
    }
  });

  it('reads the real servers of a dump with reused tables; each keeps its own counters', () => {
    const reader = new codec.DestinationReader(AddressFamily.IPv4);
    const dests = [randomDestination(true), randomDestination(false), randomDestination(true)];
    const messages = dests.map((d, i) => destinationReply(i, d, { stats64: d.stats.wide }));
    const datagram = Buffer.concat(messages);
    const read: Destination[] = [];
    for (let i = 0, start = 0; i < messages.length; start += messages[i]!.length, i++) {
      read.push(reader.read(datagram, start, start + messages[i]!.length));
    }
    expect(read.map(plain)).toEqual(dests); // counters decoded only now, after the tables were reused
  });

  it('reports broken attribute framing with one text, wherever it is', () => {
    const message = destinationReply(1, randomDestination(true), { stats64: true });
    const malformed = /^malformed attribute at offset \d+: length 65520/;
    for (const at of [20, 24]) { // in the top level, in the DEST nest: when the message is read
      const broken = Buffer.from(message);
      broken.writeUInt16LE(0xfff0, at);
      expect(() => codec.decodeDestination(only(broken), AddressFamily.IPv4)).toThrow(malformed);
    }
    // in the STATS64 nest: when the counters are first read
    const broken = Buffer.from(message);
    broken.writeUInt16LE(0xfff0, message.length - 12);
    const decoded = codec.decodeDestination(only(broken), AddressFamily.IPv4);
    expect(() => decoded.stats).toThrow(malformed);
  });

  it('encodes service and real server requests that decode back to the same settings', () => {
    const encoder = new RequestEncoder(FAKE_FAMILY_ID);
    for (let i = 0; i < 500; i++) {
      const { stats: _s, ...service } = randomService(true);
      const message = encoder.newService(service.key, service);
      const back = decodeServiceNest(requestNest(message, 1, 12));
      expect({ ...back, stats: undefined }).toEqual({ ...service, stats: undefined });
      const { stats: _d, activeConnections: _a, inactiveConnections: _i, persistentConnections: _p, ...dest } = randomDestination(true);
      const destMessage = encoder.newDestination(service.key, dest.key, dest);
      const destBack = decodeDestinationNest(requestNest(destMessage, 2, 15), service.key.family);
      expect(destBack).toMatchObject(dest);
    }
  });

  it('writes a batch whose real-server requests are the requests encoded alone (the service nest repeated from the one before)', () => {
    const batch = new RequestEncoder(FAKE_FAMILY_ID, 64);
    const alone = (op: Operation): Buffer => Buffer.from(new RequestEncoder(FAKE_FAMILY_ID).operation(op));
    const reused = { family: AddressFamily.IPv4, protocol: Protocol.TCP, address: '10.0.0.1', port: 80 };
    const expected: Buffer[] = [];
    for (let i = 0; i < 400; i++) {
      const service = rng.int(0, 4) === 0 ? randomServiceKey() : i % 7 === 0 ? { ...reused, port: 80 + (i % 3) } : reused;
      const { key: destination, forwarding, weight } = randomDestination(true);
      const op: Operation = rng.pick([
        { op: 'addDestination', service, destination, options: { forwarding, weight } },
        { op: 'editDestination', service, destination, options: { weight } },
        { op: 'deleteDestination', service, destination },
      ] as const);
      if (rng.int(0, 9) === 0) {
        // a refused request leaves nothing behind, and the next one still encodes its service
        expect(() => batch.appendOperation({ op: 'addDestination', service, destination: { ...destination, port: 70000 } })).toThrow(IpvsValidationError);
      }
      expected.push(alone(op));
      batch.appendOperation(op);
      // the caller changes its key object afterwards: the next request must not copy the old bytes
      if (i % 50 === 49) reused.address = ipv4();
    }
    expect(Buffer.from(batch.view(0, batch.written))).toEqual(Buffer.concat(expected));
  });

  it('encodes daemon configurations that decode back', () => {
    const encoder = new RequestEncoder(FAKE_FAMILY_ID);
    for (let i = 0; i < 200; i++) {
      const config: DaemonConfig = {
        state: rng.pick([DaemonState.Master, DaemonState.Backup]), interface: `eth${rng.int(0, 99)}`, syncId: rng.int(0, 255),
        maxLength: rng.int(1, 65535), group: rng.bool() ? `239.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(0, 255)}` : `ff02::${rng.int(1, 0xffff).toString(16)}`,
        port: rng.int(1, 65535), ttl: rng.int(1, 255),
      };
      expect(decodeDaemonNest(requestNest(encoder.newDaemon(config), 3, 8))).toEqual(config);
      const daemon: Daemon = { ...config };
      expect(codec.decodeDaemon(only(daemonReply(i, daemon)))).toEqual(daemon);
    }
  });
});

describe('request encoding, byte for byte', () => {
  const encoder = new RequestEncoder(FAKE_FAMILY_ID);
  /** Our message with the recorded sequence number and port id. */
  const withHeader = (ours: Buffer, recorded: Buffer): Buffer => {
    const copy = Buffer.from(ours);
    recorded.copy(copy, 8, 8, 16);
    return copy;
  };

  it('matches every well-formed request the oracle captured', () => {
    let compared = 0;
    for (const { files } of oracleCaptures()) {
      const expectations: Array<[string, Buffer]> = [
        ['ctrl-getfamily-IPVS.hex', codec.encodeGetFamily('IPVS')],
        ['get-info.hex', encoder.getInfo()],
        ['get-config.hex', encoder.getConfig()],
        ['get-daemon.hex', encoder.dumpDaemons()],
        ['get-service.hex', encoder.dumpServices()],
        ['get-service-missing.hex', encoder.getService({ family: AddressFamily.IPv4, protocol: Protocol.TCP, address: '0.0.0.0', port: 1 })],
      ];
      for (const [file, ours] of expectations) {
        const recorded = files.get(file)!.request;
        expect(withHeader(ours, recorded).toString('hex')).toBe(recorded.toString('hex'));
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(16 * 6);
  });

  it('matches the DEST nest of the protocol notes §7.1 (ipvsadm -a ... -r 192.168.1.5:8080 -m -w 3 -x 100 -y 50)', () => {
    const service: ServiceKey = { family: AddressFamily.IPv4, protocol: Protocol.TCP, address: '10.0.0.1', port: 80 };
    const message = encoder.newDestination(service, { family: AddressFamily.IPv4, address: '192.168.1.5', port: 8080 }, {
      forwarding: ForwardingMethod.Masquerade, weight: 3, upperThreshold: 100, lowerThreshold: 50, tunnelType: TunnelType.IPIP, tunnelPort: 0, tunnelFlags: 0,
    });
    const doc = [
      '60000280', '06000b0002000000', '14000100c0a80105000000000000000000000000', '060002001f900000', '0800030000000000',
      '0800040003000000', '05000d0000000000', '06000e0000000000', '06000f0000000000', '0800050064000000', '0800060032000000',
    ].join('');
    const docWithoutNestedBit = doc.replace(/^60000280/, '60000200');
    // Our SERVICE nest carries only the identity (ipvsadm also sends unused scheduler/flags/timeout/netmask).
    const serviceNest = '30000100' + '0600010002000000' + '0600020006000000' + '140003000a000001000000000000000000000000' + '0600040000500000';
    expect(message.subarray(16, 20).toString('hex')).toBe('05010000');
    expect(message.subarray(20).toString('hex')).toBe(serviceNest + docWithoutNestedBit);
    expect(message.readUInt16LE(6)).toBe(0x0005);
  });

  it('differs from the oracle\'s unpadded GET_DEST captures only by attribute padding', () => {
    // The capture tool sent 2-byte attributes without padding; the kernel then saw a broken nest and
    // answered GET_DEST with an empty dump (and GET_SERVICE with EINVAL). Our requests are padded.
    const stripPadding = (message: Buffer): Buffer => {
      const parts = [message.subarray(0, 20)];
      const walk = (start: number, end: number, out: Buffer[]): void => {
        let p = start;
        while (p + 4 <= end) {
          const len = message.readUInt16LE(p);
          const type = message.readUInt16LE(p + 2);
          if (type === 1 && p === 20) {
            const inner: Buffer[] = [];
            walk(p + 4, p + len, inner);
            const body = Buffer.concat(inner);
            const header = Buffer.alloc(4);
            header.writeUInt16LE(body.length + 4, 0);
            header.writeUInt16LE(type, 2);
            out.push(header, body);
          } else {
            out.push(message.subarray(p, p + len));
          }
          p += (len + 3) & ~3;
        }
      };
      walk(20, message.length, parts);
      const unpadded = Buffer.concat(parts);
      const out = Buffer.concat([unpadded, Buffer.alloc(((unpadded.length + 3) & ~3) - unpadded.length)]);
      out.writeUInt32LE(out.length, 0);
      return out;
    };
    const recorded = oracleCaptures().find((c) => c.scenario === 'tcp-rr-basic')!.files.get('get-dest-1.hex')!.request;
    const ours = encoder.dumpDestinations({ family: AddressFamily.IPv4, protocol: Protocol.TCP, address: '192.0.2.1', port: 80 });
    expect(stripPadding(withHeader(ours, recorded)).toString('hex')).toBe(recorded.toString('hex'));
  });
});

describe('validation before sending', () => {
  const encoder = new RequestEncoder(FAKE_FAMILY_ID);
  const key: ServiceKey = { family: AddressFamily.IPv4, protocol: Protocol.TCP, address: '10.0.0.1', port: 80 };
  const options = { scheduler: 'rr', timeout: 0, netmask: '255.255.255.255', flags: 0 };
  const cases: Array<[string, () => unknown, string]> = [
    ['bad IPv4', () => encoder.newService({ ...key, address: '10.0.0.256' }, options), 'service.address'],
    ['IPv6 text for an IPv4 service', () => encoder.newService({ ...key, address: '::1' }, options), 'service.address'],
    ['port too big', () => encoder.newService({ ...key, port: 70000 }, options), 'service.port'],
    ['fractional port', () => encoder.newService({ ...key, port: 1.5 }, options), 'service.port'],
    ['fwmark 0', () => encoder.newService({ family: AddressFamily.IPv4, fwmark: 0 }, options), 'service.fwmark'],
    ['bad family', () => encoder.newService({ ...key, family: 7 as AddressFamily }, options), 'service.family'],
    ['scheduler too long', () => encoder.newService(key, { ...options, scheduler: 'abcdefghijklmnop' }), 'options.scheduler'],
    ['empty scheduler', () => encoder.newService(key, { ...options, scheduler: '' }), 'options.scheduler'],
    ['engine too long', () => encoder.newService(key, { ...options, persistenceEngine: 'x'.repeat(17) }), 'options.persistenceEngine'],
    ['bad netmask', () => encoder.newService(key, { ...options, netmask: '255.255.0' }), 'options.netmask'],
    ['IPv6 prefix 0', () => encoder.newService({ family: AddressFamily.IPv6, fwmark: 1 }, { ...options, netmask: 0 }), 'options.netmask'],
    ['negative weight', () => encoder.newDestination(key, { family: AddressFamily.IPv4, address: '10.0.0.2', port: 80 }, {
      forwarding: 0, weight: -1, upperThreshold: 0, lowerThreshold: 0, tunnelType: 0, tunnelPort: 0, tunnelFlags: 0,
    }), 'options.weight'],
    ['interface too long', () => encoder.newDaemon({ state: DaemonState.Master, interface: 'x'.repeat(16), syncId: 1 }), 'interface'],
    ['group not multicast', () => encoder.newDaemon({ state: DaemonState.Master, interface: 'eth0', syncId: 1, group: '10.0.0.1' }), 'group'],
    ['bad daemon state', () => encoder.delDaemon(3 as DaemonState), 'state'],
    ['timeout above u32', () => encoder.setConfig({ tcp: 2 ** 32 }), 'timeouts.tcp'],
  ];
  it.each(cases)('refuses %s', (_name, run, field) => {
    let error: unknown;
    try { run(); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(IpvsValidationError);
    expect((error as IpvsValidationError).field).toBe(field);
  });

  it('leaves nothing behind after a refused object', () => {
    const e = new RequestEncoder(FAKE_FAMILY_ID);
    const first = Buffer.from(e.getInfo());
    expect(() => e.newService({ ...key, address: 'x' }, options)).toThrow(IpvsValidationError);
    const next = e.getInfo();
    expect(next.equals(first)).toBe(true);
  });
});
