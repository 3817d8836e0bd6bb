/**
 * The client's deadline around a transport it did not make itself (`openIpvs({ transport })`): the
 * netlink transport enforces `timeoutMs` on its own, a caller's transport may not, and a request it
 * never answers must still end, as ETIMEDOUT, rather than leave the caller waiting (or, with nothing
 * else keeping Node's event loop alive, let the process exit 0 with the request unsettled).
 */
import { Errno } from './errno';
import { NetlinkError } from './errors';
import type { NetlinkMessage, RequestSequence } from './netlink/message';
import type { DumpVisitor, Transport } from './transport/transport';

/** One call waiting for the transport: its timer, and how to end it from outside. */
interface Waiting {
  readonly timer: NodeJS.Timeout;
  readonly cancel: (error: NetlinkError) => void;
}

export class DeadlineTransport implements Transport {
  private readonly waiting = new Set<Waiting>();

  /**
   * `timeoutMs` bounds each request and dump (a dump seen message by message: the silence between
   * two messages); a batch gets `timeoutMs` for every `window` requests, the most the netlink
   * transport can take for it.
   */
  constructor(private readonly inner: Transport, private readonly timeoutMs: number, private readonly window: number) {}

  request(message: Buffer): Promise<NetlinkMessage[]> {
    return this.bounded(this.timeoutMs, () => this.inner.request(message), timedOut);
  }

  dump(message: Buffer): Promise<NetlinkMessage[]> {
    return this.bounded(this.timeoutMs, () => this.inner.dump(message), timedOut);
  }

  dumpEach(message: Buffer, visit: DumpVisitor): Promise<void> {
    return this.bounded(this.timeoutMs, (timer) => this.inner.dumpEach(message, (datagram, start, end) => {
      timer.refresh();
      visit(datagram, start, end);
    }), timedOut);
  }

  /** Past its deadline a batch resolves with ETIMEDOUT for every request: which ones took effect is unknown. */
  batch(requests: RequestSequence): Promise<number[]> {
    const timeoutMs = this.timeoutMs * Math.max(1, Math.ceil(requests.length / this.window));
    return this.bounded(timeoutMs, () => this.inner.batch(requests), () => new Array<number>(requests.length).fill(Errno.ETIMEDOUT));
  }

  /** Closes the transport; calls still waiting reject with ECANCELED. */
  close(): void {
    const error = new NetlinkError(Errno.ECANCELED, 'IPVS client closed');
    for (const call of [...this.waiting]) call.cancel(error);
    this.inner.close();
  }

  /**
   * What `run` gives, or once `timeoutMs` pass first, what `expired` returns (or throws). The timer is
   * referenced: it keeps the process alive until the call ends one way or the other.
   */
  private async bounded<T>(timeoutMs: number, run: (timer: NodeJS.Timeout) => Promise<T>, expired: () => T): Promise<T> {
    let call!: Waiting;
    const deadline = new Promise<T>((resolve, reject) => {
      const expire = (): void => {
        try {
          resolve(expired());
        } catch (error) {
          reject(error);
        }
      };
      call = { timer: setTimeout(expire, timeoutMs), cancel: reject };
    });
    this.waiting.add(call);
    try {
      return await Promise.race([run(call.timer), deadline]);
    } finally {
      clearTimeout(call.timer);
      this.waiting.delete(call);
    }
  }
}

function timedOut(): never {
  throw new NetlinkError(Errno.ETIMEDOUT);
}
