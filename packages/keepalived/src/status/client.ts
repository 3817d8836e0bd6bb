/** Reads the daemon's status socket (server.ts). */
import { connect } from 'node:net';
import type { StatusReport } from './server';

/** No daemon answered, or its answer was not a status: the message says which and where. */
export class StatusUnavailableError extends Error {}

function why(path: string, error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return `no tsipvs keepalived answers on ${path}: the socket does not exist (is the daemon running? --status-socket names another)`;
    case 'ECONNREFUSED':
      return `no tsipvs keepalived answers on ${path}: nothing listens on it (a daemon that stopped left it)`;
    case 'EACCES':
    case 'EPERM':
      return `cannot open the status socket ${path}: permission denied (run as root)`;
    default:
      return `cannot read the status socket ${path}: ${error.message}`;
  }
}

/** Connects, reads the one JSON document the daemon sends, and parses it. */
export function readStatus(path: string, timeoutMs = 5000): Promise<StatusReport> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new StatusUnavailableError(`the daemon on ${path} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new StatusUnavailableError(why(path, error)));
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        const document = JSON.parse(Buffer.concat(chunks).toString('utf8')) as StatusReport & { error?: string };
        if (document.error !== undefined) reject(new StatusUnavailableError(`the daemon on ${path} could not give its status: ${document.error}`));
        else if (document.version !== 1 || typeof document.status !== 'object') reject(new StatusUnavailableError(`${path} answered something that is not a tsipvs status`));
        else resolve(document);
      } catch {
        reject(new StatusUnavailableError(`${path} answered something that is not a tsipvs status`));
      }
    });
  });
}
