/**
 * The record of an applied preset, kept in a JSON file until teardown. The default file is per
 * network namespace (the settings are), `/run/tsipvs/<role>-netns<inode>.json`, so each namespace of a
 * host can hold its own setup.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { netnsInode, type NetnsSpec } from '@tsipvs/ipvs-core/netns';
import { SysctlError, systemErrorCode, errorText } from './errors';
import { Role } from './presets';
import { SetupRecord, checkRecord } from './record';
import { writeFileAtomically } from './steps';

export const DEFAULT_STATE_DIR = '/run/tsipvs';

/** The state file of a role in a network namespace (default: the calling thread's; NetnsError when it cannot be opened). */
export function defaultStateFile(role: Role, netns?: NetnsSpec): string {
  return path.join(DEFAULT_STATE_DIR, `${role}-netns${netns === undefined ? networkNamespaceId() : netnsInode(netns)}.json`);
}

/** The inode of this thread's network namespace (what `ip netns identify` and `lsns` compare). */
function networkNamespaceId(): string {
  try {
    return String(netnsInode());
  } catch {
    return 'unknown';
  }
}

/** The record in a state file, checked (see record.ts); undefined when there is no file. */
export function readRecord(file: string): SetupRecord | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return undefined;
    throw new SysctlError('state', `cannot read state file ${file}: ${errorText(error)}`);
  }
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (error) {
    throw new SysctlError('state', `state file ${file} is not valid JSON: ${errorText(error)}`);
  }
  return checkRecord(file, record);
}

export function writeRecord(file: string, record: SetupRecord): void {
  try {
    writeFileAtomically(file, recordText(record));
  } catch (error) {
    throw new SysctlError('state', `cannot write state file ${file}: ${errorText(error)}`);
  }
}

/**
 * Writes a new record, atomically and only if there is none yet (two setups cannot both win): the
 * text goes to a temporary file that is then hard-linked to the final name.
 */
export function createRecord(file: string, record: SetupRecord): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(temporary, recordText(record), { mode: 0o600 });
    fs.linkSync(temporary, file);
  } catch (error) {
    if (systemErrorCode(error) === 'EEXIST') throw new SysctlError('state', `${record.role} is already set up (recorded in ${file}); run "tsipvs ${record.role} teardown" first`);
    throw new SysctlError('state', `cannot write state file ${file}: ${errorText(error)}`);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

function recordText(record: SetupRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

export function removeRecord(file: string): void {
  fs.rmSync(file, { force: true });
}
