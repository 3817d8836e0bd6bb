/**
 * The client's deadline around a transport it did not make itself (`openIpvs({ transport })`): the
 * netlink transport enforces `timeoutMs` on its own, a caller's transport may not, and a request it
 * never answers must still end, as ETIMEDOUT, rather than leave the caller waiting (or, with nothing
 * else keeping Node's event loop alive, let the process exit 0 with the request unsettled). A
 * caller's transport does not tell when it sends a request, so the deadline counts the transport's
 * silence, not each call's age.
 */
import { Errno } from './errno';
import { NetlinkTransportError, type NetlinkError } from './errors';
import type { NetlinkMessage, RequestSequence } from './netlink/message';
import { NO_ANSWER, type BatchOutcome, type DumpVisitor, type Transport } from './transport/transport';

/** One call waiting for the transport: its timer, and how to end it from outside. */
interface Waiting {
  timer: NodeJS.Timeout;
  readonly cancel: (error: NetlinkError) => void;
}

export class DeadlineTransport implements Transport {
  private readonly waiting = new Set<Waiting>();
  /** When the transport last gave a sign of life: a call it ended, or a message of a dump. */
  private lastHeard = Date.now();

  /**
   * A call fails once the transport has been silent for `timeoutMs` while it waits: calls queued
   * behind others (dumps run one at a time) wait as long as those make progress, as they would on a
   * netlink socket, whose deadlines start when a request is sent. A batch may be silent for
   * `timeoutMs` per `window` requests, the most the netlink transport can take for it.
   */
  constructor(private readonly inner: Transport, private readonly timeoutMs: number, private readonly window: number) {}

  request(message: Buffer): Promise<NetlinkMessage[]> {
    return this.bounded(this.timeoutMs, () => this.inner.request(message), timedOut);
  }

  dump(message: Buffer): Promise<NetlinkMessage[]> {
    return this.bounded(this.timeoutMs, () => this.inner.dump(message), timedOut);
  }

  dumpEach(message: Buffer, visit: DumpVisitor): Promise<void> {
    return this.bounded(this.timeoutMs, () => this.inner.dumpEach(message, (datagram, start, end) => {
      this.lastHeard = Date.now();
      visit(datagram, start, end);
    }), timedOut);
  }

  /** Past its deadline a batch ends with no answer for every request (ETIMEDOUT): which ones took effect is unknown. */
  batch(requests: RequestSequence, signal?: AbortSignal): Promise<BatchOutcome> {
    const silence = this.timeoutMs * Math.max(1, Math.ceil(requests.length / this.window));
    return this.bounded(silence, () => this.inner.batch(requests, signal), () => ({
      results: new Array<number>(requests.length).fill(NO_ANSWER),
      failure: new NetlinkTransportError(Errno.ETIMEDOUT, `no answer from the transport within ${silence} ms`),
    }));
  }

  /** Closes the transport; calls still waiting reject with ECANCELED. */
  close(): void {
    const error = new NetlinkTransportError(Errno.ECANCELED, 'IPVS client closed');
    for (const call of [...this.waiting]) call.cancel(error);
    this.inner.close();
  }

  /**
   * What `run` gives, or what `expired` returns (or throws) once the transport has been silent for
   * `silence` ms. The timer is referenced: it keeps the process alive until the call ends one way or
   * the other.
   */
  private async bounded<T>(silence: number, run: () => Promise<T>, expired: () => T): Promise<T> {
    let call!: Waiting;
    const deadline = new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const quiet = Date.now() - this.lastHeard;
        if (quiet < silence) {
          call.timer = setTimeout(check, silence - quiet);
          return;
        }
        try {
          resolve(expired());
        } catch (error) {
          reject(error);
        }
      };
      call = { timer: setTimeout(check, silence), cancel: reject };
    });
    this.waiting.add(call);
    try {
      const running = run();
      const heard = (): void => { this.lastHeard = Date.now(); };
      running.then(heard, heard);
      return await Promise.race([running, deadline]);
    } finally {
      clearTimeout(call.timer);
      this.waiting.delete(call);
    }
  }
}

function timedOut(): never {
  throw new NetlinkTransportError(Errno.ETIMEDOUT, 'no answer from the transport in time');
}
