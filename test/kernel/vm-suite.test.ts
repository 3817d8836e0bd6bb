/**
 * Shows the in-VM results on the host, one jest test per in-VM case. The VM ran once, in jest's
 * globalSetup (harness/host/global-setup.ts), and left its report in the lab cache.
 */
import * as fs from 'node:fs';
import { reportPath, type SuiteReport } from '../harness/host/suite';

const REPORT_PATH = reportPath();

const report: SuiteReport = fs.existsSync(REPORT_PATH)
  ? (JSON.parse(fs.readFileSync(REPORT_PATH, 'utf8')) as SuiteReport)
  : { failure: `no report at ${REPORT_PATH}: the kernel suite's globalSetup did not run`, results: [] };

if (report.unavailable) {
  test.skip(`kernel lab unavailable here: ${report.unavailable}`, () => undefined);
} else {
  test(`the VM booted ${report.kernel ?? ''} and ran the suite to its end`, () => {
    if (report.failure) throw new Error(`${report.failure}\n${report.outputTail ?? ''}`);
    expect(report.results.length).toBeGreaterThan(0);
  });
  for (const r of report.results) {
    if (r.skipped) {
      test.skip(`[vm] ${r.file} › ${r.name} (skipped: ${r.skipped})`, () => undefined);
      continue;
    }
    test(`[vm] ${r.file} › ${r.name}`, () => {
      if (!r.ok) throw new Error(`${r.error ?? 'failed'}\n--- output ---\n${r.output ?? ''}`);
    });
  }
}
