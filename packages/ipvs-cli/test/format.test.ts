import { AddressFamily, type Destination } from '@tsipvs/ipvs-core';
import { largeNumber } from '../src/format/numbers';
import { mergeSort, sortDestinations } from '../src/format/sort';
import { canonicalAddress } from '../src/net/address';
import { formatGlibcIPv4, inetAton, parseGlibcDottedQuad } from '../src/net/glibc-ipv4';
import { formatGlibcIPv6, parseGlibcIPv6 } from '../src/net/glibc-ipv6';

test('number abbreviation follows ipvsadm (reference §7.7)', () => {
  expect(largeNumber(99_999_999n, false)).toBe(' 99999999');
  expect(largeNumber(100_000_000n, false)).toBe('  100000K');
  expect(largeNumber(999_999_999n, false)).toBe('  999999K');
  expect(largeNumber(1_234_567_890n, false)).toBe('    1234M');
  expect(largeNumber(100_000_000_000n, false)).toBe('     100G');
  expect(largeNumber(99_999_999_999_999n, false)).toBe('   99999G');
  expect(largeNumber(100_000_000_000_000n, false)).toBe('     100T');
  expect(largeNumber(18_446_744_073_709_551_615n, false)).toBe('18446744T');
  expect(largeNumber(1_234_567_890n, true)).toBe(' 1234567890');
  expect(largeNumber(5n, true)).toBe('        5');
});

function destination(address: string, port = 80): Destination {
  return { key: { family: AddressFamily.IPv4, address, port } } as Destination;
}

test('sorting wraps like a 32-bit subtraction and follows glibc merge order', () => {
  const kernelOrder = ['10.0.0.1', '192.168.5.5', '9.9.9.9', '200.0.0.1'].map((a) => destination(a));
  expect(sortDestinations(kernelOrder).map((d) => d.key.address)).toEqual(['192.168.5.5', '200.0.0.1', '9.9.9.9', '10.0.0.1']);
  const wrapped = ['127.0.0.9', '255.255.255.254', '192.0.2.2', '127.255.255.253', '0.0.0.7'].reverse().map((a) => destination(a));
  expect(sortDestinations(wrapped).map((d) => d.key.address)).toEqual(['192.0.2.2', '255.255.255.254', '0.0.0.7', '127.0.0.9', '127.255.255.253']);
  expect(mergeSort([3, 1, 2, 1], (a, b) => a - b)).toEqual([1, 1, 2, 3]);
});

test('inet_aton shorthands and IPv6 text forms', () => {
  expect(inetAton('10.1')).toBe(0x0a000001);
  expect(inetAton('0x0a000001')).toBe(0x0a000001);
  expect(inetAton('33')).toBe(33);
  expect(inetAton('010.0.0.1')).toBe(0x08000001);
  expect(inetAton('256.1.1.1')).toBeUndefined();
  expect(formatGlibcIPv6(parseGlibcIPv6('2001:0db8:0000:0000:0000:0000:0000:00ff')!)).toBe('2001:db8::ff');
  expect(formatGlibcIPv6(parseGlibcIPv6('::ffff:192.0.2.1')!)).toBe('::ffff:192.0.2.1');
  expect(formatGlibcIPv6(parseGlibcIPv6('::1')!)).toBe('::1');
  expect(parseGlibcIPv6('2001:db8::1:80:1:2:3:4')).toBeUndefined();
});

test('an IPv4 address already canonical is kept as it is; any other is parsed and written again', () => {
  const rng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const next = rng(7);
  const octet = () => Math.floor(next() * 256);
  for (let i = 0; i < 2000; i++) {
    const value = ((octet() << 24) | (octet() << 16) | (octet() << 8) | octet()) >>> 0;
    const text = formatGlibcIPv4(value);
    expect(canonicalAddress(AddressFamily.IPv4, text)).toBe(text);
    expect(parseGlibcDottedQuad(text)).toBe(value);
  }
  // forms the shortcut must not take (leading zeros, shorthands, hex, out of range) are parsed and written again
  for (const text of ['010.0.0.1', '10.1', '0x0a.0.0.1', '10.0.0.256', '10.0.00.1', '1.2.3.4 ', 'a.b.c.d']) {
    const value = parseGlibcDottedQuad(text);
    expect(canonicalAddress(AddressFamily.IPv4, text)).toBe(value === undefined ? text : formatGlibcIPv4(value));
  }
  expect(canonicalAddress(AddressFamily.IPv4, '10.0.00.1')).toBe('10.0.0.1');
});
