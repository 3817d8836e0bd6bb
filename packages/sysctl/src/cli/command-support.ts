/**
 * What the sysctl, realserver and director commands share: injectable dependencies (tests use a
 * temporary tree and a fake network), output through commander's configured writers, and errors
 * reported as one clear line with a non-zero exit status.
 */
import type { NetnsHandle } from '@tsipvs/ipvs-core/netns';
import type { Command } from 'commander';
import { SysctlError, errorText } from '../errors';
import { NetworkInterfaces } from '../interfaces';
import type { Clock } from '../setup';
import { RtnetlinkInterfaces } from '../rtnetlink';
import { PROC_SYS, SysctlTree } from '../tree';

export interface CommandDeps {
  /** Sysctl tree (default /proc/sys). */
  readonly tree?: SysctlTree;
  /** Links and addresses (default rtnetlink). */
  readonly network?: NetworkInterfaces;
  /** The time a setup records (default the system clock). */
  readonly clock?: Clock;
  /** The network namespace of the default tree, network and state files (`--netns`; default: the caller's). */
  readonly netns?: NetnsHandle;
}

/** The sysctl tree to use: the injected one, else /proc/sys of `deps.netns`. */
export function treeOf(deps: CommandDeps): SysctlTree {
  return deps.tree ?? new SysctlTree(PROC_SYS, deps.netns ? { netns: deps.netns } : {});
}

/** The network to use: the injected one (not closed here), else rtnetlink in `deps.netns` (close it). */
export function networkOf(deps: CommandDeps): { readonly network: NetworkInterfaces; close(): void } {
  if (deps.network) return { network: deps.network, close: () => undefined };
  const network = new RtnetlinkInterfaces(deps.netns ? { netns: deps.netns } : {});
  return { network, close: () => network.close() };
}

/** Writes through the program's configured output (commander's default: stdout). */
export function printLines(command: Command, lines: readonly string[]): void {
  if (lines.length > 0) command.configureOutput().writeOut?.(`${lines.join('\n')}\n`);
}

export function printJson(command: Command, value: unknown): void {
  printLines(command, [JSON.stringify(value, null, 2)]);
}

/** Runs an action; any failure becomes `tsipvs <command>: <message>` on stderr and exit status 1. */
export async function runAction(command: Command, action: () => Promise<void> | void): Promise<void> {
  try {
    await action();
  } catch (error) {
    const code = error instanceof SysctlError ? error.code : 'error';
    command.error(`tsipvs ${commandPath(command)}: ${errorText(error)}`, { exitCode: 1, code: `tsipvs.${code}` });
  }
}

/** Collects a repeatable option's values. */
export function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
