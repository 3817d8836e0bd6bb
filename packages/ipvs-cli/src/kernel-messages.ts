/**
 * ipvsadm's texts for the kernel's refusals (libipvs ipvs_strerror), by operation and errno, and our
 * own words for failed exchanges with the kernel (which ipvsadm, blocking on its socket, never has).
 */
import { strerror, type IpvsOperation } from '@tsipvs/ipvs-core';

const EPERM = 1;
const ENOENT = 2;
const ESRCH = 3;
const ENOMEM = 12;
const EEXIST = 17;
const EINVAL = 22;
const EIO = 5;
const EBADF = 9;
const EMSGSIZE = 90;
const EPROTO = 71;
const ENOBUFS = 105;
const ETIMEDOUT = 110;
const ECANCELED = 125;
const ENOPROTOOPT = 92;
const EOPNOTSUPP = 95;
const EAFNOSUPPORT = 97;

/** ipvsadm's own messages for one operation's errnos (per-call rows of ipvs_strerror). */
const OPERATION_MESSAGES: Partial<Record<IpvsOperation, Partial<Record<number, string>>>> = {
  addService: { [EEXIST]: 'Service already exists', [ENOENT]: 'Scheduler or persistence engine not found' },
  editService: { [ESRCH]: 'No such service', [ENOENT]: 'Scheduler or persistence engine not found' },
  deleteService: { [ESRCH]: 'No such service' },
  zero: { [ESRCH]: 'No such service' },
  addDestination: { [ESRCH]: 'Service not defined', [EEXIST]: 'Destination already exists' },
  editDestination: { [ESRCH]: 'Service not defined', [ENOENT]: 'No such destination' },
  deleteDestination: { [ESRCH]: 'Service not defined', [ENOENT]: 'No such destination' },
  startDaemon: { [EEXIST]: 'Daemon has already run' },
  stopDaemon: { [ESRCH]: 'No daemon is running' },
  getDestinations: { [ESRCH]: 'No such service' },
  getService: { [ESRCH]: 'No such service' },
};

/** ipvsadm's messages that apply to every operation. */
const GENERIC_MESSAGES: Partial<Record<number, string>> = {
  [EPERM]: 'Permission denied (you must be root)',
  [EINVAL]: 'Invalid operation.  Possibly wrong module version, address not unicast, ...',
  [ENOPROTOOPT]: 'Protocol not available',
  [ENOMEM]: 'Memory allocation problem',
  [EOPNOTSUPP]: 'Operation not supported with IPv6',
  [EAFNOSUPPORT]: 'Operation not supported with specified address family',
  [EMSGSIZE]: 'Module is wrong version',
};

/** No IPVS generic netlink family: the ip_vs module is not loaded. */
const FAMILY_MISSING_MESSAGE = 'IPVS is not available in this kernel: load the ip_vs module';

/** The text ipvsadm prints when `operation` fails with `errno`. */
export function ipvsadmMessage(operation: IpvsOperation, errno: number): string {
  if (operation === 'resolveFamily' && errno === ENOENT) return FAMILY_MISSING_MESSAGE;
  return OPERATION_MESSAGES[operation]?.[errno] ?? GENERIC_MESSAGES[errno] ?? strerror(errno);
}

/**
 * A failed exchange with the kernel (an `IpvsTransportError`), by its errno: not a refusal, so not
 * ipvsadm's per-operation texts (EMSGSIZE there means "Module is wrong version").
 */
const TRANSPORT_MESSAGES: Partial<Record<number, string>> = {
  [ETIMEDOUT]: 'No reply from the kernel in time',
  [ENOBUFS]: 'Replies from the kernel were lost (netlink receive buffer overflow)',
  [EMSGSIZE]: 'Message too long for the netlink socket',
  [EPROTO]: 'Unreadable reply from the kernel',
  [ECANCELED]: 'Stopped before the kernel answered',
  [EBADF]: 'The netlink socket was closed',
  [EIO]: 'Netlink socket error: Input/output error',
};

/** The text for a failed exchange with the kernel whose errno is `errno`. */
export function transportMessage(errno: number): string {
  return TRANSPORT_MESSAGES[errno] ?? `Netlink socket error: ${strerror(errno)}`;
}
