import { Errno, errnoCode, strerror } from './errno';
import { describeObject } from './describe';

/** What an `IpvsError` reports as its operation: an `IpvsApi` method name, or a setup step. */
export type IpvsOperation =
  | 'resolveFamily' | 'getInfo' | 'getTimeouts' | 'setTimeouts'
  | 'getServices' | 'getService' | 'addService' | 'editService' | 'deleteService'
  | 'getDestinations' | 'addDestination' | 'editDestination' | 'deleteDestination'
  | 'zero' | 'flush' | 'getDaemons' | 'startDaemon' | 'stopDaemon';

/**
 * A refusal by the kernel (or a failed exchange with it) of one IPVS operation. Programs that print
 * their own texts (the CLI prints ipvsadm's) key them on `operation` and `errno`.
 */
export class IpvsError extends Error {
  override readonly name: string = 'IpvsError';
  /** Positive errno, e.g. 17. */
  readonly errno: number;
  /** Symbolic errno, e.g. 'EEXIST'. */
  readonly code: string;
  readonly operation: IpvsOperation;
  /** The key/options the operation was about (undefined for global operations). */
  readonly object: unknown;

  /** `message` says what happened in the library's words, naming the object (`explain` unless given). */
  constructor(errno: number, operation: IpvsOperation, object?: unknown, message?: string) {
    super(message ?? explain(errno, operation, object));
    this.errno = errno;
    this.code = errnoCode(errno);
    this.operation = operation;
    this.object = object;
  }
}

/**
 * An operation the kernel gave no answer about, because the exchange with it failed (a missed
 * deadline, a socket error such as ENOBUFS, EIO or EMSGSIZE, a closed socket, a reply that could not
 * be read) or because a batch was stopped: not a refusal. `sent` false: it never reached the kernel,
 * so it was not carried out; true: it may or may not have been. `failure` is the transport's error
 * (or the reason the batch was stopped); `errno` is its errno (EPROTO for an unreadable reply,
 * ECANCELED for a stop).
 */
export class IpvsTransportError extends IpvsError {
  override readonly name: string = 'IpvsTransportError';
  readonly sent: boolean;
  readonly failure: Error;

  constructor(operation: IpvsOperation, object: unknown, sent: boolean, failure: Error) {
    const about = subject(operation, object);
    const what = sent ? 'no answer from the kernel, it may or may not have been carried out' : 'not sent';
    super(failureErrno(failure), operation, object, `${about}: ${what} (${failure.message})`);
    this.sent = sent;
    this.failure = failure;
  }
}

/** A reply the decoder could not make sense of (truncated, bad lengths, missing attributes). */
export class IpvsProtocolError extends Error {
  override readonly name = 'IpvsProtocolError';
  readonly code = 'EPROTO';
}

/** An argument refused before anything was sent to the kernel. */
export class IpvsValidationError extends Error {
  override readonly name = 'IpvsValidationError';
  readonly code = 'EINVAL';
  /** Which field was wrong, e.g. 'service.address'. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

/** A failure reported by the netlink layer (kernel errno, deadline, socket error), before it is tied to an operation. */
export class NetlinkError extends Error {
  override readonly name: string = 'NetlinkError';
  readonly errno: number;
  constructor(errno: number, message?: string) {
    super(message ?? `${errnoCode(errno)}: ${strerror(errno)}`);
    this.errno = errno;
  }
}

/**
 * A failure of the exchange itself, not the kernel's answer: a missed deadline, a socket error, a
 * closed socket. What was in flight may or may not have been carried out.
 */
export class NetlinkTransportError extends NetlinkError {
  override readonly name: string = 'NetlinkTransportError';
}

/** The errno of a transport failure: its own, EPROTO for an unreadable reply, ECANCELED for a stop, else EIO. */
export function failureErrno(failure: unknown): number {
  if (failure instanceof NetlinkError) return failure.errno;
  if (failure instanceof IpvsProtocolError) return Errno.EPROTO;
  if (failure instanceof Error && failure.name === 'AbortError') return Errno.ECANCELED;
  return Errno.EIO;
}

/** The error a failed request of `operation` becomes: a refusal (IpvsError), or a failed exchange (IpvsTransportError). */
export function operationError(error: NetlinkError, operation: IpvsOperation, object: unknown): IpvsError {
  return error instanceof NetlinkTransportError ? new IpvsTransportError(operation, object, true, error) : new IpvsError(error.errno, operation, object);
}

function subject(operation: IpvsOperation, object: unknown): string {
  const what = describeObject(object);
  return what ? `${operation} ${what}` : operation;
}

function explain(errno: number, operation: IpvsOperation, object: unknown): string {
  const about = subject(operation, object);
  switch (errno) {
    case Errno.EPERM:
      return `${about}: the IPVS netlink interface requires CAP_NET_ADMIN in the initial user namespace (run as root)`;
    case Errno.EEXIST:
      if (operation === 'startDaemon') return `${about}: a sync daemon in that state is already running`;
      return `${about}: it already exists`;
    case Errno.ESRCH:
      if (operation === 'stopDaemon') return `${about}: no sync daemon in that state is running`;
      return `${about}: the service does not exist`;
    case Errno.ENOENT:
      if (operation === 'resolveFamily') return 'the generic netlink family "IPVS" is not registered: the ip_vs kernel module is not loaded (modprobe ip_vs)';
      if (operation === 'addService' || operation === 'editService') {
        return `${about}: the kernel has no such scheduler or persistence engine (no ip_vs_<name> module)`;
      }
      return `${about}: the real server is not part of the service`;
    case Errno.EINVAL:
      return `${about}: the kernel refused the request as invalid (real server address not unicast, ` +
        'mixed address families without tunnel forwarding or with a sync daemon running, GUE tunnel without port, ' +
        'IPv6 prefix outside 1..128, timeout too large, bad daemon state or multicast group)';
    case Errno.ERANGE:
      return `${about}: weight is negative or the lower threshold is above the upper threshold`;
    case Errno.ENODEV:
      return `${about}: the network interface does not exist`;
    case Errno.EAFNOSUPPORT:
      return `${about}: the address family is not supported (is IPv6 disabled?)`;
    case Errno.ETIMEDOUT:
      return `${about}: no reply from the kernel before the deadline`;
    case Errno.EMSGSIZE:
      return `${about}: the netlink message was too long for the socket or the kernel`;
    case Errno.ENOBUFS:
      return `${about}: the netlink socket's receive buffer overflowed; replies were lost`;
    case Errno.ECANCELED:
      return `${about}: the client was closed before the kernel answered`;
    default:
      return `${about}: ${strerror(errno)}`;
  }
}
