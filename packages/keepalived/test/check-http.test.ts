import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import {
  contentLengthOf,
  formatStatusCodes,
  httpCheck,
  httpRequest,
  httpTarget,
  MAX_HEAD_BYTES,
  statusAccepted,
  statusCodeOf,
  type HttpTarget,
} from '../src/check/http';
import type { HttpCheck } from '../src/config/model';
import { close, freePort, hangingPort, httpGet, listen, realServer, signal, url, virtualServer } from './check-support';

const FIXTURES = path.resolve(__dirname, '../../test/fixtures');
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** A raw server: hands each request (once its head is complete) and the socket to `respond`. */
async function rawServer(respond: (request: string, socket: net.Socket) => void, secure = false) {
  const requests: string[] = [];
  const servernames: (string | false)[] = [];
  const onSocket = (socket: net.Socket) => {
    let buffer = '';
    socket.on('error', () => undefined);
    socket.on('data', (d) => {
      buffer += d.toString('latin1');
      if (buffer.includes('\r\n\r\n')) {
        requests.push(buffer);
        if (secure) servernames.push((socket as tls.TLSSocket).servername ?? false);
        respond(buffer, socket);
        buffer = '';
      }
    });
  };
  const server = secure
    ? tls.createServer({ key: readFileSync(path.join(FIXTURES, 'tls-key.pem')), cert: readFileSync(path.join(FIXTURES, 'tls-cert.pem')) }, onSocket)
    : net.createServer(onSocket);
  const port = await listen(server);
  return { server, port, requests, servernames };
}

function reply(status: string, body: string, headers: string[] = []) {
  return (_request: string, socket: net.Socket) => {
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n${body}`);
  };
}

function target(check: HttpCheck, port: number, over: Partial<HttpTarget> = {}): HttpTarget {
  return { ...httpTarget(check, realServer([check], { port }), virtualServer()), ...over };
}

describe('HTTP_GET: what it sends and parses (pure)', () => {
  test('the request is keepalived\'s, byte for byte', () => {
    expect(httpRequest('/index.html', '10.0.0.10:80', '1.0')).toBe('GET /index.html HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.0.0.10:80\r\n\r\n');
    expect(httpRequest('/', 'www.example.com', '1.1')).toBe('GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.com\r\n\r\n');
    expect(httpRequest('/', 'h', '1.0C')).toBe('GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: h\r\n\r\n');
  });

  test('Host: url virtualhost, else the checker\'s, else the virtual server\'s, else connect ip:port ([v6]:port)', () => {
    const vs = virtualServer({ virtualhost: 'vs.example' });
    const check = httpGet([url('/a', { virtualhost: 'url.example' }), url('/b')], { virtualhost: 'check.example' });
    const rs = realServer([check], { address: '10.0.0.10', port: 8080 });
    expect(httpTarget(check, rs, vs).urls.map((u) => u.host)).toEqual(['url.example', 'check.example']);
    const bare = httpGet([url('/')]);
    expect(httpTarget(bare, rs, vs).urls[0]!.host).toBe('vs.example');
    expect(httpTarget(bare, rs, virtualServer()).urls[0]!.host).toBe('10.0.0.10:8080');
    const v6 = httpGet([url('/')], { connectIp: '2001:db8::1', connectPort: 81 });
    expect(httpTarget(v6, rs, virtualServer()).urls[0]!.host).toBe('[2001:db8::1]:81');
  });

  test('SNI only with enable_sni, naming the virtualhost', () => {
    const rs = realServer([], { port: 443 });
    const ssl = { ...httpGet([url('/', { virtualhost: 'a.example' }), url('/b')]), kind: 'SSL_GET' as const };
    expect(httpTarget(ssl, rs, virtualServer()).servernames).toBeUndefined();
    const sni = { ...ssl, enableSni: true } as HttpCheck;
    expect(httpTarget(sni, rs, virtualServer({ virtualhost: 'vs.example' })).servernames).toEqual(['a.example', 'vs.example']);
  });

  test('status line, Content-Length, accepted codes', () => {
    expect(statusCodeOf('HTTP/1.1 200 OK\r\n\r\n')).toBe(200);
    expect(statusCodeOf('HTTP/1.0 404 \r\n\r\n')).toBe(404);
    expect(statusCodeOf('HTTP/1.1 200\r\n\r\n')).toBe(0); // keepalived wants a space after the code
    expect(statusCodeOf('HTTP/1.1 2000 OK\r\n')).toBe(0);
    expect(statusCodeOf('garbage\r\n\r\n')).toBe(0);
    expect(contentLengthOf('HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n')).toBe(12);
    expect(contentLengthOf('HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n')).toBeUndefined();
    expect(statusAccepted(204, [])).toBe(true);
    expect(statusAccepted(301, [])).toBe(false);
    expect(statusAccepted(301, [200, 301])).toBe(true);
    expect(statusAccepted(200, [301])).toBe(false);
    expect(statusAccepted(0, [])).toBe(false);
    expect(formatStatusCodes([302, 200, 301, 303])).toBe('200, 301-303');
  });
});

describe('HTTP_GET against a local server', () => {
  test('sends keepalived\'s request and accepts a 2xx', async () => {
    const s = await rawServer(reply('200 OK', 'hello'));
    const outcome = await httpCheck(target(httpGet([url('/index.html')]), s.port), signal());
    expect(outcome).toEqual({ ok: true, detail: 'GET /index.html: HTTP status 200' });
    expect(s.requests).toEqual([`GET /index.html HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`]);
    await close(s.server);
  });

  test('a real node http server', async () => {
    const server = http.createServer((req, res) => res.end(req.headers['user-agent'] === 'KeepAliveClient' ? 'ok' : 'who?'));
    const port = await listen(server);
    const outcome = await httpCheck(target(httpGet([url('/', { digest: md5('ok') })]), port), signal());
    expect(outcome).toEqual({ ok: true, detail: 'GET /: HTTP status 200, digest ok' });
    await close(server);
  });

  test('wrong status code; status_code list', async () => {
    const s = await rawServer(reply('503 Service Unavailable', 'down'));
    expect(await httpCheck(target(httpGet([url('/')]), s.port), signal())).toEqual({
      ok: false,
      detail: 'GET /: HTTP status 503 (accepted: 200-299)',
    });
    expect(await httpCheck(target(httpGet([url('/', { statusCodes: [503] })]), s.port), signal())).toMatchObject({ ok: true });
    await close(s.server);
  });

  test('digest: MD5 of the body, case-insensitive; only Content-Length bytes count', async () => {
    const s = await rawServer(reply('200 OK', 'helloEXTRA', ['Content-Length: 5']));
    expect(await httpCheck(target(httpGet([url('/', { digest: md5('hello').toUpperCase() })]), s.port), signal())).toEqual({
      ok: true,
      detail: 'GET /: HTTP status 200, digest ok',
    });
    expect(await httpCheck(target(httpGet([url('/', { digest: md5('helloEXTRA') })]), s.port), signal())).toEqual({
      ok: false,
      detail: `GET /: HTTP status 200, digest ${md5('hello')} differs from ${md5('helloEXTRA')}`,
    });
    await close(s.server);
  });

  test('a body in many pieces hashes like one', async () => {
    const body = 'x'.repeat(100_000);
    const s = await rawServer((_r, socket) => {
      socket.write('HTTP/1.0 200 OK\r\n\r\n');
      for (let i = 0; i < body.length; i += 7000) socket.write(body.slice(i, i + 7000));
      socket.end();
    });
    expect(await httpCheck(target(httpGet([url('/', { digest: md5(body) })]), s.port), signal())).toMatchObject({ ok: true });
    await close(s.server);
  });

  test('every url in order; the first failing one fails the attempt', async () => {
    const s = await rawServer((request, socket) => (request.startsWith('GET /bad ') ? reply('500 Oops', '') : reply('200 OK', ''))(request, socket));
    const check = httpGet([url('/a'), url('/bad'), url('/c')]);
    expect(await httpCheck(target(check, s.port), signal())).toEqual({ ok: false, detail: 'GET /bad: HTTP status 500 (accepted: 200-299)' });
    expect(s.requests.map((r) => r.split(' ')[1])).toEqual(['/a', '/bad']);
    expect(await httpCheck(target(httpGet([url('/a'), url('/c')]), s.port), signal())).toEqual({
      ok: true,
      detail: 'GET /a: HTTP status 200; GET /c: HTTP status 200',
    });
    await close(s.server);
  });

  test('refused', async () => {
    const port = await freePort();
    expect(await httpCheck(target(httpGet([url('/')]), port), signal())).toEqual({
      ok: false,
      detail: `GET /: 127.0.0.1:${port}: connection refused`,
    });
  });

  test('connect timeout', async () => {
    const hang = await hangingPort();
    try {
      expect(await httpCheck(target(httpGet([url('/')], { connectTimeoutMs: 300 }), hang.port), signal())).toEqual({
        ok: false,
        detail: `GET /: 127.0.0.1:${hang.port}: connect timeout after 300 ms`,
      });
    } finally {
      await hang.dispose();
    }
  });

  test('no answer: fails after connect_timeout', async () => {
    const s = await rawServer(() => undefined);
    expect(await httpCheck(target(httpGet([url('/')], { connectTimeoutMs: 300 }), s.port), signal())).toEqual({
      ok: false,
      detail: 'GET /: no response within 300 ms',
    });
    await close(s.server);
  });

  test('slow body: HTTP_GET allows connect_timeout between reads, fails when a gap is longer', async () => {
    const trickle = (pieces: number, gapMs: number) => (_r: string, socket: net.Socket) => {
      socket.write('HTTP/1.0 200 OK\r\n\r\n');
      let n = 0;
      const tick = setInterval(() => {
        if (socket.destroyed) return clearInterval(tick);
        if (++n > pieces) {
          clearInterval(tick);
          socket.end();
        } else socket.write('x');
      }, gapMs);
    };
    const slow = await rawServer(trickle(10, 100)); // 1.1 s in all, 100 ms gaps
    expect(await httpCheck(target(httpGet([url('/', { digest: md5('x'.repeat(10)) })], { connectTimeoutMs: 800 }), slow.port), signal())).toMatchObject({
      ok: true,
    });
    const stalled = await rawServer(trickle(1, 1600));
    expect(await httpCheck(target(httpGet([url('/')], { connectTimeoutMs: 800 }), stalled.port), signal())).toEqual({
      ok: false,
      detail: 'GET /: read timeout after 800 ms',
    });
    await close(slow.server);
    await close(stalled.server);
  });

  test('a server that keeps the connection open fails: keepalived reads until the server closes', async () => {
    const s = await rawServer((_r, socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    expect(await httpCheck(target(httpGet([url('/')], { connectTimeoutMs: 300 }), s.port), signal())).toEqual({
      ok: false,
      detail: 'GET /: read timeout after 300 ms',
    });
    await close(s.server);
  });

  test('closed without a response; a response without header end; a head too long; a reset', async () => {
    const empty = await rawServer((_r, socket) => socket.end());
    expect(await httpCheck(target(httpGet([url('/')]), empty.port), signal())).toEqual({ ok: false, detail: 'GET /: no HTTP response received' });
    const noEnd = await rawServer((_r, socket) => socket.end('HTTP/1.0 200 OK\r\n'));
    expect(await httpCheck(target(httpGet([url('/')]), noEnd.port), signal())).toEqual({ ok: false, detail: 'GET /: no HTTP response received' });
    const big = await rawServer((_r, socket) => socket.end(`HTTP/1.0 200 OK\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`));
    expect(await httpCheck(target(httpGet([url('/')]), big.port), signal())).toEqual({
      ok: false,
      detail: `GET /: no end of HTTP header in the first ${MAX_HEAD_BYTES} bytes`,
    });
    const reset = await rawServer((_r, socket) => {
      socket.write('HTTP/1.0 200 OK\r\n\r\npartial');
      setTimeout(() => socket.resetAndDestroy(), 50);
    });
    expect(await httpCheck(target(httpGet([url('/')]), reset.port), signal())).toEqual({ ok: false, detail: 'GET /: read error: ECONNRESET' });
    for (const s of [empty, noEnd, big, reset]) await close(s.server);
  });

  test('abort ends the attempt at once', async () => {
    const s = await rawServer(() => undefined);
    const controller = new AbortController();
    const pending = httpCheck(target(httpGet([url('/')], { connectTimeoutMs: 10_000 }), s.port), controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    expect(await pending).toEqual({ ok: false, detail: 'stopped' });
    await close(s.server);
  });
});

describe('SSL_GET against a local TLS server (self-signed)', () => {
  const ssl = (over: Partial<HttpCheck> = {}, urls = [url('/')]): HttpCheck => ({ ...httpGet(urls, over), kind: 'SSL_GET' });

  test('no certificate check, the same request over TLS, no SNI by default', async () => {
    const s = await rawServer(reply('200 OK', 'secure'), true);
    expect(await httpCheck(target(ssl({}, [url('/', { digest: md5('secure') })]), s.port), signal())).toEqual({
      ok: true,
      detail: 'GET /: HTTP status 200, digest ok',
    });
    expect(s.requests).toEqual([`GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`]);
    expect(s.servernames).toEqual([false]);
    await close(s.server);
  });

  test('enable_sni sends the virtualhost', async () => {
    const s = await rawServer(reply('200 OK', ''), true);
    const check = { ...ssl({ virtualhost: 'www.example.com' }), enableSni: true } as HttpCheck;
    expect(await httpCheck(target(check, s.port), signal())).toMatchObject({ ok: true });
    expect(s.servernames).toEqual(['www.example.com']);
    expect(s.requests[0]).toContain('\r\nHost: www.example.com\r\n');
    await close(s.server);
  });

  test('wrong status over TLS', async () => {
    const s = await rawServer(reply('404 Not Found', ''), true);
    expect(await httpCheck(target(ssl(), s.port), signal())).toEqual({ ok: false, detail: 'GET /: HTTP status 404 (accepted: 200-299)' });
    await close(s.server);
  });

  test('a plain server: the handshake times out within connect_timeout', async () => {
    const s = await rawServer(() => undefined);
    expect(await httpCheck(target(ssl({ connectTimeoutMs: 300 }), s.port), signal())).toEqual({
      ok: false,
      detail: `GET /: 127.0.0.1:${s.port}: connect/TLS handshake timeout after 300 ms`,
    });
    await close(s.server);
  });

  test('SSL_GET: the rest of the response must come within connect_timeout of its first bytes', async () => {
    const s = await rawServer((_r, socket) => {
      socket.write('HTTP/1.0 200 OK\r\n\r\n');
      const tick = setInterval(() => (socket.destroyed ? clearInterval(tick) : socket.write('x')), 100);
      setTimeout(() => {
        clearInterval(tick);
        socket.end();
      }, 700);
    }, true);
    expect(await httpCheck(target(ssl({ connectTimeoutMs: 400 }), s.port), signal())).toEqual({
      ok: false,
      detail: 'GET /: response not complete within 400 ms',
    });
    await close(s.server);
  });

  test('a TLS server that resets after the response is still judged on what came', async () => {
    const s = await rawServer((_r, socket) => {
      socket.write('HTTP/1.0 200 OK\r\n\r\nbody');
      setTimeout(() => (socket as tls.TLSSocket).destroy(), 50);
    }, true);
    expect(await httpCheck(target(ssl({}, [url('/', { digest: md5('body') })]), s.port), signal())).toMatchObject({ ok: true });
    await close(s.server);
  });
});
