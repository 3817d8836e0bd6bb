/** The exporter's HTTP server: GET /metrics scrapes, anything else is 404. */
import { createServer, type Server } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { METRICS_CONTENT_TYPE, type IpvsExporter } from './exporter';

export interface ListenAddress {
  /** Undefined: every address. */
  readonly host: string | undefined;
  readonly port: number;
}

/** `ADDR:PORT`, `[IPv6]:PORT` or `:PORT` (every address); throws a message naming the problem. */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65535) {
    throw new Error(`expected ADDR:PORT ([ADDR]:PORT for IPv6, :PORT for every address) with a port of 0..65535 (0: any free port), got "${text}"`);
  }
  if (host !== '' && isIP(host ?? '') === 0) throw new Error(`"${host}" in "${text}" is not an IP address`);
  return { host: host === '' ? undefined : host, port };
}

export interface MetricsServer {
  /** Where it listens ("127.0.0.1:9165", "[::]:9165"). */
  readonly address: string;
  close(): Promise<void>;
}

/** Listens on `listen` and serves the exporter; rejects when it cannot listen (address in use ...). */
export function startMetricsServer(exporter: IpvsExporter, listen: ListenAddress): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: the metrics are at /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('only GET and HEAD\n');
      return;
    }
    exporter.scrape().then(
      (text) => response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) =>
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`scrape failed: ${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  return listenOn(server, listen);
}

function listenOn(server: Server, listen: ListenAddress): Promise<MetricsServer> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      const info = server.address() as AddressInfo;
      resolve({
        address: info.family === 'IPv6' ? `[${info.address}]:${info.port}` : `${info.address}:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
