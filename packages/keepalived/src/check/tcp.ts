/**
 * TCP_CHECK as keepalived 2.2.7 does it (check/check_tcp.c): connect to connect_ip:connect_port
 * (default the real server's), from bindto:bind_port when given; success is the connection being
 * established within connect_timeout, then it is closed at once. Nothing is sent.
 */
import * as net from 'node:net';
import { hostPort } from '../config/values';
import { openSocket, type AttemptOutcome, type TcpTarget } from './attempt';

export async function tcpCheck(target: TcpTarget, signal: AbortSignal): Promise<AttemptOutcome> {
  const where = hostPort(target.host, target.port);
  const opened = await openSocket(
    () =>
      net.connect({
        host: target.host,
        port: target.port,
        ...(target.localAddress !== undefined ? { localAddress: target.localAddress } : {}),
        ...(target.localPort !== undefined ? { localPort: target.localPort } : {}),
      }),
    'connect',
    target.timeoutMs,
    signal,
  );
  if ('failure' in opened) return { ok: false, detail: `${where}: ${opened.failure}` };
  opened.socket.on('error', () => undefined);
  opened.socket.destroy();
  return { ok: true, detail: `${where}: connected` };
}
