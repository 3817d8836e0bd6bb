/**
 * Runs the whole in-VM test suite in one boot and turns the guest's records into a report the
 * host's jest run shows test by test.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CACHE_DIR, runInGuest } from './lab';
import { LabUnavailableError } from './system';

export interface CaseResult {
  readonly file: string;
  readonly name: string;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly error?: string;
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

export async function runSuite(filter = process.env.VM_TESTS ?? ''): Promise<SuiteReport> {
  const quoted = filter.replace(/'/g, '');
  const verbose = process.env.VM_VERBOSE === '1';
  let report: SuiteReport;
  try {
    const run = await runInGuest(`VM_TESTS='${quoted}' node test/dist/harness/guest-runner.js`, {
      // the cases run one at a time: about 32 minutes under TCG, past the lab's default 30
      timeoutMs: 60 * 60_000,
      onLine: verbose ? (line) => process.stderr.write(`[guest] ${line}\n`) : undefined,
    });
    const results = run.records.filter((r) => r.type === 'result') as unknown as CaseResult[];
    const summary = run.records.find((r) => r.type === 'summary');
    let failure = run.failure;
    if (!failure && !summary) failure = 'the guest runner ended without a summary';
    if (!failure && run.status !== 0 && results.every((r) => r.ok)) failure = `the guest runner exited ${run.status}`;
    const guestSeconds = run.bootedAt !== undefined && run.endedAt !== undefined ? run.endedAt - run.bootedAt : undefined;
    report = {
      failure,
      kernel: run.kernelRelease ?? run.kernel,
      wallSeconds: run.wallMs / 1000,
      guestSeconds,
      bootSeconds: guestSeconds !== undefined ? run.wallMs / 1000 - guestSeconds : undefined,
      results,
      outputTail: [...run.output.slice(-60), ...(failure ? ['--- console ---', run.consoleLog.slice(-4000)] : [])].join('\n'),
    };
  } catch (err) {
    if (err instanceof LabUnavailableError && process.env.CI !== 'true') {
      report = { unavailable: err.message, results: [] };
    } else {
      report = { failure: `the kernel lab could not start: ${(err as Error).message}`, results: [] };
    }
  }
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  fs.writeFileSync(reportPath(), JSON.stringify(report, null, 2));
  return report;
}
