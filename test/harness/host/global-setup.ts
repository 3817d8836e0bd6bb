/** jest globalSetup of the kernel suite: one VM boot runs every in-VM test. */
import { reportPath, runSuite } from './suite';

export default async function globalSetup(): Promise<void> {
  process.env.TSIPVS_VM_REPORT = reportPath();
  const report = await runSuite();
  const line = report.unavailable
    ? `kernel lab unavailable: ${report.unavailable}`
    : `kernel lab: ${report.kernel ?? '?'}; boot ${report.bootSeconds?.toFixed(1) ?? '?'} s, in-VM ${report.guestSeconds?.toFixed(1) ?? '?'} s, ` +
      `${report.results.filter((r) => r.ok).length}/${report.results.length} cases passed${report.failure ? `; FAILURE: ${report.failure}` : ''}`;
  process.stderr.write(`\n${line}\n`);
}
