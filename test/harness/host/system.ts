/** Small process and package helpers for the host side of the kernel lab. */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

/** Thrown when the host cannot run the kernel lab (not root, no apt, package missing). */
export class LabUnavailableError extends Error {
  override readonly name = 'LabUnavailableError';
}

/** Runs a program and returns its stdout; throws with stderr on a non-zero exit. */
export function exec(file: string, args: readonly string[], options: SpawnSyncOptions = {}): string {
  const r = spawnSync(file, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  if (r.error) throw new Error(`${file}: ${r.error.message}`);
  if (r.status !== 0) {
    // tsc and others report on stdout
    const said = String(r.stderr ?? '').trim() || String(r.stdout ?? '').trim();
    throw new Error(`${file} ${args.join(' ')} exited ${r.status ?? r.signal}: ${said}`);
  }
  return String(r.stdout ?? '');
}

export function commandExists(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** Debian packages the lab needs on the host, with a file each one provides. */
export const HOST_PACKAGES: ReadonlyArray<{ readonly name: string; readonly provides: string }> = [
  { name: 'qemu-system-x86', provides: '/usr/bin/qemu-system-x86_64' },
  { name: 'busybox-static', provides: '/bin/busybox' },
  { name: 'ipvsadm', provides: '/usr/sbin/ipvsadm' },
  { name: 'iproute2', provides: '/usr/sbin/ip' },
  { name: 'cpio', provides: '/usr/bin/cpio' },
  { name: 'kmod', provides: '/usr/sbin/depmod' },
  { name: 'iptables', provides: '/usr/sbin/xtables-nft-multi' },
  // the reference for `tsipvs keepalived` (docs/keepalived.md); Debian ships no keepalived.conf, and its
  // unit needs one (ConditionFileNotEmpty), so installing it starts no service
  { name: 'keepalived', provides: '/usr/sbin/keepalived' },
];

let aptUpdated = false;

/** apt-get update, once per process. */
export function aptUpdate(log: (line: string) => void): void {
  if (aptUpdated) return;
  log('apt-get update');
  exec('apt-get', ['update', '-qq']);
  aptUpdated = true;
}

/** Installs the missing host packages from Debian, or explains what is missing and why it can't. */
export function ensureHostPackages(log: (line: string) => void): void {
  const fs = require('node:fs') as typeof import('node:fs');
  const missing = HOST_PACKAGES.filter((p) => !fs.existsSync(p.provides)).map((p) => p.name);
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !commandExists('apt-get')) {
    throw new LabUnavailableError(
      `the kernel lab needs the Debian packages ${missing.join(', ')}; ` +
        (isRoot ? 'apt-get is not available' : 'run as root (or install them: apt-get install --no-install-recommends ' + missing.join(' ') + ')'),
    );
  }
  aptUpdate(log);
  log(`apt-get install ${missing.join(' ')}`);
  exec('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}
