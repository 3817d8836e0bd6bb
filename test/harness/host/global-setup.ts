/** jest globalSetup of the kernel suite: the VMs run every in-VM test; the packed packages are installed first. */
import { installPackedPackages } from './install';
import { PROJECT_ROOT } from './lab';
import { reportPath, runSuite } from './suite';

export default async function globalSetup(): Promise<void> {
  process.env.TSIPVS_VM_REPORT = reportPath();
  const filter = process.env.VM_TESTS ?? '';
  // only when the install cases run (a failure here fails them: they find nothing installed)
  if (filter === '' || filter.includes('install')) {
    try {
      installPackedPackages(PROJECT_ROOT, (line) => process.stderr.write(`[install] ${line}\n`));
    } catch (error) {
      process.stderr.write(`[install] FAILED: ${(error as Error).message}\n`);
    }
  }
  const report = await runSuite(filter);
  const line = report.unavailable
    ? `kernel lab unavailable: ${report.unavailable}`
    : `kernel lab: ${report.kernel ?? '?'}; boot ${report.bootSeconds?.toFixed(1) ?? '?'} s, in-VM ${report.guestSeconds?.toFixed(1) ?? '?'} s, ` +
      `${report.results.filter((r) => r.ok && !r.skipped).length}/${report.results.length} cases passed` +
      `${report.results.some((r) => r.skipped) ? `, ${report.results.filter((r) => r.skipped).length} skipped` : ''}${report.failure ? `; FAILURE: ${report.failure}` : ''}`;
  process.stderr.write(`\n${line}\n`);
}
