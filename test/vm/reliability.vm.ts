/**
 * All-or-nothing under signals, crashes and concurrent writers, on the real kernel (docs/reliability.md):
 * - SIGINT, SIGTERM and SIGHUP at seeded random moments of a 22k-line `-R` and of an `apply`: the table is
 *   either untouched or complete, never partial, and the exit status says which (0, or 130/143/129);
 * - SIGKILL at several moments of a 22k-line `-R`: the next bulk command refuses to run, `tsipvs recover`
 *   names the journal, `tsipvs recover --rollback` puts the table back exactly;
 * - two applies, a churning writer and readers at once for 60 s: no crash, no hang, no duplicate entry in
 *   any listing, and the last apply's file is the final table.
 * Each trial's outcome is printed (the figures of docs/reliability.md come from these lines).
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TSIPVS_BIN, vmTest, type VmTestContext } from '../harness/guest';
import { ruleLines, seededRandom } from '../harness/rules-text';

const ROUTABLE = 'ip link add d0 type dummy && ip link set d0 up && ip addr add 10.0.0.1/8 dev d0';
const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** ipvsadm -S -n lines of `services` services with `servers` real servers each, from service number `base`, all of weight `weight`. */
const rules = (services: number, servers: number, base = 0, weight = 1): string[] => ruleLines(services, servers, base, () => weight);

function save(t: VmTestContext): string {
  const r = t.ipvsadm(['-S', '-n']);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** The saved table's lines, sorted (ipvsadm sorts services; a rollback re-adds real servers newest first). */
function canonical(saved: string): string {
  return saved.split('\n').filter(Boolean).sort().join('\n');
}

interface Outcome {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs tsipvs with `input` and sends `signal` after `delayMs` (if it still runs). */
/**
 * When to send the signal: `delayMs` after the start, or (`afterJournal`) that long after the run's
 * intent journal appeared, that is once it is about to send its changes.
 */
interface Moment {
  readonly delayMs: number;
  readonly afterJournal?: boolean;
}

function runAndSignal(
  args: readonly string[], input: string, signal: NodeJS.Signals, moment: Moment,
): Promise<Outcome & { signalled: boolean; killedBy: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TSIPVS_BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('latin1')));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    const send = (): void => {
      signalled = child.exitCode === null && child.signalCode === null;
      if (signalled) child.kill(signal);
    };
    let timer: NodeJS.Timeout | undefined;
    const watch = moment.afterJournal
      ? setInterval(() => {
          if (journals().length === 0) return;
          clearInterval(watch);
          timer = setTimeout(send, moment.delayMs);
        }, 10)
      : undefined;
    if (!moment.afterJournal) timer = setTimeout(send, moment.delayMs);
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      clearInterval(watch);
      const status = code ?? 128 + (os.constants.signals[sig as NodeJS.Signals] ?? 0);
      resolve({ status, stdout, stderr, signalled, killedBy: sig });
    });
  });
}

/**
 * What a signal did to a run that did not complete: before the change begins (node starting, the input
 * read) the signal keeps its default action and ends the process, nothing sent; during the change tsipvs
 * stops, rolls back and says so.
 */
function outcomeOf(r: Outcome & { killedBy: NodeJS.Signals | null }, signal: NodeJS.Signals): string {
  if (r.killedBy) {
    assert.equal(r.stderr, '', `ended by ${signal} but printed something`);
    return `${signal} before the change began`;
  }
  assert.match(r.stderr, new RegExp(`\\ntsipvs: interrupted by ${signal}\\n$`), r.stderr);
  return /before sending anything/.test(r.stderr) ? `${signal} before sending` : `${signal} rolled back`;
}

const tally = new Map<string, number>();
function count(what: string): void {
  tally.set(what, (tally.get(what) ?? 0) + 1);
}
function report(name: string): void {
  console.log(`${name}: ${[...tally].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  tally.clear();
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** Seeded trials per signal case: 6 in the suite (each costs 25-30 s under TCG), 24 in the soak (`VM_SOAK=1`). */
const TRIALS = process.env.VM_SOAK === '1' ? 24 : 6;

function journals(): string[] {
  return fs.existsSync('/run/tsipvs') ? fs.readdirSync('/run/tsipvs').filter((f) => f.endsWith('.journal')) : [];
}

vmTest('signals during a 22k-line restore: the table is untouched or complete, never partial (seeded trials)', async (t) => {
  t.sh(ROUTABLE);
  const existing = rules(20, 2, 3000);
  assert.equal(t.tsipvs(['-R'], { input: `${existing.join('\n')}\n` }).status, 0);
  const before = canonical(save(t));
  const input = `${rules(2000, 10).join('\n')}\n`;
  const complete = canonical(`${existing.join('\n')}\n${input}`);
  const random = seededRandom(20261129);
  for (let trial = 0; trial < TRIALS; trial++) {
    const signal = SIGNALS[trial % SIGNALS.length]!;
    // one trial in three at any moment from the start, the others while the changes are being sent
    const moment = trial % 3 === 0 ? { delayMs: 300 + Math.floor(random() * 4000) } : { delayMs: Math.floor(random() * 1500), afterJournal: true };
    const delayMs = moment.delayMs;
    const r = await runAndSignal(['-R'], input, signal, moment);
    const after = canonical(save(t));
    if (r.status === 0) {
      assert.equal(after, complete, `trial ${trial}: exit 0 but the table is not complete`);
      count('completed before the signal');
      t.ipvsadm(['-C']);
      assert.equal(t.tsipvs(['-R'], { input: `${existing.join('\n')}\n` }).status, 0);
    } else {
      assert.equal(r.status, SIGNAL_EXIT[signal], `trial ${trial} (${signal} at ${delayMs} ms): exit ${r.status}: ${r.stderr}`);
      assert.equal(after, before, `trial ${trial} (${signal} at ${delayMs} ms): the table is partial; tsipvs said: ${r.stderr}`);
      count(outcomeOf(r, signal));
    }
    assert.deepEqual(journals(), [], 'no journal left behind');
  }
  report('restore signals');
}, 1_800_000, { alone: true });

vmTest('signals during apply: the table is the old one or the file\'s, never partial (seeded trials)', async (t) => {
  t.sh(ROUTABLE);
  const old = rules(1000, 10);
  assert.equal(t.tsipvs(['-R'], { input: `${old.join('\n')}\n` }).status, 0);
  const before = canonical(save(t));
  // every real server's weight changes, 500 services go, 500 come: about 16k writes
  const wanted = [...rules(500, 10, 0, 3), ...rules(500, 10, 1500)];
  const file = path.join(os.tmpdir(), 'reliability-apply.rules');
  fs.writeFileSync(file, `${wanted.join('\n')}\n`);
  const target = canonical(`${wanted.join('\n')}\n`);
  const random = seededRandom(77);
  for (let trial = 0; trial < TRIALS; trial++) {
    const signal = SIGNALS[trial % SIGNALS.length]!;
    const moment = trial % 3 === 0 ? { delayMs: 300 + Math.floor(random() * 5000) } : { delayMs: Math.floor(random() * 1500), afterJournal: true };
    const delayMs = moment.delayMs;
    const r = await runAndSignal(['apply', file], '', signal, moment);
    const after = canonical(save(t));
    if (r.status === 0) {
      assert.equal(after, target, `trial ${trial}: exit 0 but not the file's table`);
      count('completed before the signal');
      assert.equal(t.tsipvs(['apply', '-'], { input: `${old.join('\n')}\n` }).status, 0);
    } else {
      assert.equal(r.status, SIGNAL_EXIT[signal], `trial ${trial} (${signal} at ${delayMs} ms): exit ${r.status}: ${r.stderr}`);
      assert.equal(after, before, `trial ${trial} (${signal} at ${delayMs} ms): partial table; tsipvs said: ${r.stderr}`);
      count(outcomeOf(r, signal));
    }
  }
  report('apply signals');
}, 1_800_000, { alone: true });

vmTest('SIGKILL during a 22k-line restore: later bulk commands refuse, recover --rollback puts the table back (4 moments)', async (t) => {
  t.sh(ROUTABLE);
  const existing = rules(10, 3, 3000);
  assert.equal(t.tsipvs(['-R'], { input: `${existing.join('\n')}\n` }).status, 0);
  const before = canonical(save(t));
  const input = `${rules(2000, 10).join('\n')}\n`;
  // 0 ms after the journal: nothing or little sent yet; later, part of the 22k changes
  for (const delayMs of [0, 300, 800, 1500]) {
    const r = await runAndSignal(['-R'], input, 'SIGKILL', { delayMs, afterJournal: true });
    if (r.status === 0) {
      count('completed before SIGKILL');
      t.ipvsadm(['-C']);
      assert.equal(t.tsipvs(['-R'], { input: `${existing.join('\n')}\n` }).status, 0);
      continue;
    }
    assert.equal(r.status, 137);
    if (journals().length === 0) {
      // killed before it wrote its journal (nothing sent yet) or after it removed it (all made)
      const after = canonical(save(t));
      assert.ok(after === before || after === canonical(`${existing.join('\n')}\n${input}`), `killed at ${delayMs} ms without a journal: partial table`);
      count(after === before ? 'killed before sending' : 'killed after completing');
      if (after !== before) {
        t.ipvsadm(['-C']);
        assert.equal(t.tsipvs(['-R'], { input: `${existing.join('\n')}\n` }).status, 0);
      }
      continue;
    }
    const blocked = t.tsipvs(['-R'], { input: '-A -t 192.0.2.9:80\n' });
    assert.equal(blocked.status, 4, blocked.stderr);
    assert.match(blocked.stderr, /unfinished change .*tsipvs recover/s);
    const shown = t.tsipvs(['recover']);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /\/run\/tsipvs\/\S+\.journal/);
    const rolledBack = t.tsipvs(['recover', '--rollback']);
    assert.equal(rolledBack.status, 0, rolledBack.stderr);
    assert.equal(canonical(save(t)), before, `killed at ${delayMs} ms: recover --rollback left a different table`);
    assert.equal(t.tsipvs(['recover']).stdout, 'no unfinished change in this network namespace\n');
    count('killed, rolled back by recover');
  }
  report('restore SIGKILL');
}, 1_200_000, { alone: true });

vmTest('two applies, a churning writer and readers for 60 s: no crash, hang or duplicate, the last apply wins', async (t) => {
  t.sh(ROUTABLE);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-'));
  const files = [0, 1].map((n) => {
    const file = path.join(dir, `rules-${n}`);
    fs.writeFileSync(file, `${rules(150, 4, n * 100, n + 1).join('\n')}\n`);
    return file;
  });
  const deadline = Date.now() + 60_000;
  const failures: string[] = [];
  let applies = 0;
  let refusedApplies = 0;
  let reads = 0;
  let churns = 0;
  const runOnce = (args: string[], input = ''): Promise<Outcome> => runAndSignal(args, input, 'SIGKILL', { delayMs: 120_000 });
  const applier = async (file: string) => {
    while (Date.now() < deadline) {
      const r = await runOnce(['apply', '--wait=60', file]);
      // the churner takes no lock: an apply may meet its changes and give up (rolled back), never crash
      if (r.status !== 0) {
        refusedApplies++;
        if (![1, 2, 3, 255].includes(r.status) || /\n\s+at /.test(r.stderr)) failures.push(`apply ${file}: exit ${r.status}: ${r.stderr}`);
      }
      applies++;
    }
  };
  const churner = async () => {
    for (let n = 0; Date.now() < deadline; n = (n + 1) % 50) {
      const vip = `198.51.100.${n + 1}:80`;
      await runOnce(['-A', '-t', vip, '-s', 'rr']);
      await runOnce(['-D', '-t', vip]);
      churns++;
      // a pause, so that applies also run between the churner's changes, not only across them
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  };
  const reader = async () => {
    while (Date.now() < deadline) {
      const r = await runOnce(['-S', '-n']);
      if (r.status !== 0) failures.push(`-S: exit ${r.status}: ${r.stderr}`);
      const lines = r.stdout.split('\n').filter(Boolean);
      if (new Set(lines).size !== lines.length) failures.push(`-S listed an entry twice`);
      reads++;
    }
  };
  await Promise.all([applier(files[0]!), applier(files[1]!), churner(), reader()]);
  assert.deepEqual(failures, []);
  const last = t.tsipvs(['apply', files[1]!]);
  assert.equal(last.status, 0, last.stderr);
  assert.equal(canonical(save(t)), canonical(fs.readFileSync(files[1]!, 'latin1')));
  console.log(`concurrency: ${applies} applies (${refusedApplies} gave up on the churner's changes and rolled back), ${churns} churn rounds, ${reads} listings in 60 s, no crash, hang or duplicate`);
}, 600_000, { alone: true });
