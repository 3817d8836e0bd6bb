/**
 * Reading and writing sysctl files under a root directory: /proc/sys, or a temporary tree in tests.
 * Values are normalized on read: surrounding whitespace dropped, inner whitespace runs (the tab of
 * multi-value settings such as `sync_threshold`) collapsed to one space.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SysctlError, systemErrorCode, errorText } from './errors';
import { SysctlKey, SysctlKeyLike, sysctlKey, toKey } from './names';

export const PROC_SYS = '/proc/sys';

export interface SysctlEntry {
  readonly key: SysctlKey;
  readonly value: string;
}

export class SysctlTree {
  readonly root: string;

  constructor(root: string = PROC_SYS) {
    this.root = path.resolve(root);
  }

  /** Absolute file path of a key, guaranteed to lie inside the root. */
  fileOf(name: SysctlKeyLike): string {
    const file = path.resolve(this.root, toKey(name).path);
    if (!file.startsWith(this.root + path.sep)) {
      throw new SysctlError('invalid-name', `sysctl name ${JSON.stringify(toKey(name).dotted)} leaves ${this.root}`);
    }
    return file;
  }

  read(name: SysctlKeyLike): string {
    const key = toKey(name);
    try {
      return normalizeValue(fs.readFileSync(this.fileOf(key), 'utf8'));
    } catch (error) {
      throw this.fileError(error, key, 'read');
    }
  }

  write(name: SysctlKeyLike, value: string): void {
    const key = toKey(name);
    if (/[\n\0]/.test(value)) {
      throw new SysctlError('invalid-value', `value for ${key.dotted} must be one line without NUL bytes`);
    }
    let fd: number;
    try {
      // No O_CREAT: writing never creates a setting that does not exist.
      fd = fs.openSync(this.fileOf(key), fs.constants.O_WRONLY | fs.constants.O_TRUNC);
    } catch (error) {
      throw this.fileError(error, key, 'write');
    }
    try {
      fs.writeSync(fd, `${value}\n`);
    } catch (error) {
      // Once open, any error is the kernel's verdict on the value (EINVAL, ERANGE, even ENOENT).
      throw new SysctlError('write-rejected', `the kernel rejected ${JSON.stringify(value)} for ${key.dotted} (${systemErrorCode(error) ?? errorText(error)})`);
    } finally {
      fs.closeSync(fd);
    }
  }

  exists(name: SysctlKeyLike): boolean {
    return statOf(this.fileOf(name))?.isFile() ?? false;
  }

  isDirectory(name: SysctlKeyLike): boolean {
    return statOf(this.fileOf(name))?.isDirectory() ?? false;
  }

  /**
   * Every readable setting under a prefix (the whole tree without one), sorted by name. Like
   * `sysctl -a`, settings that cannot be read (write-only ones such as net.ipv4.route.flush) are left out.
   */
  list(prefix?: SysctlKeyLike): SysctlEntry[] {
    const start = prefix === undefined ? undefined : toKey(prefix);
    if (start && !this.isDirectory(start)) return [{ key: start, value: this.read(start) }];
    const entries: SysctlEntry[] = [];
    this.collect(start?.components ?? [], entries);
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
          into.push({ key, value: this.read(key) });
        } catch {
          // unreadable (write-only or vanished meanwhile): skipped, as sysctl -a does
        }
      }
    }
  }

  private fileError(error: unknown, key: SysctlKey, action: 'read' | 'write'): SysctlError {
    if (error instanceof SysctlError) return error;
    switch (systemErrorCode(error)) {
      case 'ENOENT':
      case 'ENOTDIR':
        return notFound(key);
      case 'EISDIR':
        return new SysctlError('not-a-file', `${key.dotted} is a group of settings, not a setting`);
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

function statOf(file: string): fs.Stats | undefined {
  return fs.statSync(file, { throwIfNoEntry: false });
}

function notFound(key: SysctlKey): SysctlError {
  return new SysctlError('not-found', `no such sysctl: ${key.dotted}`);
}
