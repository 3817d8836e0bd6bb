/**
 * Runs inside the VM: finds the in-VM test files (test/dist/vm/**.vm.js), and runs every case in a
 * process of its own inside a fresh network namespace (`unshare -n`), a few at a time. Each result
 * goes to stdout as a marker line the host turns into one jest test.
 *
 * Cases registered with `alone` run afterwards, one at a time.
 * VM_TESTS filters by comma-separated substrings of "file › case"; VM_JOBS sets the parallelism.
 * VM_SHARD=i/n keeps every n-th case from the i-th (0-based): the host boots n VMs side by side.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { registeredCases } from './guest';

const MARKER = '@@TSIPVS ';
const VM_DIR = path.resolve(__dirname, '../vm');
const CASE_RUNNER = path.join(__dirname, 'guest-case.js');
const OUTPUT_LIMIT = 20_000;

interface PlannedCase {
  readonly file: string;
  readonly name: string;
  readonly timeoutMs: number;
  readonly alone: boolean;
}

function emit(record: object): void {
  process.stdout.write(`${MARKER}${JSON.stringify(record)}\n`);
}

function findTestFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? findTestFiles(path.join(dir, e.name)) : e.name.endsWith('.vm.js') ? [path.join(dir, e.name)] : []))
    .sort();
}

function planCases(filters: string[]): { cases: PlannedCase[]; loadErrors: Array<{ file: string; error: string }> } {
  const cases: PlannedCase[] = [];
  const loadErrors: Array<{ file: string; error: string }> = [];
  for (const file of findTestFiles(VM_DIR)) {
    const rel = path.relative(VM_DIR, file);
    const before = registeredCases().length;
    try {
      require(file);
    } catch (err) {
      loadErrors.push({ file: rel, error: (err as Error).stack ?? String(err) });
      continue;
    }
    for (const c of registeredCases().slice(before)) {
      const full = `${rel} › ${c.name}`;
      if (filters.length === 0 || filters.some((f) => full.includes(f))) cases.push({ file: rel, name: c.name, timeoutMs: c.timeoutMs, alone: c.alone });
    }
  }
  return { cases, loadErrors };
}

/** The cases of shard `index` of `count`: every count-th one, so each file's cases spread over the VMs. */
function shardOf<T>(cases: readonly T[], spec: string | undefined): T[] {
  if (!spec) return [...cases];
  const match = /^(\d+)\/(\d+)$/.exec(spec);
  if (!match || Number(match[1]) >= Number(match[2])) throw new Error(`VM_SHARD must be i/n with i < n, not ${spec}`);
  const [index, count] = [Number(match[1]), Number(match[2])];
  return cases.filter((_, i) => i % count === index);
}

function runCase(c: PlannedCase): Promise<void> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('unshare', ['-n', process.execPath, CASE_RUNNER, path.join(VM_DIR, c.file), c.name], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (d: Buffer) => {
      if (output.length < OUTPUT_LIMIT * 4) output += d.toString('latin1');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, c.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const errorMatch = /@@CASE-ERROR (.*)$/m.exec(output);
      const ok = code === 0 && !timedOut;
      let error: string | undefined;
      if (timedOut) error = `timed out after ${c.timeoutMs} ms`;
      else if (!ok) error = errorMatch?.[1] ? (JSON.parse(errorMatch[1]) as string) : `case process exited ${code ?? signal}`;
      const skipMatch = ok ? /@@CASE-SKIP (.*)$/m.exec(output) : null;
      const skipped = skipMatch?.[1] ? (JSON.parse(skipMatch[1]) as string) : undefined;
      const shown = output.replace(/@@CASE-(ERROR|SKIP) .*\n?/m, '');
      emit({
        type: 'result',
        file: c.file,
        name: c.name,
        ok,
        durationMs: Date.now() - started,
        ...(error ? { error } : {}),
        ...(skipped ? { skipped } : {}),
        ...(shown ? { output: shown.length > OUTPUT_LIMIT ? `…${shown.slice(-OUTPUT_LIMIT)}` : shown } : {}),
      });
      resolve();
    });
  });
}

async function main(): Promise<void> {
  const filters = (process.env.VM_TESTS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  // One at a time by default: this kernel's service dumps (ipvsadm's, the oracle's, included) repeat or
  // skip services while another namespace adds or deletes some, even on small tables.
  const jobs = Math.max(1, Number(process.env.VM_JOBS ?? 1));
  const planned = planCases(filters);
  const cases = [...shardOf(planned.cases.filter((c) => !c.alone), process.env.VM_SHARD), ...shardOf(planned.cases.filter((c) => c.alone), process.env.VM_SHARD)];
  const loadErrors = process.env.VM_SHARD && !process.env.VM_SHARD.startsWith('0/') ? [] : planned.loadErrors;
  for (const e of loadErrors) emit({ type: 'result', file: e.file, name: '(load)', ok: false, durationMs: 0, error: e.error });
  const queue = cases.filter((c) => !c.alone);
  const started = Date.now();
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await runCase(next);
    }),
  );
  for (const c of cases.filter((c) => c.alone)) await runCase(c);
  emit({ type: 'summary', cases: cases.length, loadErrors: loadErrors.length, seconds: (Date.now() - started) / 1000 });
}

main().catch((err) => {
  process.stderr.write(`guest runner failed: ${(err as Error).stack}\n`);
  process.exitCode = 1;
});
