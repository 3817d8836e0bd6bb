import type {
  Daemon, DaemonConfig, DaemonState, Destination, DestinationKey, DestinationOptions, Info, Service, ServiceKey,
  ServiceOptions, Timeouts,
} from './model';

/** Result of one batch operation. */
export type BatchResult = { ok: true } | { ok: false; error: Error };

/** How a batch runs (see `IpvsApi.batch`). */
export interface BatchOptions {
  /**
   * Stops the batch: nothing more is sent once it is aborted (those operations fail with an
   * `IpvsTransportError` whose `sent` is false); operations already sent are still answered.
   */
  readonly signal?: AbortSignal;
}

/**
 * One change of a batch (see `IpvsApi.batch`): the arguments of the method of the same name. Settings
 * left out get their defaults, as in the method calls.
 */
export type Operation =
  | { readonly op: 'addService'; readonly service: ServiceKey; readonly options?: ServiceOptions | undefined }
  | { readonly op: 'editService'; readonly service: ServiceKey; readonly options: ServiceOptions }
  | { readonly op: 'deleteService'; readonly service: ServiceKey }
  | {
    readonly op: 'addDestination'; readonly service: ServiceKey; readonly destination: DestinationKey;
    readonly options?: DestinationOptions | undefined;
  }
  | { readonly op: 'editDestination'; readonly service: ServiceKey; readonly destination: DestinationKey; readonly options: DestinationOptions }
  | { readonly op: 'deleteDestination'; readonly service: ServiceKey; readonly destination: DestinationKey };

/**
 * The operations of a batch, read by index (an array will do). A large batch may make each one on
 * demand, so that they need not all exist at once; an operation may be asked for more than once.
 */
export interface OperationList {
  readonly length: number;
  at(index: number): Operation | undefined;
}

/**
 * The public surface of the IPVS client: flat, typed, promise-based. Every method talks to the
 * kernel of the caller's network namespace; kernel refusals reject with an `IpvsError`.
 */
export interface IpvsApi {
  getInfo(): Promise<Info>;
  getTimeouts(): Promise<Timeouts>;
  /** Fields left 0 or absent keep their current value (kernel rule). */
  setTimeouts(timeouts: Partial<Timeouts>): Promise<void>;

  getServices(): Promise<Service[]>;
  getService(key: ServiceKey): Promise<Service>;
  /** Settings left out get ipvsadm's defaults (scheduler wlc, no persistence: see `ServiceOptions`). */
  addService(key: ServiceKey, options?: ServiceOptions): Promise<void>;
  /**
   * Replaces every setting of the service (SET_SERVICE, like `ipvsadm -E`): settings left out go
   * back to their defaults, not to their current values.
   */
  editService(key: ServiceKey, options: ServiceOptions): Promise<void>;
  deleteService(key: ServiceKey): Promise<void>;

  /** Real servers of one service, in kernel order (newest first). Empty for a missing service. */
  getDestinations(service: ServiceKey): Promise<Destination[]>;
  /**
   * The same real servers, each shown to `visit` as it is read, through one view of the received
   * bytes that is valid only during that call (no object per real server: for listings of large
   * tables). Copy whatever must outlive the call. Rejects like `getDestinations`; once `visit`
   * throws it is called no more, and the call rejects with its error.
   */
  visitDestinations(service: ServiceKey, visit: (destination: Destination) => void): Promise<void>;
  /** Settings left out get ipvsadm's defaults (direct routing, weight 1: see `DestinationOptions`). */
  addDestination(service: ServiceKey, destination: DestinationKey, options?: DestinationOptions): Promise<void>;
  /**
   * Replaces every setting of the real server (SET_DEST, like `ipvsadm -e`): settings left out go
   * back to their defaults, not to their current values.
   */
  editDestination(service: ServiceKey, destination: DestinationKey, options: DestinationOptions): Promise<void>;
  deleteDestination(service: ServiceKey, destination: DestinationKey): Promise<void>;

  /** Zero the counters of one service, or of everything (and the global totals) when omitted. */
  zero(service?: ServiceKey): Promise<void>;
  /** Delete every service and real server. */
  flush(): Promise<void>;

  getDaemons(): Promise<Daemon[]>;
  startDaemon(config: DaemonConfig): Promise<void>;
  stopDaemon(state: DaemonState): Promise<void>;

  /**
   * Sends many changes pipelined (several requests per send, bounded window). Resolves with one
   * result per operation, in order; it does not stop at the first refusal (callers decide about
   * rollback). A failed exchange with the kernel (deadline, socket error, unreadable reply) or
   * `options.signal` stops it: operations the kernel gave no answer about fail with an
   * `IpvsTransportError` (`sent` true: maybe carried out; false: not sent).
   */
  batch(operations: readonly Operation[] | OperationList, options?: BatchOptions): Promise<BatchResult[]>;

  /**
   * Present on a client of the blocking transport (`openIpvsSync`): its bulk reads, returning their
   * results instead of settled promises. A listing of 10k services makes 10k real-server dumps, and
   * the promise and microtask turns around each one cost more than the dump under emulation.
   */
  readonly blocking?: BlockingReads | undefined;

  close(): void;
}

/** The reads a blocking client returns directly: the same requests, results and errors as `IpvsApi`'s. */
export interface BlockingReads {
  getServices(): Service[];
  visitDestinations(service: ServiceKey, visit: (destination: Destination) => void): void;
}
