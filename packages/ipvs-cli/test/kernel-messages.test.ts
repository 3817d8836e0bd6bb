import { IpvsError } from '@tsipvs/ipvs-core';
import { messageOf } from '../src/errors';
import { ipvsadmMessage } from '../src/kernel-messages';

describe("ipvsadm's texts for kernel refusals", () => {
  test('by operation and errno, then generic, then strerror', () => {
    expect(ipvsadmMessage('addService', 17)).toBe('Service already exists');
    expect(ipvsadmMessage('flush', 1)).toBe('Permission denied (you must be root)');
    expect(ipvsadmMessage('flush', 19)).toBe('No such device');
    expect(ipvsadmMessage('resolveFamily', 2)).toBe('IPVS is not available in this kernel: load the ip_vs module');
  });

  test("an IpvsError prints ipvsadm's text whatever its own message says", () => {
    const error = new IpvsError(3, 'deleteDestination');
    Object.defineProperty(error, 'message', { value: 'the library’s own words' });
    expect(messageOf(error)).toBe('Service not defined');
    expect(messageOf(new Error('other'))).toBe('other');
  });
});
