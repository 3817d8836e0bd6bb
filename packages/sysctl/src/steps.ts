/**
 * One change a plan makes, and how to make and undo it. Steps are plain JSON so that what was applied
 * can be recorded in a state file and undone later by another process. What a step replaced is kept
 * byte for byte (base64), so that undoing it puts back exactly what was there.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SysctlError, errorText, systemErrorCode } from './errors';
import { NetworkInterfaces } from './interfaces';
import { parseSysctlName } from './names';
import { SysctlTree } from './tree';

export type Step =
  | {
      readonly kind: 'sysctl';
      readonly key: string;
      /** The value before, normalized: shown, and compared with the value found at teardown. */
      readonly from: string;
      /** The file's exact content before, base64: what undoing the step writes back. */
      readonly fromBase64: string;
      readonly to: string;
      readonly reason: string;
    }
  | { readonly kind: 'link-up'; readonly dev: string; readonly reason: string }
  | { readonly kind: 'address'; readonly dev: string; readonly address: string; readonly prefixLength: number; readonly reason: string }
  | FileStep;

/** Writing a file: one the step created (undoing removes it), or one that was there (its exact content goes back). */
export type FileStep =
  | { readonly kind: 'file'; readonly path: string; readonly created: true; readonly to: string; readonly reason: string }
  | { readonly kind: 'file'; readonly path: string; readonly created: false; readonly fromBase64: string; readonly to: string; readonly reason: string };

/** Where steps act: the sysctl tree and the network interfaces. */
export interface Environment {
  readonly tree: SysctlTree;
  readonly network: NetworkInterfaces;
}

export async function applyStep(step: Step, env: Environment): Promise<void> {
  switch (step.kind) {
    case 'sysctl':
      return env.tree.write(parseSysctlName(step.key), step.to);
    case 'link-up':
      return env.network.setLinkUp(step.dev, true);
    case 'address':
      return env.network.addAddress(step.dev, step.address, step.prefixLength);
    case 'file':
      return writeFileAtomically(step.path, step.to);
  }
}

export async function undoStep(step: Step, env: Environment): Promise<void> {
  switch (step.kind) {
    case 'sysctl':
      return env.tree.writeBytes(parseSysctlName(step.key), previousBytes(step));
    case 'link-up':
      return env.network.setLinkUp(step.dev, false);
    case 'address':
      return env.network.deleteAddress(step.dev, step.address, step.prefixLength);
    case 'file':
      return step.created ? fs.rmSync(step.path, { force: true }) : writeFileAtomically(step.path, previousBytes(step));
  }
}

/** The exact content a step replaced. */
export function previousBytes(step: { readonly fromBase64: string }): Buffer {
  return Buffer.from(step.fromBase64, 'base64');
}

/** One line describing a step, e.g. `net.ipv4.conf.all.arp_ignore: 0 -> 1`. */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'sysctl':
      return `${step.key}: ${step.from} -> ${step.to}`;
    case 'link-up':
      return `link ${step.dev}: down -> up`;
    case 'address':
      return `address ${step.address}/${step.prefixLength} on ${step.dev}: absent -> present`;
    case 'file':
      return `file ${step.path}: ${step.created ? 'absent' : 'other content'} -> written`;
  }
}

/**
 * The exact content of a regular file, or null when there is none. A symbolic link (never followed)
 * or anything but a regular file is refused.
 */
export function readRegularFile(file: string): Buffer | null {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (error) {
    const code = systemErrorCode(error);
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new SysctlError('unsafe-path', `${file} is a symbolic link; tsipvs neither follows nor replaces it`);
    throw new SysctlError('permission-denied', `cannot read ${file}: ${code ?? errorText(error)}`);
  }
  try {
    if (!fs.fstatSync(fd).isFile()) throw new SysctlError('unsafe-path', `${file} is not a regular file`);
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Where a file step stands: the file holds what the step wrote (`applied`), or what was there before
 * (`not-applied`, absent for a file the step created). Anything else means somebody else changed it,
 * and it is refused: undoing never removes or overwrites a file that does not hold what setup wrote.
 */
export function fileStepProgress(step: FileStep): 'applied' | 'not-applied' {
  const found = readRegularFile(step.path);
  if (found !== null && found.equals(Buffer.from(step.to))) return 'applied';
  if (step.created ? found === null : found !== null && found.equals(previousBytes(step))) return 'not-applied';
  throw new SysctlError('state', `${step.path} holds neither the drop-in setup wrote nor what was there before, so tsipvs leaves it alone`);
}

/** Replaces a file by renaming a new one over it (a symbolic link there is replaced, not followed). */
export function writeFileAtomically(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.rmSync(temporary, { force: true }); // left by a crash, or planted: created anew, exclusively, below
  fs.writeFileSync(temporary, content, { mode: 0o644, flag: 'wx' });
  fs.renameSync(temporary, file);
}
