import * as net from 'node:net';
import { tcpTarget } from '../src/check/attempt';
import { tcpCheck } from '../src/check/tcp';
import { createHealthMonitorFactory } from '../src/check/monitor';
import type { HealthState } from '../src/check/health';
import { close, freePort, hangingPort, listen, realServer, signal, tcp, virtualServer } from './check-support';

describe('TCP_CHECK', () => {
  test('connects to the real server, closes at once, sends nothing', async () => {
    const received: Buffer[] = [];
    let closed!: () => void;
    const closedP = new Promise<void>((resolve) => (closed = resolve));
    const server = net.createServer((socket) => {
      socket.on('data', (d) => received.push(d));
      socket.on('close', () => closed());
    });
    const port = await listen(server);
    const outcome = await tcpCheck(tcpTarget(tcp(), realServer([], { port })), signal());
    expect(outcome).toEqual({ ok: true, detail: `127.0.0.1:${port}: connected` });
    await closedP;
    expect(received).toEqual([]);
    await close(server);
  });

  test('connect_ip/connect_port override the real server; bindto/bind_port set the source', async () => {
    const sources: string[] = [];
    const server = net.createServer((socket) => {
      sources.push(`${socket.remoteAddress}:${socket.remotePort}`);
      socket.destroy();
    });
    const port = await listen(server);
    const bindPort = await freePort();
    const check = tcp({ connectIp: '127.0.0.1', connectPort: port, bindTo: '127.0.0.2', bindPort });
    const target = tcpTarget(check, realServer([], { address: '192.0.2.1', port: 9 }));
    expect(target).toEqual({ host: '127.0.0.1', port, localAddress: '127.0.0.2', localPort: bindPort, timeoutMs: 1000 });
    expect(await tcpCheck(target, signal())).toMatchObject({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sources).toEqual([`127.0.0.2:${bindPort}`]);
    await close(server);
  });

  test('refused', async () => {
    const port = await freePort();
    expect(await tcpCheck(tcpTarget(tcp(), realServer([], { port })), signal())).toEqual({
      ok: false,
      detail: `127.0.0.1:${port}: connection refused`,
    });
  });

  test('connect_timeout', async () => {
    const hang = await hangingPort();
    try {
      const started = Date.now();
      const outcome = await tcpCheck(tcpTarget(tcp({ connectTimeoutMs: 300 }), realServer([], { port: hang.port })), signal());
      expect(outcome).toEqual({ ok: false, detail: `127.0.0.1:${hang.port}: connect timeout after 300 ms` });
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      await hang.dispose();
    }
  });

  test('a monitor on a real server: up, down when the server goes away (retry + 1 attempts), up again', async () => {
    let server = net.createServer((s) => s.destroy());
    const port = await listen(server);
    const check = tcp({ retry: 1, delayLoopMs: 100, delayBeforeRetryMs: 50, connectTimeoutMs: 200 });
    const monitor = createHealthMonitorFactory({ bootstrapDelayMs: 0 })(realServer([check], { port }), virtualServer());
    const changes: boolean[] = [];
    const attempts: boolean[] = [];
    monitor.on('change', (s: HealthState) => changes.push(s.up));
    monitor.on('result', (h: { last: { ok: boolean } }) => attempts.push(h.last.ok));
    const next = (up: boolean) => new Promise<void>((resolve) => monitor.on('change', (s: HealthState) => s.up === up && resolve()));
    monitor.start();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(monitor.state.up).toBe(true);
    const down = next(false);
    await close(server);
    await down;
    // after successes: exactly retry + 1 = 2 failures before down
    expect(attempts.slice(attempts.indexOf(false))).toEqual([false, false]);
    const up = next(true);
    server = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    await up;
    expect(changes).toEqual([false, true]);
    await monitor.stop();
    await close(server);
  });
});
