import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Difference, ExpectedRun } from './oracle-differences';
import { scenarioScript, type Scenario } from './scenario';

/** What the in-VM tests give us to run a program (the harness's `t.run`). */
export type Runner = (command: string, args: readonly string[]) => { stdout: string; stderr: string; status: number };

interface StepResult extends ExpectedRun {
  readonly cmd: string;
  /** The real ipvsadm's output for the same listing in the same namespace (tsipvs runs only). */
  readonly reference?: string;
  /** Loaded in bulk, not run on its own: not compared. */
  readonly skipped?: boolean;
}

/** Scenarios longer than this load their plain -A/-a lines into tsipvs with one -R. */
const BULK_THRESHOLD = 300;

function runScenario(run: Runner, iproute2: string, scenario: Scenario, tool: string | undefined, align?: Map<number, string[][]>): StepResult[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scn-'));
  const bulkLoad = scenario.steps.length > BULK_THRESHOLD;
  const script = scenarioScript(scenario, { dir, ...(tool ? { tool } : {}), ...(align ? { align } : {}), bulkLoad });
  const r = run('unshare', ['-n', 'sh', '-c', `${iproute2} link set lo up\n${script}`]);
  if (r.status !== 0) throw new Error(`scenario script failed (${r.status}): ${r.stderr}`);
  const read = (n: number, ext: string): string | undefined => {
    const file = path.join(dir, `${n}.${ext}`);
    return fs.existsSync(file) ? fs.readFileSync(file, 'latin1') : undefined;
  };
  const count = 1 + Math.max(-1, ...fs.readdirSync(dir).filter((f) => f.endsWith('.rc')).map((f) => parseInt(f, 10)));
  const results: StepResult[] = [];
  for (let n = 0; n < count; n++) {
    const rc = read(n, 'rc');
    const reference = read(n, 'ref');
    results.push({
      cmd: (read(n, 'cmd') ?? '').trim(),
      stdout: read(n, 'out') ?? '',
      stderr: read(n, 'err') ?? '',
      exit: Number((rc ?? '-1').trim()),
      ...(rc === undefined ? { skipped: true } : {}),
      ...(reference !== undefined ? { reference } : {}),
    });
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return results;
}

const renamed = (text: string): string => text.replaceAll('ipvsadm', 'tsipvs');
const lineSet = (text: string): string => text.split('\n').sort().join('\n');

export interface SideBySideResult {
  readonly compared: number;
  readonly mismatches: readonly string[];
}

/**
 * Runs `scenario` with the real ipvsadm and with tsipvs (`tool`), each in a fresh network namespace,
 * and compares every step. `--nosort` outputs compare as sets of lines (kernel hash order differs
 * between namespaces); sorted listings whose lines match but whose order does not are checked
 * against the real ipvsadm on tsipvs's own table (the wrap-around sort depends on kernel order).
 */
export function sideBySide(run: Runner, iproute2: string, tool: string, scenario: Scenario, differences: Record<number, Difference> = {}): SideBySideResult {
  const align = new Map(Object.entries(differences).filter(([, d]) => d.align).map(([at, d]) => [Number(at), d.align!.map((a) => [...a])]));
  const theirs = runScenario(run, iproute2, scenario, undefined);
  const ours = runScenario(run, iproute2, scenario, tool, align);
  if (ours.length !== theirs.length) return { compared: 0, mismatches: [`step counts differ: ipvsadm ${theirs.length}, tsipvs ${ours.length}`] };
  const mismatches: string[] = [];
  let compared = 0;
  theirs.forEach((their, at) => {
    const our = ours[at]!;
    if (our.skipped) return;
    compared++;
    const recorded: ExpectedRun = { stdout: renamed(their.stdout), stderr: renamed(their.stderr), exit: their.exit };
    const expected = differences[at]?.expect(recorded) ?? recorded;
    const unordered = their.cmd.includes('--nosort');
    let sameOut = unordered ? lineSet(our.stdout) === lineSet(expected.stdout) : our.stdout === expected.stdout;
    if (!sameOut && our.reference !== undefined && lineSet(our.stdout) === lineSet(expected.stdout)) sameOut = our.stdout === renamed(our.reference);
    if (!sameOut || our.stderr !== expected.stderr || our.exit !== expected.exit) {
      const show = (r: ExpectedRun): string => `(exit ${r.exit})\n${r.stdout}${r.stderr ? `[stderr]\n${r.stderr}` : ''}`;
      mismatches.push(`#${at} ${their.cmd}\n--- ipvsadm ${show(expected)}--- tsipvs ${show(our)}`);
    }
  });
  return { compared, mismatches };
}
