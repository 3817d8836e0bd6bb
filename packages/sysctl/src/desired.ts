/** The state a preset wants: settings, links that must be up, addresses, and optionally a drop-in file. */
import { SysctlKey } from './names';

export interface DesiredSysctl {
  readonly key: SysctlKey;
  readonly value: string;
  readonly reason: string;
}

export interface DesiredLinkUp {
  readonly dev: string;
  readonly reason: string;
}

export interface DesiredAddress {
  readonly dev: string;
  readonly address: string;
  readonly prefixLength: number;
  readonly reason: string;
}

export interface DesiredFile {
  readonly path: string;
  readonly content: string;
  readonly reason: string;
}

export interface Desired {
  readonly sysctls: readonly DesiredSysctl[];
  readonly linksUp: readonly DesiredLinkUp[];
  readonly addresses: readonly DesiredAddress[];
  readonly files: readonly DesiredFile[];
}

export const NOTHING_DESIRED: Desired = { sysctls: [], linksUp: [], addresses: [], files: [] };

/** Drops repeated settings of the same key (e.g. `--dev all`); the first one, with its reason, stays. */
export function uniqueSysctls(sysctls: readonly DesiredSysctl[]): DesiredSysctl[] {
  const seen = new Set<string>();
  return sysctls.filter((s) => {
    if (seen.has(s.key.path)) return false;
    seen.add(s.key.path);
    return true;
  });
}
