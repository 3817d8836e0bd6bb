import { AddressFamily, errnoCode, IpvsError, Protocol, strerror } from './internals';

const SERVICE = { family: AddressFamily.IPv4, protocol: Protocol.TCP, address: '10.0.0.1', port: 80 };

describe('IpvsError', () => {
  it.each([
    ['addService', 17, { service: SERVICE }, 'addService service TCP 10.0.0.1:80: it already exists'],
    ['deleteService', 3, { service: SERVICE }, 'deleteService service TCP 10.0.0.1:80: the service does not exist'],
    ['addService', 2, { service: SERVICE }, 'addService service TCP 10.0.0.1:80: the kernel has no such scheduler or persistence engine (no ip_vs_<name> module)'],
    ['deleteDestination', 2, { service: SERVICE, destination: { family: AddressFamily.IPv4, address: '10.0.0.2', port: 80 } },
      'deleteDestination real server 10.0.0.2:80 of service TCP 10.0.0.1:80: the real server is not part of the service'],
    ['stopDaemon', 3, { state: 1 }, 'stopDaemon master sync daemon: no sync daemon in that state is running'],
    ['flush', 1, undefined, 'flush: the IPVS netlink interface requires CAP_NET_ADMIN in the initial user namespace (run as root)'],
    ['resolveFamily', 2, undefined, 'the generic netlink family "IPVS" is not registered: the ip_vs kernel module is not loaded (modprobe ip_vs)'],
    ['addService', 90, undefined, 'addService: the netlink message was too long for the socket or the kernel'],
    ['getInfo', 4242, undefined, 'getInfo: Unknown error 4242'],
  ] as const)('%s errno %d says what happened in the library\'s words', (operation, errno, object, message) => {
    const error = new IpvsError(errno, operation, object);
    expect(error.message).toBe(message);
    expect(error.errno).toBe(errno);
    expect(error.code).toBe(errnoCode(errno));
    expect(error.operation).toBe(operation);
    expect(error.object).toBe(object);
  });

  it('names errnos like glibc', () => {
    expect(errnoCode(17)).toBe('EEXIST');
    expect(errnoCode(4242)).toBe('E4242');
    expect(strerror(110)).toBe('Connection timed out');
  });
});
