/**
 * The intent journal of a bulk change: before sending anything, the change writes (and fsyncs) its
 * prior state, the state of everything it may touch (`PreparedTransaction.prior`); it removes the file
 * once it succeeded or was rolled back. A journal that is still there means a run died half-way
 * (SIGKILL, power loss, a crash): `restorePrior(api, intent.prior)` puts that part of the table back,
 * as a failed transaction's rollback does. One journal per network namespace (the IPVS table's scope),
 * under /run/tsipvs by default.
 */
import { closeSync, constants, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { netnsInode, type NetnsSpec } from './libc/netns';
import type { PriorState } from './rules/prior-state';

export const JOURNAL_DIRECTORY = '/run/tsipvs';
const FORMAT = 'tsipvs intent journal 1';

/** What a bulk change may undo, and who made it. */
export interface ChangeIntent {
  /** The command line (or program) that wrote it, for people. */
  readonly command: string;
  readonly pid: number;
  /** ISO time the change started. */
  readonly startedAt: string;
  /** Everything the change may touch, as it was before. */
  readonly prior: PriorState;
}

/** A journal file that is not one of ours, or damaged: nothing is rolled back from it. */
export class JournalError extends Error {
  override readonly name = 'JournalError';
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
  }
}

/**
 * The journal file of a network namespace, named by its nsfs inode: `namespace` (a name, path,
 * descriptor or handle; throws NetnsError when it cannot be opened), else the calling thread's.
 */
export function journalFile(directory = JOURNAL_DIRECTORY, namespace?: NetnsSpec): string {
  return join(directory, `ipvs-netns-${netnsInode(namespace)}.journal`);
}

/** Writes the journal durably (file and directory fsync'd) before anything is sent. */
export function writeIntent(file: string, intent: ChangeIntent): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, JSON.stringify({ format: FORMAT, ...intent }));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
  syncDirectory(dirname(file));
}

/** Removes the journal once the change is complete or rolled back; a missing file is fine. */
export function removeIntent(file: string): void {
  rmSync(file, { force: true });
  syncDirectory(dirname(file));
}

function syncDirectory(directory: string): void {
  let fd: number;
  try {
    fd = openSync(directory, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The unfinished journal in `file`, or undefined when there is none. */
export function readIntent(file: string): ChangeIntent | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new JournalError(file, `cannot be read: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new JournalError(file, 'is not valid JSON (cut short while it was written, or not ours)');
  }
  return checkIntent(file, data);
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isUint = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function checkIntent(file: string, data: unknown): ChangeIntent {
  const bad = (what: string): never => {
    throw new JournalError(file, `is not a tsipvs intent journal (${what})`);
  };
  if (!isObject(data)) return bad('not an object');
  if (data.format !== FORMAT) bad(`format ${JSON.stringify(data.format)}`);
  if (typeof data.command !== 'string' || !isUint(data.pid) || typeof data.startedAt !== 'string') bad('command, pid or startedAt');
  const prior = data.prior;
  if (!isObject(prior)) return bad('prior');
  if (!Array.isArray(prior.services) || !prior.services.every(isRuleService)) bad('prior.services');
  if (!Array.isArray(prior.absent) || !prior.absent.every(isServiceKey)) bad('prior.absent');
  if (typeof prior.wholeTable !== 'boolean') bad('prior.wholeTable');
  if (prior.timeouts !== undefined && !(isObject(prior.timeouts) && ['tcp', 'tcpFin', 'udp'].every((k) => isUint((prior.timeouts as Json)[k])))) bad('prior.timeouts');
  return data as unknown as ChangeIntent;
}

function isServiceKey(k: unknown): boolean {
  if (!isObject(k) || !isUint(k.family)) return false;
  return isUint(k.fwmark) || (isUint(k.protocol) && typeof k.address === 'string' && isUint(k.port));
}

function isRuleService(s: unknown): boolean {
  if (!isObject(s) || !isServiceKey(s.key) || !isObject(s.options) || !Array.isArray(s.destinations)) return false;
  return s.destinations.every((d: unknown) => isObject(d) && isObject(d.key) && typeof d.key.address === 'string' && isUint(d.key.port) && isObject(d.options));
}
