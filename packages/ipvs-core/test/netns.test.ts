/**
 * Network namespaces on the host kernel (it has them, not IPVS): specs resolved or refused with a
 * NetnsError, code run inside a throw-away namespace, and the thread always back in its own.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { enterNetns, journalFile, lockAbstractName, NetnsError, netnsInode, openIpvs, openNetns, unshareNetns, withNetns, IpvsTableBusyError } from './internals';

const own = netnsInode();
let fd: number;
let other: number;

beforeAll(() => {
  fd = unshareNetns();
  other = unshareNetns();
});

afterAll(() => {
  fs.closeSync(fd);
  fs.closeSync(other);
});

afterEach(() => {
  // whatever a test did, this thread is in its own namespace again
  expect(netnsInode()).toBe(own);
});

describe('namespace specs', () => {
  test('a name is looked up under /run/netns; a missing one is not-found, naming the name and the path', () => {
    const name = `tsipvs-unit-missing-${process.pid}`;
    const error = catchError(() => openNetns(name));
    expect(error).toBeInstanceOf(NetnsError);
    expect(error).toMatchObject({ code: 'not-found', namespace: name, path: `/run/netns/${name}`, errnoCode: 'ENOENT' });
    expect((error as Error).message).toBe(`network namespace "${name}" not found (/run/netns/${name}): No such file or directory`);
  });

  test('files that are not network namespaces are refused before anything is entered', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsipvs-netns-')), 'plain');
    fs.writeFileSync(file, 'not a namespace');
    for (const spec of [file, '/proc/self/ns/uts', os.tmpdir()]) {
      expect(catchError(() => openNetns(spec))).toMatchObject({ code: 'not-a-netns', namespace: spec });
    }
    expect(catchError(() => openNetns(`${file}/below`))).toMatchObject({ code: 'not-found', errnoCode: 'ENOTDIR' });
    expect(catchError(() => openNetns(fs.openSync(file, 'r')))).toMatchObject({ code: 'not-a-netns' });
    expect(catchError(() => openNetns(987_654))).toMatchObject({ code: 'not-a-netns', namespace: 'fd 987654' });
  });

  test('names that cannot be names and numbers that cannot be descriptors are invalid', () => {
    for (const spec of ['', '.', '..', 'a\0b', -1, 1.5]) {
      expect(catchError(() => openNetns(spec))).toMatchObject({ code: 'invalid-spec' });
    }
  });

  test('a descriptor, a path to it and the handle all name the same namespace; only what was opened here is closed', () => {
    const byFd = openNetns(fd);
    const byPath = openNetns(`/proc/${process.pid}/fd/${fd}`);
    expect(byFd.inode).toBe(fs.fstatSync(fd).ino);
    expect(byPath.inode).toBe(byFd.inode);
    expect(byFd.inode).not.toBe(own);
    expect(openNetns(byFd)).toBe(byFd);
    byPath.close();
    byPath.close();
    expect(() => byPath.enter(() => 0)).toThrow(NetnsError);
    byFd.close();
    expect(fs.fstatSync(fd).ino).toBe(byFd.inode); // the caller's descriptor stays open
    expect(netnsInode(fd)).toBe(byFd.inode);
  });
});

describe('entering a namespace', () => {
  test('runs the function inside and comes back, also when it throws', () => {
    const handle = openNetns(fd);
    expect(handle.enter(() => netnsInode())).toBe(handle.inode);
    expect(() => enterNetns(handle, () => {
      expect(netnsInode()).toBe(handle.inode);
      throw new Error('boom');
    })).toThrow('boom');
    expect(netnsInode()).toBe(own);
    // nested: the inner call comes back to the outer namespace, the outer one to ours
    const inner = openNetns(other);
    expect(withNetns(fd, () => [netnsInode(), inner.enter(() => netnsInode()), netnsInode()])).toEqual([handle.inode, inner.inode, handle.inode]);
  });

  test('files opened inside show the namespace: /proc/sys/net and /proc/thread-self/net', () => {
    const inside = withNetns(fd, () => fs.readdirSync('/proc/sys/net/ipv4/conf').sort());
    expect(inside).toEqual(['all', 'default', 'lo']);
    const devices = withNetns(fd, () => fs.readFileSync('/proc/thread-self/net/dev', 'utf8'));
    expect(devices.split('\n').filter((l) => l.includes(':')).map((l) => l.split(':')[0]!.trim())).toEqual(['lo']);
  });

  test('a lock name bound inside is taken in that namespace only', async () => {
    const name = `\0tsipvs-unit-netns-lock-${process.pid}`;
    const inside = await lockAbstractName(name, { netns: fd });
    await expect(lockAbstractName(name, { netns: fd })).rejects.toBeInstanceOf(IpvsTableBusyError);
    const here = await lockAbstractName(name);
    const elsewhere = await lockAbstractName(name, { netns: other });
    await Promise.all([inside.release(), here.release(), elsewhere.release()]);
    await (await lockAbstractName(name, { netns: fd })).release();
  });

  test('the journal of a namespace is named by its inode', () => {
    expect(journalFile('/j', fd)).toBe(`/j/ipvs-netns-${fs.fstatSync(fd).ino}.journal`);
    expect(journalFile('/j')).toBe(`/j/ipvs-netns-${own}.journal`);
    expect(() => journalFile('/j', `tsipvs-unit-missing-${process.pid}`)).toThrow(NetnsError);
  });

  test('openIpvs refuses a missing namespace before opening a socket, and comes back from a real one', async () => {
    await expect(openIpvs({ netns: `tsipvs-unit-missing-${process.pid}` })).rejects.toMatchObject({ name: 'NetnsError', code: 'not-found' });
    // the host kernel has no IPVS: the family lookup fails there, inside the namespace
    const outcome = await openIpvs({ netns: fd }).then((client) => client.close(), (error: unknown) => error);
    if (outcome !== undefined) expect(outcome).toMatchObject({ name: 'IpvsError', operation: 'resolveFamily' });
  });

  test('a link made inside (nsenter) shows in that namespace\'s /proc/sys only', () => {
    const made = spawnSync('nsenter', [`--net=/proc/${process.pid}/fd/${fd}`, 'ip', 'link', 'add', 'tsu0', 'type', 'bridge'], { encoding: 'utf8' });
    expect(made.stderr).toBe('');
    expect(withNetns(fd, () => fs.existsSync('/proc/sys/net/ipv4/conf/tsu0'))).toBe(true);
    expect(fs.existsSync('/proc/sys/net/ipv4/conf/tsu0')).toBe(false);
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
