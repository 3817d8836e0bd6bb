/** `npm run bench`: boots the kernel lab and runs the bulk-rules benchmark in it. */
import { runInGuest } from '../harness/host/lab';

const sizes = process.env.BENCH_SIZES ? `BENCH_SIZES='${process.env.BENCH_SIZES.replace(/'/g, '')}' ` : '';
runInGuest(`${sizes}node test/dist/bench/bulk-bench.js`, {
  timeoutMs: 60 * 60_000,
  memoryMb: 4096,
  onLine: (line) => {
    if (!line.startsWith('@@TSIPVS ')) process.stdout.write(`${line}\n`);
  },
}).then((run) => {
  process.stderr.write(`[bench] kernel ${run.kernelRelease ?? run.kernel}, ${(run.wallMs / 1000).toFixed(0)} s in all\n`);
  if (run.failure) process.stderr.write(`[bench] FAILURE: ${run.failure}\n`);
  process.exit(run.failure ? 1 : (run.status ?? 1));
}, (err: Error) => {
  process.stderr.write(`[bench] ${err.message}\n`);
  process.exit(1);
});
