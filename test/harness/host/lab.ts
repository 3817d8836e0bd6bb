/**
 * The kernel lab: everything needed to run a command as root in a throwaway VM booting Debian's
 * cloud kernel with IPVS, with the built project inside at the same path as on the host.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepareKernel, type LabKernel } from './kernel';
import { buildInitramfs } from './initramfs';
import { bootGuest, type BootResult } from './qemu';
import { ensureHostPackages } from './system';

/** Root of the repository (this file is compiled to test/dist/harness/host). */
export const PROJECT_ROOT = path.resolve(__dirname, '../../../..');
export const CACHE_DIR = path.join(PROJECT_ROOT, '.cache', 'kernel-lab');

export interface PreparedLab {
  readonly kernel: LabKernel;
  readonly initrd: string;
}

export interface GuestRunOptions {
  readonly timeoutMs?: number;
  readonly memoryMb?: number;
  readonly cpus?: number;
  /** Distinguishes concurrent runs of one process (their work directories). */
  readonly runName?: string;
  readonly onLine?: (line: string) => void;
  readonly log?: (line: string) => void;
}

const defaultLog = (line: string) => process.stderr.write(`[kernel-lab] ${line}\n`);

/** Installs what is missing, fetches the kernel and (re)builds the initramfs when needed. */
export function prepareLab(log: (line: string) => void = defaultLog): PreparedLab {
  ensureHostPackages(log);
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const kernel = prepareKernel(CACHE_DIR, log);
  const initrd = buildInitramfs({ projectRoot: PROJECT_ROOT, kernel, cacheDir: CACHE_DIR }, log);
  return { kernel, initrd };
}

/** Boots the VM and runs one shell command in it (as root, from the project root). */
export async function runInGuest(command: string, options: GuestRunOptions = {}): Promise<BootResult & { kernel: string }> {
  const lab = prepareLab(options.log ?? defaultLog);
  const workDir = path.join(CACHE_DIR, `run-${process.pid}${options.runName ? `-${options.runName}` : ''}`);
  const result = await bootGuest({
    vmlinuz: lab.kernel.vmlinuz,
    initrd: lab.initrd,
    command: `cd '${PROJECT_ROOT}' && ${command}`,
    workDir,
    timeoutMs: options.timeoutMs ?? 30 * 60_000,
    memoryMb: options.memoryMb,
    cpus: options.cpus,
    onLine: options.onLine,
  });
  if (!result.failure) fs.rmSync(workDir, { recursive: true, force: true }); // kept for post-mortems only
  return { ...result, kernel: lab.kernel.version };
}
