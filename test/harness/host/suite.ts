/**
 * Runs the whole in-VM test suite in one boot and turns the guest's records into a report the
 * host's jest run shows test by test.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CACHE_DIR, runInGuest } from './lab';
import { LabUnavailableError } from './system';

export interface CaseResult {
  readonly file: string;
  readonly name: string;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly error?: string;
  /** Set when the case skipped itself (t.skip): why it could not run. */
  readonly skipped?: string;
  readonly output?: string;
}

export interface SuiteReport {
  /** Set when the lab could not run at all outside CI (e.g. not root): tests are skipped with it. */
  readonly unavailable?: string;
  /** Set when the VM run itself failed (boot failure, panic, timeout, runner crash). */
  readonly failure?: string;
  readonly kernel?: string;
  readonly bootSeconds?: number;
  readonly guestSeconds?: number;
  readonly wallSeconds?: number;
  readonly results: CaseResult[];
  readonly outputTail?: string;
}

/** Where a run leaves its report (per process, so concurrent runs don't mix; jest workers inherit the env). */
export function reportPath(): string {
  return process.env.TSIPVS_VM_REPORT ?? path.join(CACHE_DIR, `report-${process.pid}.json`);
}

/**
 * How many VMs run the suite side by side. IPVS keeps one service table for all namespaces, so one
 * kernel runs its cases one at a time (see guest-runner); separate VMs are separate kernels. Each VM
 * gets one virtual CPU: TCG turns each into a host thread, and the cases are mostly single-threaded.
 */
function shardCount(): number {
  const requested = Number(process.env.VM_SHARDS ?? Math.min(2, os.cpus().length));
  return Number.isInteger(requested) && requested >= 1 ? requested : 1;
}

interface ShardRun {
  readonly shard: number;
  readonly run?: Awaited<ReturnType<typeof runInGuest>>;
  readonly error?: unknown;
}

export async function runSuite(filter = process.env.VM_TESTS ?? ''): Promise<SuiteReport> {
  const quoted = filter.replace(/'/g, '');
  const verbose = process.env.VM_VERBOSE === '1';
  const shards = shardCount();
  const started = Date.now();
  const runs: ShardRun[] = await Promise.all(
    Array.from({ length: shards }, (_, shard) => {
      const shardEnv = shards > 1 ? ` VM_SHARD=${shard}/${shards}` : '';
      const soakEnv = process.env.VM_SOAK === '1' ? ' VM_SOAK=1' : '';
      return runInGuest(`VM_TESTS='${quoted}'${shardEnv}${soakEnv} node test/dist/harness/guest-runner.js`, {
        // the cases run one at a time in each VM: about 50 minutes in one VM under TCG, past the lab's default 30
        timeoutMs: 60 * 60_000,
        cpus: shards > 1 ? 1 : 2,
        runName: shards > 1 ? `shard${shard}` : undefined,
        onLine: verbose ? (line) => process.stderr.write(`[guest${shards > 1 ? shard : ''}] ${line}\n`) : undefined,
      }).then(
        (run) => ({ shard, run }),
        (error: unknown) => ({ shard, error }),
      );
    }),
  );
  const report = mergeShards(runs, shards, (Date.now() - started) / 1000);
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  fs.writeFileSync(reportPath(), JSON.stringify(report, null, 2));
  return report;
}

function mergeShards(runs: readonly ShardRun[], shards: number, wallSeconds: number): SuiteReport {
  const unavailable = runs.find((r) => r.error instanceof LabUnavailableError);
  if (unavailable && process.env.CI !== 'true') return { unavailable: (unavailable.error as Error).message, results: [] };
  const results: CaseResult[] = [];
  const failures: string[] = [];
  const tails: string[] = [];
  let kernel: string | undefined;
  let guestSeconds = 0;
  for (const { shard, run, error } of runs) {
    const label = shards > 1 ? `VM ${shard + 1} of ${shards}: ` : '';
    if (!run) {
      failures.push(`${label}the kernel lab could not start: ${(error as Error).message}`);
      continue;
    }
    const shardResults = run.records.filter((r) => r.type === 'result') as unknown as CaseResult[];
    results.push(...shardResults);
    kernel ??= run.kernelRelease ?? run.kernel;
    let failure = run.failure;
    if (!failure && !run.records.some((r) => r.type === 'summary')) failure = 'the guest runner ended without a summary';
    if (!failure && run.status !== 0 && shardResults.every((r) => r.ok)) failure = `the guest runner exited ${run.status}`;
    if (failure) failures.push(`${label}${failure}`);
    if (run.bootedAt !== undefined && run.endedAt !== undefined) guestSeconds = Math.max(guestSeconds, run.endedAt - run.bootedAt);
    tails.push(...(shards > 1 ? [`--- VM ${shard + 1} ---`] : []), ...run.output.slice(-60), ...(failure ? ['--- console ---', run.consoleLog.slice(-4000)] : []));
  }
  return {
    failure: failures.length > 0 ? failures.join('; ') : undefined,
    kernel,
    wallSeconds,
    guestSeconds,
    bootSeconds: wallSeconds - guestSeconds,
    results,
    outputTail: tails.join('\n'),
  };
}
