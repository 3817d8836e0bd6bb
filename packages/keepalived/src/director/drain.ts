/**
 * Draining a real server, as kube-proxy's graceful termination does: its weight goes to 0 (no new
 * connections; those open keep going to it), then it is deleted once it has no active connection
 * left, or once the drain timeout has passed. `drainRealServer` does it for one server (`tsipvs
 * drain`); the director uses `drainVerdict` on each reconcile.
 */
import {
  AddressFamily, destinationSettings, IpvsError, type Destination, type IpvsApi, type ServiceKey,
} from '@tsipvs/ipvs-core';

/** Whether a draining server may go now: no active connection left, or its time is up. */
export function drainVerdict(activeConnections: number, sinceMs: number, nowMs: number, timeoutMs: number): 'delete' | 'wait' {
  return activeConnections === 0 || nowMs - sinceMs >= timeoutMs ? 'delete' : 'wait';
}

/** Why a drain could not be done; `code` tells which. */
export class DrainError extends Error {
  override readonly name = 'DrainError';
  constructor(
    message: string,
    readonly code: 'service-not-found' | 'server-not-found' | 'ambiguous-server',
  ) {
    super(message);
  }
}

/** The real server to drain: its address, and its port when the service has it at several ports. */
export interface DrainTarget {
  readonly address: string;
  readonly port?: number;
}

export interface DrainOptions {
  /** Delete it after this long even with connections left; default: wait as long as it takes. */
  readonly timeoutMs?: number;
  /** How often the connections are read. Default 1000. */
  readonly pollMs?: number;
  /** Stops waiting (the server stays at weight 0); the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Called after each read while connections remain. */
  readonly onWait?: (activeConnections: number, waitedMs: number) => void;
  /** Test hooks. */
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface DrainResult {
  readonly service: ServiceKey;
  readonly destination: Destination;
  /** Its weight before the drain (0 when it was already draining). */
  readonly weightBefore: number;
  readonly activeAtStart: number;
  /** Active connections when it was deleted (more than 0 only after a timeout). */
  readonly activeAtEnd: number;
  readonly waitedMs: number;
  readonly reason: 'no-connections' | 'timeout';
}

function describeService(key: ServiceKey): string {
  if ('fwmark' in key) return `FWM ${key.fwmark}${key.family === AddressFamily.IPv6 ? ' (IPv6)' : ''}`;
  const proto = key.protocol === 6 ? 'TCP' : key.protocol === 17 ? 'UDP' : key.protocol === 132 ? 'SCTP' : String(key.protocol);
  return `${proto} ${key.family === AddressFamily.IPv6 ? `[${key.address}]` : key.address}:${key.port}`;
}

function describeServer(target: DrainTarget): string {
  const host = target.address.includes(':') ? `[${target.address}]` : target.address;
  return target.port === undefined ? host : `${host}:${target.port}`;
}

async function serverOf(api: IpvsApi, service: ServiceKey, target: DrainTarget): Promise<Destination | undefined> {
  const matching = (await api.getDestinations(service))
    .filter((d) => d.key.address === target.address && (target.port === undefined || d.key.port === target.port));
  if (matching.length > 1) {
    throw new DrainError(
      `service ${describeService(service)} has ${describeServer(target)} at ports ${matching.map((d) => d.key.port).join(', ')}: give the port`,
      'ambiguous-server',
    );
  }
  return matching[0];
}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Drains one real server of `service`: weight 0 (its other settings kept), then deletes it when its
 * active connections reach 0 or `timeoutMs` has passed. Errors: DrainError when the service or the
 * server is not there; the kernel's refusals as IpvsError.
 */
export async function drainRealServer(api: IpvsApi, service: ServiceKey, target: DrainTarget, options: DrainOptions = {}): Promise<DrainResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const pollMs = options.pollMs ?? 1000;
  try {
    await api.getService(service);
  } catch (error) {
    if (error instanceof IpvsError && error.code === 'ESRCH') throw new DrainError(`no service ${describeService(service)}`, 'service-not-found');
    throw error;
  }
  const first = await serverOf(api, service, target);
  if (!first) throw new DrainError(`service ${describeService(service)} has no real server ${describeServer(target)}`, 'server-not-found');
  const started = now();
  if (first.weight !== 0) await api.editDestination(service, first.key, destinationSettings({ ...first, weight: 0 }));
  let current = first;
  for (;;) {
    const waited = now() - started;
    const verdict = drainVerdict(current.activeConnections, started, now(), options.timeoutMs ?? Number.POSITIVE_INFINITY);
    if (verdict === 'delete') {
      await api.deleteDestination(service, current.key);
      return {
        service, destination: current, weightBefore: first.weight, activeAtStart: first.activeConnections, activeAtEnd: current.activeConnections,
        waitedMs: waited, reason: current.activeConnections === 0 ? 'no-connections' : 'timeout',
      };
    }
    options.onWait?.(current.activeConnections, waited);
    const left = options.timeoutMs === undefined ? pollMs : Math.min(pollMs, Math.max(0, options.timeoutMs - waited));
    await sleep(left, options.signal);
    const again = await serverOf(api, service, { address: current.key.address, port: current.key.port });
    // deleted meanwhile (by hand, by another drain): nothing left to do
    if (!again) {
      return {
        service, destination: current, weightBefore: first.weight, activeAtStart: first.activeConnections, activeAtEnd: 0,
        waitedMs: now() - started, reason: 'no-connections',
      };
    }
    current = again;
  }
}
