import { errnoCode, IpvsError, ipvsadmMessage, strerror } from './internals';

describe('ipvsadm messages (reference §13)', () => {
  it.each([
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
  ] as const)('%s errno %d → %s', (operation, errno, message) => {
    expect(ipvsadmMessage(operation, errno)).toBe(message);
    const error = new IpvsError(errno, operation, undefined);
    expect(error.message).toBe(message);
    expect(error.code).toBe(errnoCode(errno));
    expect(error.detail.length).toBeGreaterThan(0);
  });

  it('names errnos like glibc', () => {
    expect(errnoCode(17)).toBe('EEXIST');
    expect(strerror(110)).toBe('Connection timed out');
  });
});
