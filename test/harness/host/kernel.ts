/**
 * Resolves, downloads and unpacks Debian's current cloud kernel (it has ip_vs as modules),
 * cached per version under the lab cache folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { aptUpdate, exec } from './system';

export interface LabKernel {
  /** e.g. "6.1.0-56-cloud-amd64" */
  readonly version: string;
  readonly vmlinuz: string;
  /** Unpacked package root; modules are under lib/modules/<version>. */
  readonly root: string;
}

const META_PACKAGE = 'linux-image-cloud-amd64';

/** The versioned image package the metapackage depends on today. */
function resolvePackage(log: (line: string) => void): string {
  const query = () => exec('apt-cache', ['depends', META_PACKAGE]);
  let out = '';
  try {
    out = query();
  } catch {
    /* the package lists may be missing: update and retry */
  }
  let match = /Depends:\s*(linux-image-[\w.+-]+)/.exec(out);
  if (!match) {
    aptUpdate(log);
    match = /Depends:\s*(linux-image-[\w.+-]+)/.exec(query());
  }
  if (!match?.[1]) throw new Error(`cannot resolve the kernel package behind ${META_PACKAGE}`);
  return match[1];
}

export function prepareKernel(cacheDir: string, log: (line: string) => void): LabKernel {
  const pkg = resolvePackage(log);
  const version = pkg.replace(/^linux-image-/, '');
  const root = path.join(cacheDir, 'kernel', version);
  const vmlinuz = path.join(root, 'boot', `vmlinuz-${version}`);
  const ready = path.join(root, '.ready');
  if (!fs.existsSync(ready)) {
    log(`downloading ${pkg}`);
    fs.rmSync(root, { recursive: true, force: true });
    const dl = path.join(cacheDir, 'download');
    fs.mkdirSync(dl, { recursive: true });
    fs.chmodSync(dl, 0o777); // apt's _apt user writes here when it can
    exec('apt-get', ['download', '-qq', pkg], { cwd: dl });
    const deb = fs.readdirSync(dl).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${dl}`);
    fs.mkdirSync(root, { recursive: true });
    exec('dpkg-deb', ['-x', path.join(dl, deb), root]);
    exec('depmod', ['-b', root, version]);
    fs.rmSync(dl, { recursive: true, force: true });
    fs.writeFileSync(ready, `${pkg}\n`);
  }
  if (!fs.existsSync(vmlinuz)) throw new Error(`kernel image missing: ${vmlinuz}`);
  return { version, vmlinuz, root };
}
