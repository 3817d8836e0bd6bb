/**
 * Every public oracle scenario, run twice in the live kernel: once with Debian's ipvsadm and once
 * with tsipvs, each in its own fresh network namespace. Every command line's stdout, stderr and
 * exit status must be identical ("ipvsadm" → "tsipvs" where it names itself), except the
 * deliberate differences of docs/compatibility.md, which are asserted as such.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DELIBERATE_DIFFERENCES } from 'tsipvs/dist/test/support/oracle-differences';
import { parseScenario } from 'tsipvs/dist/test/support/scenario';
import { sideBySide } from 'tsipvs/dist/test/support/side-by-side';
import { IPROUTE2, TSIPVS_BIN, vmTest } from '../harness/guest';

/** The recorded scenarios (test/fixtures/oracle; the guest mirrors them at the same path); this file runs from test/dist/vm. */
const ORACLE = process.env.TSIPVS_ORACLE ?? path.resolve(__dirname, '../../fixtures/oracle');

for (const file of fs.readdirSync(ORACLE).filter((f) => f.endsWith('.scn')).sort()) {
  const name = file.replace(/\.scn$/, '');
  const scenario = parseScenario(fs.readFileSync(path.join(ORACLE, file), 'utf8'));
  if (scenario.volatile) continue; // real traffic: counters and timers differ from run to run
  vmTest(`oracle scenario ${name}: tsipvs output = ipvsadm output`, (t) => {
    const result = sideBySide(t.run, IPROUTE2, `${process.execPath} ${TSIPVS_BIN}`, scenario, DELIBERATE_DIFFERENCES[name]);
    console.log(`${name}: ${result.compared} command lines compared, ${result.mismatches.length} differ`);
    assert.equal(result.mismatches.join('\n'), '');
  }, 1_200_000);
}
