/** Shared helpers of the sysctl in-VM suites (registers no case of its own). */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { VmTestContext } from '../harness/guest';

/**
 * Everything a preset could touch, read with the shell rather than with @tsipvs/sysctl: every file
 * under net.ipv4.conf and net.ipv4.vs, ip_forward, IPv4 addresses and link flags.
 */
export function networkState(t: VmTestContext): string {
  return t.sh(
    [
      'for f in $(find /proc/sys/net/ipv4/conf /proc/sys/net/ipv4/vs -type f | sort); do echo "$f=$(cat $f 2>/dev/null)"; done',
      'echo "ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"',
      'ip -4 -o addr show',
      'ip -o link show | sed "s/ qdisc.*//"',
    ].join('\n'),
  );
}

/** Value of a sysctl file under /proc/sys, read with cat. */
export function procValue(t: VmTestContext, relative: string): string {
  return t.sh(`cat /proc/sys/${relative}`).trim();
}

/** `ip -4 -o addr show dev DEV` as "address/prefix" list. */
export function ipv4Addresses(t: VmTestContext, dev: string): string[] {
  return t
    .sh(`ip -4 -o addr show dev ${dev}`)
    .split('\n')
    .map((line) => /inet (\S+)/.exec(line)?.[1])
    .filter((a): a is string => a !== undefined);
}

export function linkIsUp(t: VmTestContext, dev: string): boolean {
  return /<[^>]*\bUP\b[^>]*>/.test(t.sh(`ip -o link show dev ${dev}`));
}

/** A fresh state-file path (cases run side by side in one VM, sharing /tmp and /run). */
export function scratchFile(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsipvs-sysctl-vm-')), name);
}

/** Runs the CLI and asserts it succeeded; returns stdout. */
export function tsipvsOk(t: VmTestContext, args: readonly string[]): string {
  const r = t.tsipvs(args);
  assert.equal(r.status, 0, `tsipvs ${args.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}
