/** The table lock between processes: exclusive, waited for, released on exit and on a crash. */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { IpvsTableBusyError, lockAbstractName, type LockOptions } from './internals';

const TABLE_LOCK = path.resolve(__dirname, '../src/table-lock.js');
/** This run's own lock name: the machine's IPVS table lock may be held by a real tsipvs meanwhile. */
const NAME = `\0tsipvs-test-lock-${process.pid}`;
const lockIpvsTable = (options?: LockOptions) => lockAbstractName(NAME, options);

/** A separate process that takes the lock, says so, and holds it until killed (or for `holdMs`). */
function holder(holdMs: number): Promise<{ exited: Promise<void>; kill(): void }> {
  const script = `require(${JSON.stringify(TABLE_LOCK)}).lockAbstractName(${JSON.stringify(NAME)}).then(() => { console.log('locked'); setTimeout(() => {}, ${holdMs}); }, (e) => { console.log(e.message); process.exit(3); })`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) =>
      d.toString().startsWith('locked') ? resolve({ exited, kill: () => child.kill('SIGKILL') }) : reject(new Error(d.toString())),
    );
  });
}

describe('the IPVS table lock', () => {
  test('one holder at a time in this process', async () => {
    const lock = await lockIpvsTable();
    await expect(lockIpvsTable()).rejects.toBeInstanceOf(IpvsTableBusyError);
    await lock.release();
    await lock.release(); // twice is fine
    const again = await lockIpvsTable();
    await again.release();
  });

  test('a busy lock fails at once with a clear message, or is waited for', async () => {
    const other = await holder(600);
    await expect(lockIpvsTable()).rejects.toThrow('another tsipvs is changing this IPVS table (wait for it with --wait)');
    const started = Date.now();
    const lock = await lockIpvsTable({ waitMs: 30_000 });
    expect(Date.now() - started).toBeGreaterThan(100);
    await lock.release();
    await other.exited;
  });

  test('waiting gives up after waitMs, naming the wait', async () => {
    const other = await holder(60_000);
    try {
      await expect(lockIpvsTable({ waitMs: 300 })).rejects.toThrow(/still busy after waiting 0\.[3-9] s/);
    } finally {
      other.kill();
      await other.exited;
    }
  });

  test('a killed holder leaves no lock behind', async () => {
    const other = await holder(60_000);
    other.kill();
    await other.exited;
    const lock = await lockIpvsTable();
    await lock.release();
  });

  test('an aborted wait stops waiting', async () => {
    const other = await holder(60_000);
    try {
      const abort = new AbortController();
      setTimeout(() => abort.abort(new Error('interrupted')), 200);
      await expect(lockIpvsTable({ waitMs: Infinity, signal: abort.signal })).rejects.toThrow('interrupted');
    } finally {
      other.kill();
      await other.exited;
    }
  });
});
