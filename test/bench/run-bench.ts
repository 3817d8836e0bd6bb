/**
 * `npm run bench` / `npm run bench:keepalived`: boots the kernel lab and runs one benchmark in it,
 * test/bench/<name>.ts (default bulk-bench), passing BENCH_SIZES, KA_BENCH_SECONDS and KA_BENCH_SIZE on.
 */
import { runInGuest } from '../harness/host/lab';

const name = process.argv[2] ?? 'bulk-bench';
if (!/^[a-z-]+$/.test(name)) throw new Error(`not a benchmark name: ${name}`);
const env = ['BENCH_SIZES', 'KA_BENCH_SECONDS', 'KA_BENCH_SIZE']
  .filter((k) => process.env[k])
  .map((k) => `${k}='${process.env[k]!.replace(/'/g, '')}' `)
  .join('');
runInGuest(`${env}node test/dist/bench/${name}.js`, {
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
