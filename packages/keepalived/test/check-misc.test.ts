import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { splitQuotedEscaped } from '../src/config/reader';
import { miscCheck, miscOutcome, miscTarget, resolveScriptUser, shellCommand } from '../src/check/misc';
import type { MiscCheck } from '../src/config/model';
import { createHealthMonitorFactory } from '../src/check/monitor';
import type { HealthState } from '../src/check/health';
import { misc, realServer, signal, virtualServer } from './check-support';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ka-misc-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes an executable /bin/sh script. */
function script(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const run = (check: MiscCheck, grace = 300) => miscCheck(miscTarget(check, grace), signal());

/** Gone, or a zombie waiting for init: either way no longer running. */
/** Waits (up to 5 s: a loaded machine reaps late) for a process to be gone. */
async function gone(pid: number): Promise<boolean> {
  for (let waited = 0; waited < 5000; waited += 20) {
    if (!running(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function pidFrom(file: string): Promise<number> {
  for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  return Number(readFileSync(file, 'utf8').trim());
}

describe('MISC_CHECK: the command line (pure)', () => {
  test('keepalived\'s word splitting: quotes anywhere in a word, backslash escapes (in quotes too)', () => {
    expect(splitQuotedEscaped('/bin/check.sh arg1  "a b" \'c d\' e\\ f')).toEqual(['/bin/check.sh', 'arg1', 'a b', 'c d', 'e f']);
    expect(splitQuotedEscaped('a"b c"d \'\' x')).toEqual(['ab cd', '', 'x']);
    expect(splitQuotedEscaped("'it\\'s' \"say \\\"hi\\\"\"")).toEqual(["it's", 'say "hi"']);
    expect(splitQuotedEscaped('\\x41\\x4a \\101\\t\\n \\cA \\q')).toEqual(['AJ', 'A\t\n', '\x01', 'q']);
    expect(splitQuotedEscaped('  \t ')).toEqual([]);
  });

  test('the shell line quotes every word; "</file" (keepalived\'s file test) stays a redirection', () => {
    expect(shellCommand(['/bin/check.sh', 'a b', "it's"])).toBe(`exec '/bin/check.sh' 'a b' 'it'\\''s'`);
    expect(shellCommand(['</etc/hostname'])).toBe('</etc/hostname');
  });

  test('misc_timeout 0 means the virtual server\'s delay_loop', () => {
    expect(miscTarget(misc('/bin/true', { timeoutMs: 0, delayLoopMs: 3000 }), 2000, 7000).timeoutMs).toBe(7000);
    expect(miscTarget(misc('/bin/true', { timeoutMs: 1500 }), 2000, 7000).timeoutMs).toBe(1500);
  });

  test('user NAME [GROUP]; default keepalived_script only when root and it exists', () => {
    const passwd = 'root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\nkeepalived_script:x:990:990::/:/bin/false\n';
    const group = 'root:x:0:\nnogroup:x:65534:\nadm:x:4:\n';
    expect(resolveScriptUser('nobody', passwd, group, 0)).toEqual({ uid: 65534, gid: 65534 });
    expect(resolveScriptUser('nobody adm', passwd, group, 0)).toEqual({ uid: 65534, gid: 4 });
    expect(resolveScriptUser(undefined, passwd, group, 0)).toEqual({ uid: 990, gid: 990 });
    expect(resolveScriptUser(undefined, passwd, group, 1000)).toBeUndefined();
    expect(resolveScriptUser(undefined, 'root:x:0:0::/root:/bin/sh\n', group, 0)).toBeUndefined();
    expect(() => resolveScriptUser('ghost', passwd, group, 0)).toThrow('unknown user "ghost"');
    expect(() => resolveScriptUser('nobody ghosts', passwd, group, 0)).toThrow('unknown group "ghosts"');
  });

  test('exit codes: 0 up, 1 down, 2..255 down or (misc_dynamic) up with weight exit - 2; signals down', () => {
    expect(miscOutcome(0, null, false)).toEqual({ ok: true, detail: 'exit 0' });
    expect(miscOutcome(0, null, true)).toEqual({ ok: true, detail: 'exit 0' });
    expect(miscOutcome(1, null, true)).toEqual({ ok: false, detail: 'exit 1' });
    expect(miscOutcome(5, null, false)).toEqual({ ok: false, detail: 'exit 5' });
    expect(miscOutcome(5, null, true)).toEqual({ ok: true, detail: 'exit 5: weight 3', weight: 3 });
    expect(miscOutcome(2, null, true)).toEqual({ ok: true, detail: 'exit 2: weight 0', weight: 0 });
    expect(miscOutcome(255, null, true)).toEqual({ ok: true, detail: 'exit 255: weight 253', weight: 253 });
    expect(miscOutcome(127, null, true)).toEqual({ ok: false, detail: 'exit 127: the script cannot be run' });
    expect(miscOutcome(null, 'SIGSEGV', false)).toEqual({ ok: false, detail: 'killed by SIGSEGV' });
  });
});

describe('MISC_CHECK: running scripts', () => {
  test('the script gets exactly the words as arguments', async () => {
    const out = path.join(dir, 'args.out');
    const file = script('args.sh', `printf '%s\\n' "$@" > ${out}`);
    expect(await run(misc(`${file} plain "two words" 'it\\'s' "\\$HOME"`))).toEqual({ ok: true, detail: 'exit 0' });
    expect(readFileSync(out, 'utf8')).toBe("plain\ntwo words\nit's\n$HOME\n");
  });

  test('exit codes from a real script', async () => {
    const file = script('exit.sh', 'exit "$1"');
    expect(await run(misc(`${file} 1`))).toEqual({ ok: false, detail: 'exit 1' });
    expect(await run(misc(`${file} 7`))).toEqual({ ok: false, detail: 'exit 7' });
    expect(await run(misc(`${file} 7`, { dynamic: true }))).toEqual({ ok: true, detail: 'exit 7: weight 5', weight: 5 });
  });

  test('a missing script fails every attempt with the reason', async () => {
    expect(await run(misc(path.join(dir, 'nope.sh')))).toEqual({ ok: false, detail: 'exit 127: the script cannot be run' });
  });

  test('"</file" tests that the file can be opened', async () => {
    expect(await run(misc('</etc/passwd'))).toEqual({ ok: true, detail: 'exit 0' });
    expect(await run(misc(`<${path.join(dir, 'absent')}`))).toMatchObject({ ok: false });
  });

  test('misc_timeout: the whole process group is killed and the attempt fails', async () => {
    const pidFile = path.join(dir, 'child.pid');
    const file = script('hang.sh', `sleep 30 & echo $! > ${pidFile}; wait`);
    const started = Date.now();
    expect(await run(misc(file, { timeoutMs: 300 }))).toEqual({ ok: false, detail: 'timeout after 300 ms' });
    expect(Date.now() - started).toBeLessThan(2000);
    const child = await pidFrom(pidFile);
    expect(await gone(child)).toBe(true);
  });

  test('a script ignoring SIGTERM gets SIGKILL after the grace period, children too', async () => {
    const pidFile = path.join(dir, 'stubborn.pid');
    const file = script('stubborn.sh', `trap '' TERM; sleep 30 & echo $! > ${pidFile}; wait; wait; wait`);
    const started = Date.now();
    expect(await run(misc(file, { timeoutMs: 200 }), 400)).toEqual({ ok: false, detail: 'timeout after 200 ms' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(580);
    const child = await pidFrom(pidFile);
    expect(await gone(child)).toBe(true);
  });

  test('abort kills the group at once', async () => {
    const pidFile = path.join(dir, 'abort.pid');
    const file = script('abort.sh', `sleep 30 & echo $! > ${pidFile}; wait`);
    const controller = new AbortController();
    const pending = miscCheck(miscTarget(misc(file, { timeoutMs: 60_000 }), 2000), controller.signal);
    const child = await pidFrom(pidFile);
    expect(running(child)).toBe(true);
    controller.abort();
    expect(await pending).toEqual({ ok: false, detail: 'stopped' });
    expect(await gone(child)).toBe(true);
  });

  const asRoot = process.getuid?.() === 0 ? test : test.skip;
  asRoot('user: the script runs as that user (needs root)', async () => {
    const out = path.join(dir, 'id.out');
    writeFileSync(out, '');
    chmodSync(out, 0o666);
    chmodSync(dir, 0o755);
    const file = script('id.sh', `id -u > ${out}; id -g >> ${out}`);
    expect(await run(misc(file, { user: 'nobody' }))).toEqual({ ok: true, detail: 'exit 0' });
    expect(readFileSync(out, 'utf8')).toBe('65534\n65534\n');
  });

  test('monitor + misc_dynamic with a real script: weight changes are reported', async () => {
    const weightFile = path.join(dir, 'weight');
    writeFileSync(weightFile, '5');
    const file = script('dyn.sh', `exit $(cat ${weightFile})`);
    const monitor = createHealthMonitorFactory({ bootstrapDelayMs: 0 })(
      realServer([misc(file, { dynamic: true, delayLoopMs: 50 })], { weight: 1 }),
      virtualServer(),
    );
    const states: HealthState[] = [];
    const waitFor = (pred: (s: HealthState) => boolean) =>
      new Promise<void>((resolve) => monitor.on('change', (s: HealthState) => pred(s) && resolve()));
    const three = waitFor((s) => s.dynamicWeight === 3);
    monitor.on('change', (s: HealthState) => states.push(s));
    monitor.start();
    await three;
    const down = waitFor((s) => !s.up);
    writeFileSync(weightFile, '1');
    await down;
    await monitor.stop();
    expect(states.map((s) => [s.up, s.dynamicWeight])).toEqual([
      [true, 3],
      [false, undefined],
    ]);
  });
});
