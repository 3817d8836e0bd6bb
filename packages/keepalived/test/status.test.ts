import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStatus } from '../src/status/client';
import { formatStatus } from '../src/status/format';
import { startStatusServer } from '../src/status/server';
import { sampleStatus } from './support/status-sample';

describe('status socket', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsipvs-status-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('round trip: the client reads what the server serves, dates as ISO strings; the socket goes on close', async () => {
    const path = join(dir, 'run', 'keepalived.sock');
    const server = await startStatusServer(path, 4242, sampleStatus);
    try {
      const report = await readStatus(path);
      expect(report.pid).toBe(4242);
      expect(report.status).toEqual(JSON.parse(JSON.stringify(sampleStatus())));
      expect(report.status.startedAt).toBe('2026-11-30T02:00:00.000Z');
    } finally {
      await server.close();
    }
    expect(existsSync(path)).toBe(false);
  });

  test('a socket file nobody answers on is replaced; one a daemon answers on is refused', async () => {
    const path = join(dir, 'keepalived.sock');
    writeFileSync(path, '');
    const first = await startStatusServer(path, 1, sampleStatus);
    try {
      await expect(startStatusServer(path, 2, sampleStatus)).rejects.toThrow(`another daemon answers on the status socket ${path}`);
      expect((await readStatus(path)).pid).toBe(1);
    } finally {
      await first.close();
    }
  });

  test('a status that throws is reported by the client', async () => {
    const path = join(dir, 'keepalived.sock');
    const server = await startStatusServer(path, 1, () => {
      throw new Error('not started');
    });
    try {
      await expect(readStatus(path)).rejects.toThrow(`the daemon on ${path} could not give its status: not started`);
    } finally {
      await server.close();
    }
  });

  test('clear errors when no daemon answers', async () => {
    const missing = join(dir, 'none.sock');
    await expect(readStatus(missing)).rejects.toThrow(`no tsipvs keepalived answers on ${missing}: the socket does not exist`);
    const stale = join(dir, 'stale.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(stale, resolve));
    server.close();
    await expect(readStatus(stale)).rejects.toThrow(/no tsipvs keepalived answers on .*stale\.sock: (the socket does not exist|nothing listens on it)/);
    const silent = join(dir, 'silent.sock');
    const mute = createServer(() => undefined);
    await new Promise<void>((resolve) => mute.listen(silent, resolve));
    try {
      await expect(readStatus(silent, 100)).rejects.toThrow(`the daemon on ${silent} did not answer within 100 ms`);
    } finally {
      mute.close();
    }
  });

  test('the table: every virtual server and real server with state, weights, failures, last check, quorum, sorry server', () => {
    const report = JSON.parse(JSON.stringify({ version: 1, pid: 77, status: sampleStatus() }));
    expect(formatStatus(report)).toBe(
      'tsipvs keepalived (pid 77), /etc/keepalived/keepalived.conf, running since 2026-11-30T02:00:00Z, last reconcile 2026-11-30T00:53:20Z: 2 changes\n' +
        '\n' +
        '192.0.2.1:80  (/etc/keepalived/keepalived.conf:3)  quorum met (up weight 3, needs 1), sorry server 127.0.0.1:80 out\n' +
        '  REAL SERVER    STATE  WEIGHT  FAILURES  LAST CHECK\n' +
        '  192.0.2.10:80  up     3/3     0         2026-11-30T02:10:00Z HTTP_GET ok: HTTP status 200\n' +
        '  192.0.2.11:80  down   out/1   4         2026-11-30T02:10:02Z HTTP_GET failed: HTTP status 503\n',
    );
  });
});
