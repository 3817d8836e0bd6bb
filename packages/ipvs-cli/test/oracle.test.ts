/**
 * Replays every public oracle scenario (recorded runs of the real ipvsadm on a real kernel) through
 * tsipvs backed by the in-memory kernel kernel, and compares stdout, stderr and exit status byte for
 * byte ("ipvsadm" → "tsipvs" where ipvsadm names itself). Deliberate differences
 * (docs/compatibility.md) are asserted explicitly in oracle-differences.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FakeKernel, runWithFake } from './support/environment';
import { DELIBERATE_DIFFERENCES, type ExpectedRun } from './support/oracle-differences';

/** The oracle corpus, test/fixtures/oracle; this file runs from packages/ipvs-cli/dist/test. */
const ORACLE = process.env.TSIPVS_ORACLE ?? resolve(__dirname, '../../../../test/fixtures/oracle');

interface Run {
  readonly cmd: string;
  readonly argv?: string[];
  readonly stdin?: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly exit: number;
}

type Step = Run | { readonly snapshot: Run[] };

interface Scenario {
  readonly scenario: string;
  readonly env_dependent: boolean;
  readonly volatile: string | null;
  readonly unstable_order: string[];
  readonly steps: Step[];
  readonly roundtrip?: Record<'save' | 'clear' | 'restore' | 'save_again', Run> & { identical: boolean };
}

const renamed = (text: string): string => text.replaceAll('ipvsadm', 'tsipvs');
const lineSet = (text: string): string => text.split('\n').sort().join('\n');

const scenarioFiles = readdirSync(ORACLE).filter((f) => f.endsWith('.json')).sort();
let compared = 0;

afterAll(() => {
  console.log(`oracle replay: ${compared} command lines compared with recorded ipvsadm runs`);
});

function applyShellStep(kernel: FakeKernel, cmd: string): void {
  for (const match of cmd.matchAll(/ip link add (\S+) type dummy/g)) kernel.interfaces.set(match[1]!, 1500);
}

describe.each(scenarioFiles)('oracle %s', (file) => {
  const scenario = JSON.parse(readFileSync(join(ORACLE, file), 'utf8')) as Scenario;
  const name = file.replace(/\.json$/, '');
  const skip = scenario.volatile !== null;
  (skip ? test.skip : test)('matches ipvsadm', async () => {
    const kernel = new FakeKernel();
    const mismatches: string[] = [];
    const deliberate = DELIBERATE_DIFFERENCES[name] ?? {};
    let index = 0;
    let lastStdout = '';
    const check = async (run: Run): Promise<void> => {
      const at = index++;
      if (!run.argv) {
        applyShellStep(kernel, run.cmd);
        return;
      }
      const actual = await runWithFake(kernel, run.argv, { stdin: run.stdin ?? '' });
      const recorded: ExpectedRun = { stdout: renamed(run.stdout), stderr: renamed(run.stderr), exit: run.exit };
      const difference = deliberate[at];
      const expected = difference ? difference.expect(recorded) : recorded;
      for (const argv of difference?.align ?? []) await runWithFake(kernel, argv);
      const unordered = scenario.unstable_order.includes(run.cmd);
      const same = (a: string, b: string): boolean => (unordered ? lineSet(a) === lineSet(b) : a === b);
      lastStdout = actual.stdout;
      compared++;
      if (!same(actual.stdout, expected.stdout) || actual.stderr !== expected.stderr || actual.status !== expected.exit) {
        mismatches.push(
          `#${at} ${run.cmd}\n--- expected (exit ${expected.exit})\n${expected.stdout}${expected.stderr}` +
            `--- actual (exit ${actual.status})\n${actual.stdout}${actual.stderr}`,
        );
      }
    };
    for (const step of scenario.steps) {
      if ('snapshot' in step) for (const run of step.snapshot) await check(run);
      else await check(step);
    }
    if (scenario.roundtrip) {
      const { save, clear, restore, save_again } = scenario.roundtrip; // we restore what we saved
      await check(save);
      const saved = lastStdout;
      await check(clear);
      await check({ ...restore, stdin: saved });
      await check(save_again);
    }
    expect(mismatches.join('\n')).toBe('');
  }, 60_000); // the 500-service scenarios take seconds on a loaded machine
});
