import { checkAdvert, decodeAdvert, encodeAdvert, VrrpPacketError, type AdvertExpectation, type ReceivedAdvert } from '../src/vrrp/packet';

/** An IPv4 header as the kernel writes it in front of a VRRP message (its own checksum is not checked by us). */
function ipHeader(source: number[], destination: number[], payloadLength: number, ttl = 255, protocol = 112): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payloadLength, 2);
  h[8] = ttl;
  h[9] = protocol;
  Buffer.from(source).copy(h, 12);
  Buffer.from(destination).copy(h, 16);
  return h;
}

const OPERATOR = { version: 2 as const, vrid: 50, priority: 100, intervalCs: 100, addresses: ['10.0.0.100'], auth: { type: 'pass' as const, password: '1111' } };
const MULTICAST = { source: '10.0.0.200', destination: '233.6.6.6' };

describe('VRRP version 2 adverts (RFC 3768 5.1)', () => {
  test('the operator\'s instance, byte for byte: version/type, VRID, priority, count, auth type, interval, checksum, address, password', () => {
    // checksum by hand: 0x2132 + 0x6401 + 0x0101 + 0x0a00 + 0x0064 + 0x3131 + 0x3131 = 0xf2fa, complement 0x0d05
    expect(encodeAdvert(OPERATOR, MULTICAST).toString('hex')).toBe('21326401' + '01010d05' + '0a000064' + '31313131' + '00000000');
  });

  test('no authentication: type 0 and eight zero bytes', () => {
    const bytes = encodeAdvert({ ...OPERATOR, auth: { type: 'none' } }, MULTICAST);
    expect(bytes[4]).toBe(0);
    expect(bytes.subarray(12).equals(Buffer.alloc(8))).toBe(true);
  });

  test('a password longer than 8 characters is cut to 8, as keepalived does', () => {
    const bytes = encodeAdvert({ ...OPERATOR, auth: { type: 'pass', password: 'abcdefghij' } }, MULTICAST);
    expect(bytes.subarray(12).toString('latin1')).toBe('abcdefgh');
  });

  test('round trip through an IP datagram', () => {
    const message = encodeAdvert({ ...OPERATOR, addresses: ['10.0.0.100', '10.0.0.101'] }, MULTICAST);
    const r = decodeAdvert(Buffer.concat([ipHeader([10, 0, 0, 200], [233, 6, 6, 6], message.length), message]), 2);
    expect(r).toEqual({
      ok: true,
      advert: { version: 2, vrid: 50, priority: 100, intervalCs: 100, addresses: ['10.0.0.100', '10.0.0.101'], auth: { type: 'pass', password: '1111' }, source: '10.0.0.200', destination: '233.6.6.6', ttl: 255 },
    });
  });

  test('refuses what version 2 cannot carry', () => {
    expect(() => encodeAdvert({ ...OPERATOR, intervalCs: 50 }, MULTICAST)).toThrow(VrrpPacketError);
    expect(() => encodeAdvert({ ...OPERATOR, vrid: 0 }, MULTICAST)).toThrow('virtual_router_id 0 is not 1-255');
    expect(() => encodeAdvert({ ...OPERATOR, addresses: ['10.0.0'] }, MULTICAST)).toThrow('"10.0.0" is not an IPv4 address');
  });
});

describe('VRRP version 3 adverts (RFC 5798 5.1)', () => {
  const V3 = { version: 3 as const, vrid: 7, priority: 200, intervalCs: 100, addresses: ['192.0.2.1'] };

  test('interval in centiseconds, no authentication, checksum over the IPv4 pseudo-header', () => {
    const bytes = encodeAdvert(V3, { source: '192.0.2.10', destination: '224.0.0.18' });
    expect(bytes.length).toBe(12);
    expect(bytes.subarray(0, 6).toString('hex')).toBe('3107c8010064');
    // pseudo-header c000 020a e000 0012 0070 000c + message 3107 c801 0064 c000 0201 = 0x3_5e05 -> 0x5e08, complement 0xa1f7
    expect(bytes.readUInt16BE(6)).toBe(0xa1f7);
    const other = encodeAdvert(V3, { source: '192.0.2.11', destination: '224.0.0.18' });
    expect(other.readUInt16BE(6)).not.toBe(0xa1f7);
  });

  test('round trip; a datagram from another source fails the checksum', () => {
    const message = encodeAdvert(V3, { source: '192.0.2.10', destination: '224.0.0.18' });
    const good = decodeAdvert(Buffer.concat([ipHeader([192, 0, 2, 10], [224, 0, 0, 18], 12), message]), 3);
    expect(good.ok && good.advert).toMatchObject({ version: 3, vrid: 7, priority: 200, intervalCs: 100, addresses: ['192.0.2.1'] });
    const moved = decodeAdvert(Buffer.concat([ipHeader([192, 0, 2, 11], [224, 0, 0, 18], 12), message]), 3);
    expect(moved).toMatchObject({ ok: false, reason: 'checksum' });
  });

  test('sub-second intervals', () => {
    const message = encodeAdvert({ ...V3, intervalCs: 25 }, { source: '192.0.2.10', destination: '224.0.0.18' });
    const r = decodeAdvert(Buffer.concat([ipHeader([192, 0, 2, 10], [224, 0, 0, 18], 12), message]), 3);
    expect(r.ok && r.advert.intervalCs).toBe(25);
  });
});

describe('receive checks', () => {
  const message = encodeAdvert(OPERATOR, MULTICAST);
  const datagram = (over: { ttl?: number; protocol?: number; bytes?: Buffer } = {}) =>
    Buffer.concat([ipHeader([10, 0, 0, 200], [233, 6, 6, 6], message.length, over.ttl, over.protocol), over.bytes ?? message]);

  test('TTL other than 255, another protocol, a version not configured, truncation, a flipped bit: dropped with the reason', () => {
    expect(decodeAdvert(datagram({ ttl: 254 }), 2)).toMatchObject({ ok: false, reason: 'ttl' });
    expect(decodeAdvert(datagram({ protocol: 6 }), 2)).toMatchObject({ ok: false, reason: 'not-vrrp' });
    expect(decodeAdvert(datagram(), 3)).toMatchObject({ ok: false, reason: 'version' });
    expect(decodeAdvert(datagram().subarray(0, 30), 2)).toMatchObject({ ok: false, reason: 'length' });
    const flipped = Buffer.from(message);
    flipped.writeUInt8(flipped.readUInt8(2) ^ 1, 2);
    expect(decodeAdvert(datagram({ bytes: flipped }), 2)).toMatchObject({ ok: false, reason: 'checksum' });
  });

  const received = (): ReceivedAdvert => {
    const r = decodeAdvert(datagram(), 2);
    if (!r.ok) throw new Error(r.detail);
    return r.advert;
  };
  const ours: AdvertExpectation = { vrid: 50, version: 2, auth: { type: 'pass', password: '1111' }, intervalCs: 100, addresses: ['10.0.0.100'] };

  test('an advert matching the instance passes', () => {
    expect(checkAdvert(received(), ours).ok).toBe(true);
  });

  test('wrong VRID, authentication type, password, interval or address list: dropped, each with its reason', () => {
    expect(checkAdvert(received(), { ...ours, vrid: 51 })).toMatchObject({ reason: 'vrid' });
    expect(checkAdvert(received(), { ...ours, auth: { type: 'none' } })).toMatchObject({ reason: 'auth-type' });
    expect(checkAdvert(received(), { ...ours, auth: { type: 'pass', password: '2222' } })).toMatchObject({ reason: 'auth', detail: 'wrong password from 10.0.0.200' });
    expect(checkAdvert(received(), { ...ours, intervalCs: 200 })).toMatchObject({ reason: 'interval' });
    expect(checkAdvert(received(), { ...ours, addresses: ['10.0.0.101'] })).toMatchObject({ reason: 'addresses' });
  });

  test('vrrp_skip_check_adv_addr: the master heard last is not checked for its address list, another sender is', () => {
    expect(checkAdvert(received(), { ...ours, addresses: ['10.0.0.101'], skipAddressCheckFrom: '10.0.0.200' }).ok).toBe(true);
    expect(checkAdvert(received(), { ...ours, addresses: ['10.0.0.101'], skipAddressCheckFrom: '10.0.0.201' })).toMatchObject({ reason: 'addresses' });
  });
});
