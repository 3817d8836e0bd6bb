/**
 * One change a plan makes, and how to make and undo it. Steps are plain JSON so that what was applied
 * can be recorded in a state file and undone later by another process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NetworkInterfaces } from './interfaces';
import { parseSysctlName } from './names';
import { SysctlTree } from './tree';

export type Step =
  | { readonly kind: 'sysctl'; readonly key: string; readonly from: string; readonly to: string; readonly reason: string }
  | { readonly kind: 'link-up'; readonly dev: string; readonly reason: string }
  | { readonly kind: 'address'; readonly dev: string; readonly address: string; readonly prefixLength: number; readonly reason: string }
  | { readonly kind: 'file'; readonly path: string; readonly from: string | null; readonly to: string; readonly reason: string };

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
      return env.tree.write(parseSysctlName(step.key), step.from);
    case 'link-up':
      return env.network.setLinkUp(step.dev, false);
    case 'address':
      return env.network.deleteAddress(step.dev, step.address, step.prefixLength);
    case 'file':
      return step.from === null ? fs.rmSync(step.path, { force: true }) : writeFileAtomically(step.path, step.from);
  }
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
      return `file ${step.path}: ${step.from === null ? 'absent' : 'other content'} -> written`;
  }
}

export function writeFileAtomically(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, content, { mode: 0o644 });
  fs.renameSync(temporary, file);
}
