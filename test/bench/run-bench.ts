/**
 * `npm run bench` / `npm run bench:keepalived` / `npm run bench:vrrp`: boots the kernel lab and runs one benchmark in it,
 * test/bench/<name>.ts (default bulk-bench, which also builds the moby/ipvs peers first), passing the
 * BENCH_* and KA_BENCH_* settings on.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { runInGuest } from '../harness/host/lab';

const name = process.argv[2] ?? 'bulk-bench';
if (!/^[a-z-]+$/.test(name)) throw new Error(`not a benchmark name: ${name}`);
if (name === 'bulk-bench') {
  // The peers (Go, moby/ipvs) go next to the compiled benchmark, which the guest image mirrors. Their
  // build installs Debian's Go packages on demand; without them the benchmark leaves their rows out.
  try {
    execFileSync('bash', [path.resolve(__dirname, '../../bench/peers/build-peers'), path.resolve(__dirname, 'peers-bin')], { stdio: 'inherit' });
  } catch (error) {
    process.stderr.write(`[bench] moby/ipvs peers not built (${(error as Error).message.split('\n')[0]}): their rows are left out\n`);
  }
}
const settings = ['BENCH_SIZES', 'BENCH_RUNS', 'BENCH_WRITE_RUNS', 'BENCH_WRITES', 'BENCH_CALLS', 'KA_BENCH_SECONDS', 'KA_BENCH_SIZE', 'VRRP_BENCH_TRIALS']
  .filter((k) => process.env[k] !== undefined)
  .map((k) => `${k}='${process.env[k]!.replace(/'/g, '')}' `)
  .join('');
runInGuest(`${settings}node test/dist/bench/${name}.js`, {
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
