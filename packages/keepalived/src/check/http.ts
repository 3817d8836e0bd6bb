/**
 * HTTP_GET and SSL_GET with keepalived 2.2.7's semantics (check/check_http.c, check_ssl.c, lib/html.c):
 * - the request: `GET <path> HTTP/1.0`, `User-Agent: KeepAliveClient`, `Host: <virtualhost>` or
 *   `Host: <connect ip>:<connect port>` (IPv6 in brackets); `Connection: close` only with
 *   http_protocol 1.1 or 1.0C;
 * - the response is read until the server closes; the status is the 3 digits after the first space of
 *   the status line, accepted when in the url's status_code list (default 200-299); `digest` is the MD5
 *   of the body (only the first Content-Length bytes when that header is present), compared
 *   case-insensitively; headers must end within the first 4095 bytes;
 * - connect_timeout bounds the connect (for SSL_GET connect + TLS handshake together), then the wait for
 *   the first response bytes; HTTP_GET then allows connect_timeout between reads, SSL_GET
 *   connect_timeout for the rest of the response;
 * - SSL_GET does not verify the certificate and sends SNI only with `enable_sni` (keepalived's default
 *   is off), naming the url's, the checker's or the virtual server's virtualhost.
 * One attempt fetches every url in order (one connection each) and stops at the first failure.
 */
import { createHash, type Hash } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { HttpCheck, RealServer, UrlCheck, VirtualServer } from '../config/model';
import { hostPort } from '../config/values';
import { openSocket, STOPPED, tcpTarget, type AttemptOutcome, type TcpTarget } from './attempt';

export type HttpProtocol = '1.0' | '1.1' | '1.0C';

/** keepalived keeps at most this many bytes of response head (MAX_BUFFER_LENGTH - 1). */
export const MAX_HEAD_BYTES = 4095;

export interface HttpUrlTarget {
  readonly path: string;
  /** The Host header's value. */
  readonly host: string;
  /** Empty: 200-299. */
  readonly statusCodes: readonly number[];
  readonly digest?: string;
}

export interface HttpTarget extends TcpTarget {
  readonly tls: boolean;
  readonly protocol: HttpProtocol;
  readonly urls: readonly HttpUrlTarget[];
  /** SSL_GET with enable_sni: the SNI name for each url (same order as urls). */
  readonly servernames?: readonly (string | undefined)[];
}

/** Fields keepalived has that the configuration model may add later; read when present. */
interface OptionalHttpFields {
  readonly httpProtocol?: HttpProtocol;
  readonly enableSni?: boolean;
}

/** The virtualhost keepalived uses for a url: the url's, else the checker's, else the virtual server's. */
export function virtualhostFor(url: UrlCheck, check: HttpCheck, virtualServer: VirtualServer): string | undefined {
  return url.virtualhost ?? check.virtualhost ?? virtualServer.virtualhost;
}

export function httpTarget(check: HttpCheck, realServer: RealServer, virtualServer: VirtualServer): HttpTarget {
  const base = tcpTarget(check, realServer);
  const extra = check as HttpCheck & OptionalHttpFields;
  const tlsOn = check.kind === 'SSL_GET';
  return {
    ...base,
    tls: tlsOn,
    protocol: extra.httpProtocol ?? '1.0',
    urls: check.urls.map((url) => ({
      path: url.path,
      host: virtualhostFor(url, check, virtualServer) ?? hostPort(base.host, base.port),
      statusCodes: url.statusCodes,
      ...(url.digest !== undefined ? { digest: url.digest } : {}),
    })),
    ...(tlsOn && extra.enableSni ? { servernames: check.urls.map((url) => virtualhostFor(url, check, virtualServer)) } : {}),
  };
}

/** The bytes keepalived sends for one url. */
export function httpRequest(path: string, host: string, protocol: HttpProtocol): string {
  return (
    `GET ${path} HTTP/1.${protocol === '1.1' ? 1 : 0}\r\n` +
    'User-Agent: KeepAliveClient\r\n' +
    (protocol === '1.0' ? '' : 'Connection: close\r\n') +
    `Host: ${host}\r\n\r\n`
  );
}

/** keepalived's status extraction: the 3 digits after the first space, followed by a space; 0 when not so. */
export function statusCodeOf(head: string): number {
  const match = /^[^ \r]* (\d{3}) /.exec(head);
  return match ? Number(match[1]) : 0;
}

/** The Content-Length header's value, undefined when absent or not a plain number. */
export function contentLengthOf(head: string): number | undefined {
  const match = /\r\ncontent-length:[ \t]*(\d+)[ \t]*\r\n/i.exec(head);
  return match ? Number(match[1]) : undefined;
}

export function statusAccepted(code: number, accepted: readonly number[]): boolean {
  if (code < 100 || code > 599) return false;
  return accepted.length === 0 ? code >= 200 && code <= 299 : accepted.includes(code);
}

/** "200-299", "200, 301-302". */
export function formatStatusCodes(accepted: readonly number[]): string {
  if (accepted.length === 0) return '200-299';
  const sorted = [...new Set(accepted)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** Accumulates one response: the head, then an MD5 of the body (bounded by Content-Length). */
export class ResponseReader {
  private head = Buffer.alloc(0);
  private status = 0;
  private contentLength: number | undefined;
  private bodyBytes = 0;
  private readonly md5: Hash = createHash('md5');
  private extracted = false;

  get hasHead(): boolean {
    return this.extracted;
  }

  /** Feeds bytes; returns a failure phrase when the head cannot end within MAX_HEAD_BYTES. */
  push(chunk: Buffer): string | undefined {
    if (this.extracted) {
      this.body(chunk);
      return undefined;
    }
    this.head = Buffer.concat([this.head, chunk]);
    const end = this.head.indexOf('\r\n\r\n');
    if (end < 0 || end + 4 > MAX_HEAD_BYTES) {
      return this.head.length >= MAX_HEAD_BYTES ? `no end of HTTP header in the first ${MAX_HEAD_BYTES} bytes` : undefined;
    }
    const text = this.head.subarray(0, end + 4).toString('latin1');
    this.status = statusCodeOf(text);
    this.contentLength = contentLengthOf(text);
    this.extracted = true;
    this.body(this.head.subarray(end + 4));
    this.head = Buffer.alloc(0);
    return undefined;
  }

  private body(chunk: Buffer): void {
    const room = this.contentLength === undefined ? chunk.length : Math.max(0, this.contentLength - this.bodyBytes);
    if (room > 0) this.md5.update(chunk.subarray(0, Math.min(room, chunk.length)));
    this.bodyBytes += chunk.length;
  }

  /** Judges the response once the server has closed. */
  finish(url: HttpUrlTarget): AttemptOutcome {
    const what = `GET ${url.path}`;
    if (!this.extracted) return { ok: false, detail: `${what}: no HTTP response received` };
    if (!statusAccepted(this.status, url.statusCodes)) {
      const got = this.status === 0 ? 'no valid HTTP status line' : `HTTP status ${this.status}`;
      return { ok: false, detail: `${what}: ${got} (accepted: ${formatStatusCodes(url.statusCodes)})` };
    }
    if (url.digest !== undefined) {
      const digest = this.md5.digest('hex');
      if (digest !== url.digest.toLowerCase()) {
        return { ok: false, detail: `${what}: HTTP status ${this.status}, digest ${digest} differs from ${url.digest.toLowerCase()}` };
      }
      return { ok: true, detail: `${what}: HTTP status ${this.status}, digest ok` };
    }
    return { ok: true, detail: `${what}: HTTP status ${this.status}` };
  }
}

export async function httpCheck(target: HttpTarget, signal: AbortSignal): Promise<AttemptOutcome> {
  if (target.urls.length === 0) return { ok: true, detail: 'no url to check' };
  const details: string[] = [];
  for (const [index, url] of target.urls.entries()) {
    const outcome = await fetchUrl(target, url, target.servernames?.[index], signal);
    if (!outcome.ok) return outcome;
    details.push(outcome.detail);
  }
  return { ok: true, detail: details.join('; ') };
}

/** One GET on its own connection. */
export async function fetchUrl(
  target: HttpTarget,
  url: HttpUrlTarget,
  servername: string | undefined,
  signal: AbortSignal,
): Promise<AttemptOutcome> {
  const what = `GET ${url.path}`;
  const where = hostPort(target.host, target.port);
  const netOptions: net.NetConnectOpts = {
    host: target.host,
    port: target.port,
    ...(target.localAddress !== undefined ? { localAddress: target.localAddress } : {}),
    ...(target.localPort !== undefined ? { localPort: target.localPort } : {}),
  };
  const opened = target.tls
    ? await openSocket(
        () =>
          tls.connect({
            ...(netOptions as tls.ConnectionOptions),
            rejectUnauthorized: false,
            ...(servername !== undefined && !net.isIP(servername) ? { servername } : {}),
          }),
        'secureConnect',
        target.timeoutMs,
        signal,
        'connect/TLS handshake',
      )
    : await openSocket(() => net.connect(netOptions), 'connect', target.timeoutMs, signal);
  if ('failure' in opened) return { ok: false, detail: `${what}: ${where}: ${opened.failure}` };
  return readResponse(opened.socket, target, url, signal);
}

function readResponse(socket: net.Socket, target: HttpTarget, url: HttpUrlTarget, signal: AbortSignal): Promise<AttemptOutcome> {
  const what = `GET ${url.path}`;
  const timeoutMs = target.timeoutMs;
  return new Promise((resolve) => {
    const reader = new ResponseReader();
    let timer: NodeJS.Timeout | undefined;
    let gotData = false;
    const finish = (outcome: AttemptOutcome) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('data');
      socket.removeAllListeners('end');
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(outcome);
    };
    const arm = (phrase: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => finish({ ok: false, detail: `${what}: ${phrase} ${timeoutMs} ms` }), timeoutMs);
    };
    const onAbort = () => finish(STOPPED);
    signal.addEventListener('abort', onAbort);
    arm('no response within');
    socket.on('data', (chunk: Buffer) => {
      // HTTP_GET: connect_timeout between reads; SSL_GET: for the whole rest after the first bytes.
      if (!target.tls || !gotData) arm(target.tls ? 'response not complete within' : 'read timeout after');
      gotData = true;
      const failure = reader.push(chunk);
      if (failure !== undefined) finish({ ok: false, detail: `${what}: ${failure}` });
    });
    socket.on('end', () => finish(reader.finish(url)));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // keepalived's SSL reader judges what it got when the stream breaks; the plain one fails.
      if (target.tls && reader.hasHead) finish(reader.finish(url));
      else finish({ ok: false, detail: `${what}: read error: ${err.code ?? err.message}` });
    });
    socket.write(httpRequest(url.path, url.host, target.protocol));
    if (signal.aborted) onAbort();
  });
}
