/**
 * Every public oracle scenario, run twice in the live kernel: once with Debian's ipvsadm and once
 * with tsipvs, each in its own fresh network namespace. Every command line's stdout, stderr and
 * exit status must be identical ("ipvsadm" → "tsipvs" where it names itself), except the
 * deliberate differences of docs/compatibility.md, which are asserted as such.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DELIBERATE_DIFFERENCES, type ExpectedRun } from '@tsipvs/ipvs-cli/dist/test/support/oracle-differences';
import { parseScenario, scenarioScript, type Scenario } from '@tsipvs/ipvs-cli/dist/test/support/scenario';
import { IPROUTE2, TSIPVS_BIN, vmTest, type VmTestContext } from '../harness/guest';

const ORACLE = process.env.TSIPVS_ORACLE ?? '/work/shared/oracle/public';
const BULK_THRESHOLD = 300;

interface StepResult extends ExpectedRun {
  readonly cmd: string;
  /** The real ipvsadm's output for the same listing in the same namespace (tsipvs runs only). */
  readonly reference?: string;
}

function runScenario(t: VmTestContext, scenario: Scenario, tool: string | undefined, align?: Map<number, string[][]>): StepResult[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scn-'));
  const bulkLoad = scenario.steps.length > BULK_THRESHOLD;
  const script = scenarioScript(scenario, { dir, ...(tool ? { tool } : {}), ...(align ? { align } : {}), bulkLoad });
  const r = t.run('unshare', ['-n', 'sh', '-c', `${IPROUTE2} link set lo up\n${script}`]);
  assert.equal(r.status, 0, `scenario script failed: ${r.stderr}`);
  const results: StepResult[] = [];
  const read = (n: number, ext: string): string | undefined => {
    const file = path.join(dir, `${n}.${ext}`);
    return fs.existsSync(file) ? fs.readFileSync(file, 'latin1') : undefined;
  };
  const count = 1 + Math.max(-1, ...fs.readdirSync(dir).filter((f) => f.endsWith('.rc')).map((f) => parseInt(f, 10)));
  for (let n = 0; n < count; n++) {
    const rc = read(n, 'rc');
    if (rc === undefined) {
      results.push({ cmd: '', stdout: '', stderr: '', exit: -1 }); // loaded in bulk: not compared
      continue;
    }
    const reference = read(n, 'ref');
    results.push({
      cmd: (read(n, 'cmd') ?? '').trim(),
      stdout: read(n, 'out') ?? '',
      stderr: read(n, 'err') ?? '',
      exit: Number(rc.trim()),
      ...(reference !== undefined ? { reference } : {}),
    });
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return results;
}

const renamed = (text: string): string => text.replaceAll('ipvsadm', 'tsipvs');
const lineSet = (text: string): string => text.split('\n').sort().join('\n');

let compared = 0;

for (const file of fs.readdirSync(ORACLE).filter((f) => f.endsWith('.scn')).sort()) {
  const name = file.replace(/\.scn$/, '');
  const scenario = parseScenario(fs.readFileSync(path.join(ORACLE, file), 'utf8'));
  if (scenario.volatile) continue; // real traffic: counters and timers differ from run to run
  vmTest(`oracle scenario ${name}: tsipvs output = ipvsadm output`, (t) => {
    const differences = DELIBERATE_DIFFERENCES[name] ?? {};
    const align = new Map(Object.entries(differences).filter(([, d]) => d.align).map(([at, d]) => [Number(at), d.align!.map((a) => [...a])]));
    const theirs = runScenario(t, scenario, undefined);
    const ours = runScenario(t, scenario, `${process.execPath} ${TSIPVS_BIN}`, align);
    assert.equal(ours.length, theirs.length, 'both runs have the same steps');
    const mismatches: string[] = [];
    let here = 0;
    theirs.forEach((their, at) => {
      const our = ours[at]!;
      if (our.exit === -1) return;
      here++;
      const recorded: ExpectedRun = { stdout: renamed(their.stdout), stderr: renamed(their.stderr), exit: their.exit };
      const expected = differences[at]?.expect(recorded) ?? recorded;
      const unordered = their.cmd.includes('--nosort');
      let sameOut = unordered ? lineSet(our.stdout) === lineSet(expected.stdout) : our.stdout === expected.stdout;
      // Sorting is order-dependent for addresses > 2^31 apart, and kernel order differs between
      // namespaces: then the real ipvsadm on our own table is the reference.
      if (!sameOut && our.reference !== undefined && lineSet(our.stdout) === lineSet(expected.stdout)) {
        sameOut = our.stdout === renamed(our.reference);
      }
      if (!sameOut || our.stderr !== expected.stderr || our.exit !== expected.exit) {
        mismatches.push(`#${at} ${their.cmd}\n--- ipvsadm (exit ${expected.exit})\n${expected.stdout}${expected.stderr}--- tsipvs (exit ${our.exit})\n${our.stdout}${our.stderr}`);
      }
    });
    compared += here;
    console.log(`${name}: ${here} command lines compared (total so far in this process: ${compared})`);
    assert.equal(mismatches.join('\n'), '');
  }, 1_200_000);
}
