/** Hand-built configuration objects and a fake clock for the checker tests. */
import { AddressFamily } from '@tsipvs/ipvs-core';
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import type { CheckerCommon, HttpCheck, MiscCheck, RealServer, TcpCheck, UrlCheck, VirtualServer } from '../src/config/model';
import type { Clock } from '../src/clock';

const at = { file: 'test.conf', line: 1 };

export function common(over: Partial<CheckerCommon> = {}): CheckerCommon {
  return { at, connectTimeoutMs: 1000, retry: 1, delayBeforeRetryMs: 1000, warmupMs: 0, delayLoopMs: 5000, alpha: false, ...over };
}

export function tcp(over: Partial<TcpCheck> = {}): TcpCheck {
  return { ...common(over), kind: 'TCP_CHECK' };
}

export function url(path: string, over: Partial<UrlCheck> = {}): UrlCheck {
  return { at, path, statusCodes: [], ...over };
}

export function httpGet(urls: UrlCheck[], over: Partial<HttpCheck> = {}): HttpCheck {
  return { ...common(over), kind: 'HTTP_GET', urls, ...over };
}

export function misc(path: string, over: Partial<MiscCheck> = {}): MiscCheck {
  return { ...common({ retry: 0, ...over }), kind: 'MISC_CHECK', path, timeoutMs: 5000, dynamic: false, ...over };
}

export function realServer(checkers: RealServer['checkers'], over: Partial<RealServer> = {}): RealServer {
  return {
    at,
    family: AddressFamily.IPv4,
    address: '127.0.0.1',
    port: 80,
    weight: 1,
    forwarding: { method: 'NAT' },
    inhibitOnFailure: false,
    upperThreshold: 0,
    lowerThreshold: 0,
    checkers,
    ...over,
  };
}

export function virtualServer(over: Partial<VirtualServer> = {}): VirtualServer {
  return {
    at,
    target: { kind: 'address', family: AddressFamily.IPv4, address: '10.0.0.100', port: 80 },
    delayLoopMs: 5000,
    scheduler: 'wlc',
    forwarding: { method: 'NAT' },
    protocol: 'TCP',
    onePacketScheduling: false,
    schedulerFlags: {},
    quorum: 1,
    hysteresis: 0,
    alpha: false,
    omega: false,
    inhibitOnFailure: false,
    haSuspend: false,
    realServers: [],
    ...over,
  };
}

/** Virtual time: advance() fires due timers in order, letting promises settle between them. */
export class FakeClock implements Clock {
  private time = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.time;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  get pending(): number {
    return this.timers.size;
  }

  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settle();
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = next[1].at;
      next[1].callback();
    }
    this.time = end;
    await settle();
  }
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

export async function listen(server: net.Server, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

export async function close(server: net.Server | http.Server): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** A port nothing listens on (bound then released). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await close(server);
  return port;
}

export function signal(): AbortSignal {
  return new AbortController().signal;
}

/**
 * A port whose accept queue is full (its listener is SIGSTOPped), so the kernel drops new SYNs and a
 * connect hangs: a connect timeout without any routing tricks.
 */
export async function hangingPort(): Promise<{ port: number; dispose: () => Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['-e', "require('net').createServer().listen({port:0,host:'127.0.0.1',backlog:1},function(){process.stdout.write(String(this.address().port)+'\\n');process.kill(process.pid,'SIGSTOP')})"],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    fillers.push(s);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  return {
    port,
    dispose: async () => {
      for (const s of fillers) s.destroy();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

