import { IpvsError, IpvsProtocolError, IpvsTransportError } from '@tsipvs/ipvs-core';
import { messageOf } from '../src/errors';
import { ipvsadmMessage, transportMessage } from '../src/kernel-messages';

describe("ipvsadm's texts for kernel refusals", () => {
  test.each([
    ['addService', 17, 'Service already exists'],
    ['addService', 2, 'Scheduler or persistence engine not found'],
    ['editService', 2, 'Scheduler or persistence engine not found'],
    ['editService', 3, 'No such service'],
    ['deleteService', 3, 'No such service'],
    ['zero', 3, 'No such service'],
    ['getService', 3, 'No such service'],
    ['addDestination', 3, 'Service not defined'],
    ['addDestination', 17, 'Destination already exists'],
    ['addDestination', 2, 'No such file or directory'],
    ['editDestination', 3, 'Service not defined'],
    ['editDestination', 2, 'No such destination'],
    ['deleteDestination', 2, 'No such destination'],
    ['startDaemon', 17, 'Daemon has already run'],
    ['stopDaemon', 3, 'No daemon is running'],
    ['getServices', 3, 'No such process'],
    ['flush', 1, 'Permission denied (you must be root)'],
    ['addService', 22, 'Invalid operation.  Possibly wrong module version, address not unicast, ...'],
    ['addService', 92, 'Protocol not available'],
    ['addService', 12, 'Memory allocation problem'],
    ['getInfo', 95, 'Operation not supported with IPv6'],
    ['addService', 97, 'Operation not supported with specified address family'],
    ['addService', 90, 'Module is wrong version'],
    ['startDaemon', 19, 'No such device'],
    ['addDestination', 34, 'Numerical result out of range'],
    ['resolveFamily', 2, 'IPVS is not available in this kernel: load the ip_vs module'],
    ['getInfo', 4242, 'Unknown error 4242'],
  ] as const)('%s errno %d: by operation, then generic, then strerror: %s', (operation, errno, text) => {
    expect(ipvsadmMessage(operation, errno)).toBe(text);
  });

  test("an IpvsError prints ipvsadm's text whatever its own message says", () => {
    const error = new IpvsError(3, 'deleteDestination');
    Object.defineProperty(error, 'message', { value: 'the library’s own words' });
    expect(messageOf(error)).toBe('Service not defined');
    expect(messageOf(new Error('other'))).toBe('other');
  });
});

describe('failed exchanges with the kernel have words of their own', () => {
  test.each([
    [110, 'No reply from the kernel in time'],
    [105, 'Replies from the kernel were lost (netlink receive buffer overflow)'],
    [90, 'Message too long for the netlink socket'],
    [71, 'Unreadable reply from the kernel'],
    [125, 'Stopped before the kernel answered'],
    [9, 'The netlink socket was closed'],
    [5, 'Netlink socket error: Input/output error'],
    [111, 'Netlink socket error: Connection refused'],
  ] as const)('errno %d: %s', (errno, text) => {
    expect(transportMessage(errno)).toBe(text);
  });

  test('an IpvsTransportError is never read as a refusal (EMSGSIZE is not "Module is wrong version")', () => {
    const error = new IpvsTransportError('addService', undefined, true, new IpvsProtocolError('bad netlink message length'));
    expect(error.errno).toBe(71);
    expect(messageOf(error)).toBe('Unreadable reply from the kernel');
    expect(error.message).toBe('addService: no answer from the kernel, it may or may not have been carried out (bad netlink message length)');
  });
});
