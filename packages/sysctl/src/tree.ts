/**
 * Reading and writing sysctl files under a root directory: /proc/sys, or a temporary tree in tests.
 * Values are normalized on read: surrounding whitespace dropped, inner whitespace runs (the tab of
 * multi-value settings such as `sync_threshold`) collapsed to one space.
 *
 * Nothing outside the root is ever reached. Names cannot spell `..` (see names.ts), and no symbolic link
 * is followed below the root (/proc/sys has none): every component is checked with lstat from the
 * root's real path down, files are opened with O_NOFOLLOW, and an opened file is checked to be the one
 * that was looked at (so a directory swapped for a link in between is caught too) before a byte is read
 * or written. The root's own path may go through links.
 *
 * /proc/sys/net shows the network namespace of the thread that looks a file up and opens it. With
 * `netns`, every operation runs synchronously with the calling thread in that namespace (fs's
 * synchronous calls run on the calling thread; its asynchronous ones on libuv's pool, which would not).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withNetns, type NetnsSpec } from '@tsipvs/ipvs-core/netns';
import { SysctlError, systemErrorCode, errorText } from './errors';
import { SysctlKey, SysctlKeyLike, sysctlKey, toKey } from './names';

export const PROC_SYS = '/proc/sys';

export interface SysctlEntry {
  readonly key: SysctlKey;
  readonly value: string;
}

/** A file or directory found under the root without following links. */
interface Located {
  readonly file: string;
  readonly stats: fs.Stats;
}

export interface SysctlTreeOptions {
  /** The network namespace whose /proc/sys/net to use (a name, path, descriptor or handle). */
  readonly netns?: NetnsSpec;
}

export class SysctlTree {
  readonly root: string;
  readonly netns: NetnsSpec | undefined;

  constructor(root: string = PROC_SYS, options: SysctlTreeOptions = {}) {
    this.root = path.resolve(root);
    this.netns = options.netns;
  }

  /** Runs a whole operation in the tree's namespace (nested calls stay there). */
  private inNamespace<T>(operation: () => T): T {
    return this.netns === undefined ? operation() : withNetns(this.netns, operation);
  }

  /** Absolute file path of a key, lexically inside the root (links are checked when the file is used). */
  fileOf(name: SysctlKeyLike): string {
    const file = path.resolve(this.root, toKey(name).path);
    if (!file.startsWith(this.root + path.sep)) {
      throw new SysctlError('invalid-name', `sysctl name ${JSON.stringify(toKey(name).dotted)} leaves ${this.root}`);
    }
    return file;
  }

  read(name: SysctlKeyLike): string {
    return normalizeValue(this.readBytes(name).toString('utf8'));
  }

  /** The exact content of a setting's file (what teardown writes back). */
  readBytes(name: SysctlKeyLike): Buffer {
    return this.inNamespace(() => this.readHere(toKey(name)));
  }

  private readHere(key: SysctlKey): Buffer {
    const fd = this.open(key, fs.constants.O_RDONLY, 'read');
    try {
      return fs.readFileSync(fd);
    } catch (error) {
      throw this.fileError(error, key, 'read');
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Writes a value as one line, after checking it has no control character. */
  write(name: SysctlKeyLike, value: string): void {
    const key = toKey(name);
    checkValue(key.dotted, value);
    this.writeBytes(key, Buffer.from(`${value}\n`));
  }

  /** Writes exactly these bytes, e.g. a file's content as readBytes returned it. */
  writeBytes(name: SysctlKeyLike, content: Buffer): void {
    this.inNamespace(() => this.writeHere(toKey(name), content));
  }

  private writeHere(key: SysctlKey, content: Buffer): void {
    // No O_CREAT: writing never creates a setting that does not exist. No O_TRUNC: the file is
    // truncated only once it is known to be the one inside the root.
    const fd = this.open(key, fs.constants.O_WRONLY, 'write');
    try {
      fs.ftruncateSync(fd, 0);
      fs.writeSync(fd, content);
    } catch (error) {
      // Once open, any error is the kernel's verdict on the value (EINVAL, ERANGE, even ENOENT).
      const value = content.toString('utf8').replace(/\n$/, '');
      throw new SysctlError('write-rejected', `the kernel rejected ${JSON.stringify(value)} for ${key.dotted} (${systemErrorCode(error) ?? errorText(error)})`);
    } finally {
      fs.closeSync(fd);
    }
  }

  exists(name: SysctlKeyLike): boolean {
    return this.inNamespace(() => this.locate(toKey(name))?.stats.isFile() ?? false);
  }

  isDirectory(name: SysctlKeyLike): boolean {
    return this.inNamespace(() => this.locate(toKey(name))?.stats.isDirectory() ?? false);
  }

  /**
   * Every readable setting under a prefix (the whole tree without one), sorted by name. Like
   * `sysctl -a`, settings that cannot be read (write-only ones such as net.ipv4.route.flush) are left
   * out, and so are symbolic links.
   */
  list(prefix?: SysctlKeyLike): SysctlEntry[] {
    const start = prefix === undefined ? undefined : toKey(prefix);
    if (start && !this.isDirectory(start)) return [{ key: start, value: this.read(start) }];
    const entries: SysctlEntry[] = [];
    this.inNamespace(() => this.collect(start?.components ?? [], entries));
    return entries.sort((a, b) => (a.key.dotted < b.key.dotted ? -1 : a.key.dotted > b.key.dotted ? 1 : 0));
  }

  private collect(components: readonly string[], into: SysctlEntry[]): void {
    const dir = components.length === 0 ? this.root : this.fileOf(sysctlKey(components));
    for (const dirent of fs.readdirSync(dir, { withFileTypes: true })) {
      const child = [...components, dirent.name];
      if (dirent.isDirectory()) {
        this.collect(child, into);
      } else if (dirent.isFile()) {
        const key = sysctlKey(child);
        try {
          into.push({ key, value: normalizeValue(this.readHere(key).toString('utf8')) });
        } catch {
          // unreadable (write-only or vanished meanwhile): skipped, as sysctl -a does
        }
      }
    }
  }

  /**
   * Walks from the root's real path down to the key with lstat; undefined when something on the way is
   * missing (or not a directory). Throws `unsafe-path` on a symbolic link.
   */
  private locate(key: SysctlKey): Located | undefined {
    let file: string;
    try {
      file = fs.realpathSync.native(this.root);
    } catch (error) {
      if (systemErrorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    let stats: fs.Stats | undefined;
    for (const component of key.components) {
      if (stats && !stats.isDirectory()) return undefined;
      file = path.join(file, component);
      stats = fs.lstatSync(file, { throwIfNoEntry: false });
      if (!stats) return undefined;
      if (stats.isSymbolicLink()) throw symlinkRefused(key, file);
    }
    return stats && { file, stats };
  }

  /** Opens the key's file (O_NOFOLLOW added), checked to lie inside the root. */
  private open(key: SysctlKey, flags: number, action: 'read' | 'write'): number {
    const found = this.locate(key);
    if (!found) throw notFound(key);
    if (found.stats.isDirectory()) throw notAFile(key);
    let fd: number;
    try {
      fd = fs.openSync(found.file, flags | fs.constants.O_NOFOLLOW);
    } catch (error) {
      throw systemErrorCode(error) === 'ELOOP' ? symlinkRefused(key, found.file) : this.fileError(error, key, action);
    }
    let opened: string;
    try {
      opened = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch (error) {
      fs.closeSync(fd);
      throw new SysctlError('unsafe-path', `cannot check which file was opened for ${key.dotted} (${errorText(error)}); /proc must be mounted`);
    }
    if (opened !== found.file) {
      fs.closeSync(fd);
      throw new SysctlError('unsafe-path', `refusing ${key.dotted}: opening ${found.file} reached ${opened} (something on the way was replaced meanwhile)`);
    }
    return fd;
  }

  private fileError(error: unknown, key: SysctlKey, action: 'read' | 'write'): SysctlError {
    if (error instanceof SysctlError) return error;
    switch (systemErrorCode(error)) {
      case 'ENOENT':
      case 'ENOTDIR':
        return notFound(key);
      case 'EISDIR':
        return notAFile(key);
      case 'EACCES':
      case 'EPERM':
      case 'EROFS':
        return new SysctlError('permission-denied', `permission denied to ${action} ${key.dotted} (${systemErrorCode(error)})`);
      default:
        return new SysctlError(action === 'write' ? 'write-rejected' : 'not-found', `cannot ${action} ${key.dotted}: ${errorText(error)}`);
    }
  }
}

export function normalizeValue(text: string): string {
  return text.trim().split(/\s+/).join(' ');
}

/** Control characters, except the tab that separates the numbers of multi-value settings. */
const CONTROL_CHARACTER = /[\0-\x08\n-\x1f\x7f-\x9f]/;

/**
 * Refuses a value that is not one line of text: a newline, NUL or other control character (the tab
 * excepted). Checked on the text as given, before any trimming or normalization, so that `1\n2` is
 * refused rather than written as `1 2`.
 */
export function checkValue(name: string, value: string): void {
  const bad = CONTROL_CHARACTER.exec(value)?.[0];
  if (bad !== undefined) {
    throw new SysctlError('invalid-value', `invalid value ${JSON.stringify(value)} for ${name}: it contains the control character ${JSON.stringify(bad)}; a value must be one line`);
  }
}

function notFound(key: SysctlKey): SysctlError {
  return new SysctlError('not-found', `no such sysctl: ${key.dotted}`);
}

function notAFile(key: SysctlKey): SysctlError {
  return new SysctlError('not-a-file', `${key.dotted} is a group of settings, not a setting`);
}

function symlinkRefused(key: SysctlKey, link: string): SysctlError {
  return new SysctlError('unsafe-path', `refusing ${key.dotted}: ${link} is a symbolic link (links are never followed under the sysctl root)`);
}
