import * as net from 'node:net';
import { AddressFamily, familyOf, formatNodeIPv6, netmaskToPrefix, normalizeAddress, prefixToNetmask, writeAddress } from './internals';
import { random } from './support';

describe('addresses by Node\'s rules', () => {
  it('formats IPv6 exactly like Node (net.SocketAddress) for random and edge-case addresses', () => {
    const rng = random(1);
    const samples: Uint8Array[] = [];
    for (let i = 0; i < 3000; i++) {
      const bytes = new Uint8Array(16);
      // Mostly zero groups, to exercise "::" placement and embedded IPv4 forms.
      for (let w = 0; w < 8; w++) if (rng.int(0, 2) === 0) { bytes[2 * w] = rng.int(0, 255); bytes[2 * w + 1] = rng.int(0, 255); }
      if (rng.int(0, 9) === 0) { bytes.fill(0, 0, 10); bytes[10] = 0xff; bytes[11] = 0xff; }
      samples.push(bytes);
    }
    for (const bytes of samples) {
      const ours = formatNodeIPv6(bytes, 0);
      const node = new net.SocketAddress({ address: ours, family: 'ipv6' }).address;
      expect(ours).toBe(node);
      const back = new Uint8Array(16);
      expect(writeAddress(AddressFamily.IPv6, ours, back, 0)).toBe(true);
      expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('accepts what net.isIPv4/isIPv6 accept and rejects the rest', () => {
    const cases = ['1.2.3.4', '255.255.255.255', '0.0.0.0', '01.2.3.4', '1.2.3', '1.2.3.4.5', '256.1.1.1', '', '::', '::1',
      '2001:db8::1', '2001:DB8:0:0:0:0:0:1', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1::2::3', ':1', '1:', '::ffff:1.2.3.4',
      '::1.2.3.4', '1:2:3:4:5:6:1.2.3.4', 'fe80::1%eth0', 'abcd', 'g::1', '12345::1', '1.2.3.4 '];
    for (const text of cases) {
      const expected = net.isIPv4(text) ? AddressFamily.IPv4 : net.isIPv6(text) && !text.includes('%') ? AddressFamily.IPv6 : undefined;
      expect([text, familyOf(text)]).toEqual([text, expected]);
    }
    expect(normalizeAddress('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
  });

  it('converts netmasks and prefixes', () => {
    expect(netmaskToPrefix('255.255.255.0')).toBe(24);
    expect(netmaskToPrefix('255.0.255.0')).toBeUndefined();
    expect(prefixToNetmask(0)).toBe('0.0.0.0');
    expect(prefixToNetmask(32)).toBe('255.255.255.255');
    for (let p = 0; p <= 32; p++) expect(netmaskToPrefix(prefixToNetmask(p))).toBe(p);
  });
});
