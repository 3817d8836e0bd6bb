/**
 * Command line of the kernel lab.
 *   node test/dist/harness/host/cli.js run '<shell command>'   boot, run it in the guest, print its output
 *   node test/dist/harness/host/cli.js suite [filter]          run the in-VM suite and print a summary
 */
import { runInGuest } from './lab';
import { runSuite } from './suite';

async function main(): Promise<number> {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === 'run' && rest.length > 0) {
    const result = await runInGuest(rest.join(' '), { onLine: (line) => process.stdout.write(`${line}\n`) });
    process.stderr.write(
      `[kernel-lab] kernel ${result.kernelRelease ?? result.kernel}, wall ${(result.wallMs / 1000).toFixed(1)} s` +
        (result.bootedAt !== undefined && result.endedAt !== undefined ? `, in guest ${(result.endedAt - result.bootedAt).toFixed(1)} s` : '') +
        `, exit ${result.status ?? '?'}${result.failure ? `, FAILURE: ${result.failure}` : ''}\n`,
    );
    return result.failure ? 1 : (result.status ?? 1);
  }
  if (mode === 'suite') {
    const report = await runSuite(rest.join(','));
    for (const r of report.results) {
      const verdict = r.skipped ? 'SKIP' : r.ok ? 'PASS' : 'FAIL';
      process.stdout.write(`${verdict} ${r.file} › ${r.name} (${r.durationMs} ms)${r.skipped ? `\n  ${r.skipped}` : r.ok ? '' : `\n  ${r.error}`}\n`);
    }
    if (report.unavailable) process.stdout.write(`unavailable: ${report.unavailable}\n`);
    if (report.failure) process.stdout.write(`FAILURE: ${report.failure}\n${report.outputTail ?? ''}\n`);
    const passed = report.results.filter((r) => r.ok && !r.skipped).length;
    const skipped = report.results.filter((r) => r.skipped).length;
    process.stdout.write(`kernel ${report.kernel ?? '?'}; boot ${report.bootSeconds?.toFixed(1)} s; in-VM ${report.guestSeconds?.toFixed(1)} s\n`);
    process.stdout.write(`${passed} passed, ${report.results.length - passed - skipped} failed, ${skipped} skipped\n`);
    return report.failure || passed + skipped !== report.results.length ? 1 : 0;
  }
  process.stderr.write("usage: cli.js run '<shell command>' | suite [filter]\n");
  return 2;
}

main().then((code) => process.exit(code), (err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
