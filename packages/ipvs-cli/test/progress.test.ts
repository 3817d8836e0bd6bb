/**
 * The progress line of -R and apply: only on a terminal, only for inputs of more than
 * PROGRESS_MIN_LINES lines, erased at the end; stdout, stderr and the exit status stay the same.
 */
import { Writable } from 'node:stream';
import type { TerminalOutput } from '../src/environment';
import { PROGRESS_MIN_LINES, lineCount } from '../src/progress';
import { FakeKernel, runWithFake, type FakeRunOptions } from './support/environment';

/** A terminal 80 columns wide that keeps what is drawn on it. */
class FakeTerminal extends Writable implements TerminalOutput {
  readonly isTTY = true;
  readonly columns = 80;
  drawn = '';

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.drawn += chunk.toString();
    done();
  }
}

/** What the terminal shows after each redraw, escape codes left out. */
const shownLines = (drawn: string): string[] =>
  drawn
    .split(/\x1b\[1G/)
    .map((line) => line.replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, ''))
    .filter((line) => line !== '');

/** `count` services with one real server each: 2 * count save lines. */
function saveLines(count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const service = `10.${i >> 8}.${i & 255}.1:80`;
    lines.push(`-A -t ${service} -s rr`, `-a -t ${service} -r 192.168.0.1:80 -m -w 1`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The same command with stderr a pipe and with stderr a terminal, each on a fresh kernel (thousands of
 * changes: the fake kernel may take longer than its usual 500 ms on a busy machine).
 */
async function bothWays(argv: readonly string[], options: FakeRunOptions) {
  const piped = await runWithFake(new FakeKernel(), argv, { ...options, kernelTimeoutMs: 60_000 });
  const terminal = new FakeTerminal();
  const onTerminal = await runWithFake(new FakeKernel(), argv, { ...options, kernelTimeoutMs: 60_000, stderrTerminal: terminal });
  return { piped, onTerminal, shown: shownLines(terminal.drawn), drawn: terminal.drawn };
}

/** Each test runs thousands of changes twice. */
jest.setTimeout(120_000);

describe('progress line', () => {
  test('lineCount counts a last line without a newline', () => {
    expect([lineCount(''), lineCount('a'), lineCount('a\n'), lineCount('a\n\nb')]).toEqual([0, 1, 1, 3]);
  });

  test('-R of more than 5,000 lines on a terminal: checking, then applying; the result is unchanged', async () => {
    const stdin = saveLines(3000);
    const { piped, onTerminal, shown, drawn } = await bothWays(['-R'], { stdin });
    expect(onTerminal).toEqual(piped);
    expect(piped).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(shown[0]).toMatch(/^tsipvs -R: checking lines \[-+\] 0% 0\/6000$/);
    expect(shown).toContain('tsipvs -R: checking lines [====================] 100% 6000/6000');
    expect(shown).toContain('tsipvs -R: applying 6000 changes (0s)');
    expect(drawn.endsWith('\x1b[1G\x1b[2K')).toBe(true); // erased
  });

  test('a refused restore reports the same lines', async () => {
    const stdin = `${saveLines(3000)}-a -t 10.0.0.1:80 -r 192.168.0.1:80 -m\n`;
    const { piped, onTerminal, shown } = await bothWays(['-R'], { stdin });
    expect(onTerminal).toEqual(piped);
    expect(piped.status).toBe(255);
    expect(piped.stderr).toBe('line 6001: Destination already exists\nrestore failed: nothing applied (the table is as before)\n');
    expect(shown).toContain('tsipvs -R: applying 6001 changes (0s)');
  });

  test('restore input with listing lines: the changes, then the listings it runs', async () => {
    const stdin = `${saveLines(3000)}-L -n --timeout\n`;
    const { piped, onTerminal, shown } = await bothWays(['-R'], { stdin });
    expect(onTerminal).toEqual(piped);
    expect(piped.stdout).toBe('Timeout (tcp tcpfin udp): 900 120 300\n');
    expect(shown).toContain('tsipvs -R: applying 6000 changes (0s)');
    expect(shown).toContain('tsipvs -R: running listing lines [====================] 100% 1/1');
  });

  test('no line for 5,000 lines or fewer, nor when stderr is not a terminal', async () => {
    expect(PROGRESS_MIN_LINES).toBe(5000);
    const { onTerminal, drawn } = await bothWays(['-R'], { stdin: saveLines(PROGRESS_MIN_LINES / 2) });
    expect(onTerminal.status).toBe(0);
    expect(drawn).toBe('');
  });

  test('apply of more than 5,000 rules: reading the table, then sending; the plan is unchanged', async () => {
    const files = { rules: saveLines(3000) };
    const { piped, onTerminal, shown, drawn } = await bothWays(['apply', 'rules'], { files });
    expect(onTerminal).toEqual(piped);
    expect(piped.stdout.endsWith('6000 changes: services +3000 ~0 -0, real servers +3000 ~0 -0\n')).toBe(true);
    expect(shown).toContain("tsipvs apply: reading the kernel's services (0s)");
    expect(shown).toContain('tsipvs apply: sending 6000 changes (0s)');
    expect(drawn.endsWith('\x1b[1G\x1b[2K')).toBe(true);
    const dryRun = await bothWays(['apply', '--dry-run', 'rules'], { files });
    expect(dryRun.onTerminal).toEqual(dryRun.piped);
    expect(dryRun.shown.some((line) => line.includes('sending'))).toBe(false);
  });
});
