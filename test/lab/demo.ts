/** `npm start`: boots the kernel lab and runs the direct-routing demo in it (see demo-guest.ts). */
import { runInGuest } from '../harness/host/lab';

runInGuest('node test/dist/lab/demo-guest.js', {
  timeoutMs: 10 * 60_000,
  onLine: (line) => {
    if (!line.startsWith('@@TSIPVS ')) process.stdout.write(`${line}\n`);
  },
}).then((run) => {
  process.stderr.write(`\n[demo] kernel ${run.kernelRelease ?? run.kernel}, ${(run.wallMs / 1000).toFixed(1)} s in all\n`);
  if (run.failure) process.stderr.write(`[demo] FAILURE: ${run.failure}\n`);
  process.exit(run.failure ? 1 : (run.status ?? 1));
}, (err: Error) => {
  process.stderr.write(`[demo] ${err.message}\n`);
  process.exit(1);
});
