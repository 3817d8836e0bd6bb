/**
 * MISC_CHECK with keepalived 2.2.7's semantics (check/check_misc.c, lib/notify.c):
 * - `misc_path` is split into words by keepalived's own rules (quotes, backslash escapes; the
 *   loader's `args`) and run as `/bin/sh -c 'word0' 'word1' ...` (each word quoted, so the script gets
 *   exactly those arguments; a first word starting with `<` or `>` stays unquoted, keepalived's
 *   "</path" file test), in its own process group, stdio on /dev/null;
 * - as `user [group]`, else as `keepalived_script` when that user exists and we are root, else as us;
 * - exit 0: up; exit 1: down; 2..255: down, or with misc_dynamic up with weight exit - 2;
 * - after misc_timeout the process group gets SIGTERM, then SIGKILL after a grace period (keepalived:
 *   2 s); a leader ended by our SIGTERM has its group SIGKILLed too; the attempt counts as failed.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { MiscCheck } from '../config/model';
import { splitQuotedEscaped } from '../config/reader';
import { STOPPED, type AttemptOutcome } from './attempt';

/** The shell line for the words (keepalived's cmd_str, with embedded quotes escaped properly). */
export function shellCommand(words: readonly string[]): string {
  const first = words[0] ?? '';
  if (first.startsWith('<') || first.startsWith('>')) return [first, ...words.slice(1).map(shellQuote)].join(' ');
  return `exec ${words.map(shellQuote).join(' ')}`;
}

/** One word for /bin/sh, single-quoted. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface ScriptUser {
  readonly uid: number;
  readonly gid: number;
}

/**
 * The uid/gid for `user NAME [GROUP]` from passwd/group file texts; with no user, keepalived's default
 * `keepalived_script` when it exists and we are root. Undefined: run as ourselves.
 */
export function resolveScriptUser(user: string | undefined, passwd: string, group: string, ourUid: number): ScriptUser | undefined {
  const lookup = (text: string, name: string) =>
    text
      .split('\n')
      .map((line) => line.split(':'))
      .find((fields) => fields[0] === name);
  if (user === undefined) {
    if (ourUid !== 0) return undefined;
    const entry = lookup(passwd, 'keepalived_script');
    return entry ? { uid: Number(entry[2]), gid: Number(entry[3]) } : undefined;
  }
  const [name, groupName] = user.trim().split(/\s+/);
  const entry = lookup(passwd, name ?? '');
  if (!entry) throw new Error(`unknown user "${name}"`);
  let gid = Number(entry[3]);
  if (groupName !== undefined) {
    const g = lookup(group, groupName);
    if (!g) throw new Error(`unknown group "${groupName}"`);
    gid = Number(g[2]);
  }
  return { uid: Number(entry[2]), gid };
}

export interface MiscTarget {
  /** The shell line, or why the script cannot be run. */
  readonly command: string | { readonly error: string };
  readonly timeoutMs: number;
  readonly dynamic: boolean;
  readonly user?: ScriptUser;
  readonly killGraceMs: number;
}

/** `virtualServerDelayLoopMs`: keepalived's timeout when misc_timeout is 0 (unset). */
export function miscTarget(check: MiscCheck, killGraceMs: number, virtualServerDelayLoopMs = check.delayLoopMs): MiscTarget {
  let command: MiscTarget['command'];
  let user: ScriptUser | undefined;
  try {
    // the loader splits misc_path by keepalived's rules; a model built by hand gives only the line
    const words = check.args ?? splitQuotedEscaped(check.path);
    if (words.length === 0) throw new Error('misc_path is empty');
    command = shellCommand(words);
    user = resolveScriptUser(check.user, readText('/etc/passwd'), readText('/etc/group'), process.getuid?.() ?? 0);
  } catch (err) {
    command = { error: (err as Error).message };
  }
  return { command, timeoutMs: check.timeoutMs || virtualServerDelayLoopMs, dynamic: check.dynamic, killGraceMs, ...(user ? { user } : {}) };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** How an exit is judged. */
export function miscOutcome(code: number | null, signal: string | null, dynamic: boolean): AttemptOutcome {
  if (signal !== null) return { ok: false, detail: `killed by ${signal}` };
  if (code === 0) return { ok: true, detail: 'exit 0' };
  if (code === 126 || code === 127) return { ok: false, detail: `exit ${code}: the script cannot be run` };
  if (code !== null && code >= 2 && code <= 255 && dynamic) return { ok: true, detail: `exit ${code}: weight ${code - 2}`, weight: code - 2 };
  return { ok: false, detail: `exit ${code}` };
}

/**
 * Starts a notify script (`/bin/sh -c COMMAND`, its own process group, stdio on /dev/null) without
 * waiting for it, as keepalived runs notify scripts; `onError` hears when it cannot start.
 */
export function startScript(command: string, onError: (error: Error) => void = () => undefined): void {
  const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: 'ignore' });
  child.on('error', onError);
  child.unref();
}

export function miscCheck(target: MiscTarget, signal: AbortSignal): Promise<AttemptOutcome> {
  const command = target.command;
  if (typeof command !== 'string') return Promise.resolve({ ok: false, detail: command.error });
  if (signal.aborted) return Promise.resolve(STOPPED);
  return new Promise((resolve) => {
    let phase: 'running' | 'terminating' | 'killing' | 'stopping' = 'running';
    let graceTimer: NodeJS.Timeout | undefined;
    const child = spawn('/bin/sh', ['-c', command], {
      detached: true, // its own process group, killed as a whole
      stdio: 'ignore',
      ...(target.user ? { uid: target.user.uid, gid: target.user.gid } : {}),
    });
    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const timeout = setTimeout(() => {
      phase = 'terminating';
      killGroup('SIGTERM');
      graceTimer = setTimeout(() => {
        phase = 'killing';
        killGroup('SIGKILL');
      }, target.killGraceMs);
    }, target.timeoutMs);
    const onAbort = () => {
      phase = 'stopping';
      killGroup('SIGKILL');
    };
    signal.addEventListener('abort', onAbort);
    const done = (outcome: AttemptOutcome) => {
      clearTimeout(timeout);
      clearTimeout(graceTimer);
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    child.once('error', (err) => done({ ok: false, detail: `cannot start the script: ${err.message}` }));
    child.once('exit', (code, sig) => {
      // what the leader started must not outlive a timeout or a stop
      if (phase !== 'running') killGroup('SIGKILL');
      if (phase === 'stopping') return done(STOPPED);
      if (phase !== 'running') return done({ ok: false, detail: `timeout after ${target.timeoutMs} ms` });
      done(miscOutcome(code, sig, target.dynamic));
    });
  });
}
