/**
 * The intent journal of a bulk change: before sending anything, the change writes (and fsyncs) the
 * state, before it, of every service it may touch; it removes the file once it succeeded or was
 * rolled back. A journal that is still there means a run died half-way (SIGKILL, power loss, a crash):
 * `rollBackIntent` puts every touched service back as the journal recorded it, all-or-nothing.
 * One journal per network namespace (the IPVS table's scope), under /run/tsipvs by default.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IpvsApi, Operation, OperationList } from './api';
import { serviceId } from './identity';
import type { ServiceKey } from './model';
import { planChanges, type ChangePlan } from './rules/plan';
import { readRuleset } from './rules/read-table';
import type { Ruleset } from './rules/ruleset';
import { lookUpServices } from './rules/prior-state';
import { applyAllOrNothing, type TransactionFailure } from './rules/transaction';

export const JOURNAL_DIRECTORY = '/run/tsipvs';
const FORMAT = 'tsipvs intent journal 1';

/** What a bulk change meant to do and what it may undo. */
export interface ChangeIntent {
  /** The command line (or program) that wrote it, for people. */
  readonly command: string;
  readonly pid: number;
  /** ISO time the change started. */
  readonly startedAt: string;
  /** Every service the change may touch ('all': it flushes the table), each of which goes back to `prior`. */
  readonly touched: 'all' | readonly ServiceKey[];
  /** Those touched services that existed before, with their real servers. */
  readonly prior: Ruleset;
}

/** A journal file that is not one of ours, or damaged: nothing is rolled back from it. */
export class JournalError extends Error {
  override readonly name = 'JournalError';
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
  }
}

/** The journal file of the calling thread's network namespace (its nsfs inode names it). */
export function journalFile(directory = JOURNAL_DIRECTORY, namespace = `/proc/self/ns/net`): string {
  return path.join(directory, `ipvs-netns-${fs.statSync(namespace).ino}.journal`);
}

/** The services `operations` may touch; a flush touches them all. */
export function touchedServices(operations: readonly Operation[] | OperationList, flushes = false): 'all' | ServiceKey[] {
  if (flushes) return 'all';
  const touched = new Map<string, ServiceKey>();
  for (let index = 0; index < operations.length; index++) {
    const op = operations.at(index);
    if (op && 'service' in op) touched.set(serviceId(op.service), op.service);
  }
  return [...touched.values()];
}

/** Reads what the change will overwrite: the whole table for 'all', else just the touched services. */
export async function readIntentPrior(api: IpvsApi, touched: 'all' | readonly ServiceKey[]): Promise<Ruleset> {
  if (touched === 'all') return readRuleset(api);
  return { services: (await lookUpServices(api, touched)).services };
}

/** Writes the journal durably (file and directory fsync'd) before anything is sent. */
export function writeIntent(file: string, intent: ChangeIntent): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temporary, 'w', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify({ format: FORMAT, ...intent }));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, file);
  syncDirectory(path.dirname(file));
}

/** Removes the journal once the change is complete or rolled back; a missing file is fine. */
export function removeIntent(file: string): void {
  fs.rmSync(file, { force: true });
  syncDirectory(path.dirname(file));
}

function syncDirectory(directory: string): void {
  const fd = fs.openSync(directory, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The unfinished journal in `file`, or undefined when there is none. */
export function readIntent(file: string): ChangeIntent | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new JournalError(file, `cannot be read: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new JournalError(file, 'is not valid JSON (cut short by a crash while it was written, or not ours)');
  }
  return checkIntent(file, data);
}

function checkIntent(file: string, data: unknown): ChangeIntent {
  const bad = (what: string): never => {
    throw new JournalError(file, `is not a tsipvs intent journal (${what})`);
  };
  if (typeof data !== 'object' || data === null) return bad('not an object');
  const d = data as Record<string, unknown>;
  if (d.format !== FORMAT) bad(`format ${JSON.stringify(d.format)}`);
  if (typeof d.command !== 'string' || typeof d.pid !== 'number' || typeof d.startedAt !== 'string') bad('command, pid or startedAt');
  if (d.touched !== 'all' && !(Array.isArray(d.touched) && d.touched.every(isServiceKey))) bad('touched');
  const prior = d.prior as { services?: unknown } | undefined;
  if (!prior || !Array.isArray(prior.services) || !prior.services.every(isRuleService)) bad('prior');
  return { command: d.command as string, pid: d.pid as number, startedAt: d.startedAt as string, touched: d.touched as ChangeIntent['touched'], prior: prior as Ruleset };
}

function isServiceKey(k: unknown): k is ServiceKey {
  if (typeof k !== 'object' || k === null) return false;
  const key = k as Record<string, unknown>;
  if (typeof key.family !== 'number') return false;
  return typeof key.fwmark === 'number' || (typeof key.protocol === 'number' && typeof key.address === 'string' && typeof key.port === 'number');
}

function isRuleService(s: unknown): boolean {
  if (typeof s !== 'object' || s === null) return false;
  const service = s as Record<string, unknown>;
  return (
    isServiceKey(service.key) &&
    typeof service.options === 'object' && service.options !== null &&
    Array.isArray(service.destinations) &&
    service.destinations.every((d: unknown) => typeof d === 'object' && d !== null && typeof (d as Record<string, unknown>).key === 'object' && typeof (d as Record<string, unknown>).options === 'object')
  );
}

/** What a rollback would do: the touched services as they are now, planned back to the journal's prior state. */
export async function planRecovery(api: IpvsApi, intent: ChangeIntent): Promise<{ readonly current: Ruleset; readonly plan: ChangePlan }> {
  const current = await readIntentPrior(api, intent.touched);
  return { current, plan: planChanges(current, intent.prior) };
}

export type RecoveryResult = { readonly ok: true; readonly plan: ChangePlan } | ({ readonly ok: false; readonly plan: ChangePlan } & TransactionFailure);

/** Puts every touched service back as the journal recorded it, all-or-nothing (the journal file is the caller's). */
export async function rollBackIntent(api: IpvsApi, intent: ChangeIntent): Promise<RecoveryResult> {
  const { current, plan } = await planRecovery(api, intent);
  if (plan.operations.length === 0) return { ok: true, plan };
  const result = await applyAllOrNothing(api, plan.operations, { table: current });
  return result.ok ? { ok: true, plan } : { ...result, plan };
}
