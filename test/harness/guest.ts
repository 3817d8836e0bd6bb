/**
 * The API in-VM test files use. A test file registers cases with `vmTest`; the guest runner
 * (guest-runner.ts) runs every case in a process of its own, inside a fresh network namespace,
 * so IPVS state never leaks from one case to another.
 *
 *   import { vmTest } from '../harness/guest';
 *   vmTest('adds a service', async (t) => {
 *     t.sh('ip link add d0 type dummy && ip link set d0 up');
 *     const r = t.run('ipvsadm', ['-Ln']);
 *   });
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit status, or 128+signal when killed by a signal. */
  readonly status: number;
}

export interface RunOptions {
  /** Text fed to the command's standard input. */
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Run in a further, brand-new network namespace (for side-by-side comparisons). */
  readonly freshNamespace?: boolean;
}

export interface VmTestContext {
  /** Runs a program (no shell) in this case's namespace and captures its output and status. */
  run(command: string, args: readonly string[], options?: RunOptions): RunResult;
  /** Runs a shell line with busybox sh; throws with the output if it exits non-zero. */
  sh(script: string): string;
  /** Runs the tsipvs CLI (the built one) with the given arguments. */
  tsipvs(args: readonly string[], options?: RunOptions): RunResult;
  /** Runs Debian's ipvsadm with the given arguments. */
  ipvsadm(args: readonly string[], options?: RunOptions): RunResult;
  /** Ends the case as skipped (reported as such, never as a pass), saying why it cannot run here. */
  skip(reason: string): never;
}

/** Thrown by `t.skip`; the case runner reports the case as skipped with its message. */
export class VmSkip extends Error {
  override readonly name = 'VmSkip';
}

export type VmTestBody = (t: VmTestContext) => void | Promise<void>;

export interface RegisteredCase {
  readonly name: string;
  readonly body: VmTestBody;
  readonly timeoutMs: number;
  readonly alone: boolean;
}

export interface VmTestOptions {
  /**
   * Run while no other case runs. For cases that read tables of more than ~100 services with ipvsadm
   * as the oracle: on this kernel a dump of that size is thrown off by services that other cases add
   * or delete in their own namespaces meanwhile (see docs/compatibility.md).
   */
  readonly alone?: boolean;
}

const registry: RegisteredCase[] = [];

/** Registers one in-VM test case. Names must be unique within a file. */
export function vmTest(name: string, body: VmTestBody, timeoutMs = 120_000, options: VmTestOptions = {}): void {
  if (registry.some((c) => c.name === name)) throw new Error(`duplicate vmTest name: ${name}`);
  registry.push({ name, body, timeoutMs, alone: options.alone ?? false });
}

/** Cases registered so far (used by the runner after requiring a test file). */
export function registeredCases(): readonly RegisteredCase[] {
  return registry;
}

/** Path of iproute2's `ip` in the guest (busybox's applet shadows the name `ip`). */
export const IPROUTE2 = process.env.TSIPVS_IPROUTE2 ?? '/usr/sbin/ip';
/** Built CLI entry point. */
export const TSIPVS_BIN = process.env.TSIPVS_BIN ?? path.resolve(__dirname, '../../../packages/ipvs-cli/bin/tsipvs');
export const IPVSADM = process.env.TSIPVS_IPVSADM ?? 'ipvsadm';

function spawnCaptured(command: string, args: readonly string[], options: RunOptions = {}): RunResult {
  let file = command;
  let argv = [...args];
  if (options.freshNamespace) {
    // unshare -n gives a new, empty network namespace (only a down lo); bring lo up first.
    file = 'unshare';
    argv = ['-n', 'sh', '-c', `${IPROUTE2} link set lo up && exec "$0" "$@"`, command, ...args];
  }
  const r = spawnSync(file, argv, {
    input: options.input ?? '',
    env: options.env ?? process.env,
    encoding: 'latin1',
    maxBuffer: 512 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  const status = r.status ?? 128 + (r.signal ? (require('node:os').constants.signals[r.signal] as number) : 0);
  return { stdout: r.stdout, stderr: r.stderr, status };
}

export const context: VmTestContext = {
  run: spawnCaptured,
  sh(script) {
    // Put iproute2 first: inside the guest, `ip` means iproute2 here.
    const r = spawnCaptured('sh', ['-c', `ip() { ${IPROUTE2} "$@"; }\n${script}`]);
    if (r.status !== 0) throw new Error(`sh failed (${r.status}): ${script}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  },
  tsipvs: (args, options) => spawnCaptured(process.execPath, [TSIPVS_BIN, ...args], options),
  ipvsadm: (args, options) => spawnCaptured(IPVSADM, args, options),
  skip(reason) {
    throw new VmSkip(reason);
  },
};
