/** The socket: what the transport needs from one, and the adapter of npm `netlink`'s. */
import type { RawNetlinkSocket } from 'netlink';
import { NETLINK_GENERIC } from './constants';

/** What the netlink transport needs from a socket (the real one, or an in-memory fake). */
export interface DatagramSocket {
  /** Sends the parts as one datagram; `done` gets a positive errno on failure. */
  send(parts: readonly Buffer[], done: (errno: number) => void): void;
  /** Registers the receiver of every datagram and of socket errors (once, before any send). */
  listen(onDatagram: (datagram: Buffer) => void, onError: (errno: number) => void): void;
  /** Keep the process alive (requests pending) or not (idle). */
  setActive(active: boolean): void;
  close(): void;
}

export interface RawSocketOptions {
  /** Requested SO_RCVBUF (the kernel caps it at net.core.rmem_max; never relied upon). */
  readonly recvBufferSize?: number;
  readonly sendBufferSize?: number;
}

/** A generic netlink socket from npm `netlink` (only its RawNetlinkSocket; framing is ours). */
export class RawGenericSocket implements DatagramSocket {
  private readonly socket: RawNetlinkSocket;
  private active = true;

  constructor(options: RawSocketOptions = {}) {
    // Loaded on first use, so that importing the library stays cheap. The package root exports
    // RawNetlinkSocket too, but loading it also loads its genl, rt, nl80211 and wg modules: about
    // 35 ms instead of 9 here. The version is pinned, so this path of its build does not move.
    const { RawNetlinkSocket: Socket } = require('netlink/dist/raw') as Pick<typeof import('netlink'), 'RawNetlinkSocket'>;
    this.socket = new Socket(NETLINK_GENERIC, {
      recvBufferSize: options.recvBufferSize ?? 1 << 20,
      sendBufferSize: options.sendBufferSize ?? 1 << 20,
    });
  }

  send(parts: readonly Buffer[], done: (errno: number) => void): void {
    this.socket.send(parts.length === 1 ? parts[0]! : [...parts], { port: 0 }, (error) => {
      if (error) done(typeof error.errno === 'number' ? Math.abs(error.errno) : 5 /* EIO */);
    });
  }

  listen(onDatagram: (datagram: Buffer) => void, onError: (errno: number) => void): void {
    this.socket.on('message', (datagram) => onDatagram(datagram));
    // A datagram larger than the peek buffer cannot happen with peeking on; treat it as broken.
    this.socket.on('truncatedMessage', () => onError(90 /* EMSGSIZE */));
    this.socket.on('error', (error) => onError(typeof error.errno === 'number' ? Math.abs(error.errno) : 5));
  }

  setActive(active: boolean): void {
    if (active === this.active) return;
    this.active = active;
    if (active) this.socket.ref();
    else this.socket.unref();
  }

  close(): void {
    this.socket.close();
  }
}
