/**
 * What a state file holds, and the check it must pass before anything acts on it. A record is accepted
 * only if setup could have written it: the preset is rebuilt from the recorded role, mode, interface,
 * VIPs and IPVS tunables, and every step must be one that preset's plan can hold (one of its settings,
 * to its value, with a one-line previous content; its link; one of its addresses; its drop-in, with
 * exactly the text setup writes). The whole record is checked before teardown changes anything.
 */
import * as path from 'node:path';
import { dropinFor } from './dropin';
import { SysctlError, errorText } from './errors';
import { parseSysctlName } from './names';
import { DirectorMode, Preset, RealserverMode, Role, directorPreset, realserverPreset } from './presets';
import { Step } from './steps';
import { checkValue, normalizeValue } from './tree';

/** Version 2 keeps exact previous contents (base64), says which files setup created, and the IPVS tunables set. */
export const RECORD_VERSION = 2;

export interface SetupRecord {
  readonly version: typeof RECORD_VERSION;
  readonly role: Role;
  readonly mode: string;
  readonly dev?: string;
  readonly vips?: readonly string[];
  /** IPVS tunables of a director setup, by knob name (canonical text). */
  readonly ipvs?: Readonly<Record<string, string>>;
  /** ISO time of the setup. */
  readonly appliedAt: string;
  /** Steps applied, in order; teardown undoes them in reverse. */
  readonly steps: readonly Step[];
}

type JsonObject = Readonly<Record<string, unknown>>;

/**
 * The record a state file's parsed JSON holds, rebuilt from checked fields only. Throws `state`
 * naming the file, and the entry at fault.
 */
/** The record of `preset` set up at `appliedAt` with `steps`: what setup writes and teardown reads back. */
export function recordOf(preset: Preset, appliedAt: string, steps: readonly Step[]): SetupRecord {
  return {
    version: RECORD_VERSION,
    role: preset.role,
    mode: preset.mode,
    ...(preset.dev ? { dev: preset.dev } : {}),
    ...(preset.vips ? { vips: preset.vips } : {}),
    ...(preset.ipvs ? { ipvs: preset.ipvs } : {}),
    appliedAt,
    steps,
  };
}

export function checkRecord(file: string, value: unknown): SetupRecord {
  const refuse = (problem: string): SysctlError => new SysctlError('state', `state file ${file} ${problem}`);
  if (!isObject(value)) throw refuse('is not a tsipvs setup record');
  if (value.version === 1) {
    throw refuse(
      'was written by an older tsipvs (format 1, which kept no exact previous contents); this version cannot undo it ' +
        'safely: put back the values it lists by hand (or tear down with the tsipvs that set up) and delete the file',
    );
  }
  if (value.version !== RECORD_VERSION) throw refuse(`has format ${JSON.stringify(value.version)}; this tsipvs reads format ${RECORD_VERSION}`);
  const { role, mode, dev, vips, ipvs, appliedAt, steps } = value;
  if ((role !== 'realserver' && role !== 'director') || typeof mode !== 'string' || typeof appliedAt !== 'string' || !Array.isArray(steps)) {
    throw refuse('is not a tsipvs setup record (role, mode, appliedAt or steps missing or malformed)');
  }
  if ((dev !== undefined && typeof dev !== 'string') || (vips !== undefined && !isStringArray(vips)) || (ipvs !== undefined && !isStringRecord(ipvs))) {
    throw refuse('is not a tsipvs setup record (dev, vips or ipvs malformed)');
  }
  let preset: Preset;
  try {
    preset =
      role === 'realserver'
        ? realserverPreset({ mode: mode as RealserverMode, vips: vips ?? [], ...(dev !== undefined ? { dev } : {}) })
        : directorPreset({ mode: mode as DirectorMode, vips: vips ?? [], ipvs: ipvs ?? {}, ...(dev !== undefined ? { dev } : {}) });
  } catch (error) {
    throw refuse(`records no setup tsipvs makes: ${errorText(error)}`);
  }
  const seen = new Set<string>();
  const checked = steps.map((entry: unknown, index) => {
    try {
      const step = checkStep(entry, preset);
      if (seen.has(identityOf(step))) throw problem('setup makes each change once, and writes one drop-in at most');
      seen.add(identityOf(step));
      return step;
    } catch (error) {
      throw new SysctlError('state', `state file ${file}, step ${index + 1} ${snippet(entry)}: ${errorText(error)}; setup cannot have written this, so nothing was changed`);
    }
  });
  return recordOf(preset, appliedAt, checked);
}

/** The step an entry describes, if the preset's plan can hold it. */
function checkStep(entry: unknown, preset: Preset): Step {
  if (!isObject(entry)) throw problem('a step is an object');
  const kind = entry.kind;
  if (kind !== 'sysctl' && kind !== 'link-up' && kind !== 'address' && kind !== 'file') throw problem(`unknown kind of step ${JSON.stringify(kind)}`);
  const reason = stringField(entry, 'reason');
  switch (kind) {
    case 'sysctl': {
      const key = parseSysctlName(stringField(entry, 'key'));
      const wanted = preset.desired.sysctls.find((s) => s.key.path === key.path);
      if (!wanted) throw problem(`${preset.title} never changes ${key.dotted}`);
      const to = stringField(entry, 'to');
      if (to !== normalizeValue(wanted.value)) throw problem(`setup sets ${key.dotted} to ${JSON.stringify(normalizeValue(wanted.value))}, not ${JSON.stringify(to)}`);
      const fromBase64 = base64Field(entry, 'fromBase64');
      const before = Buffer.from(fromBase64, 'base64');
      const text = before.toString('utf8');
      if (!Buffer.from(text).equals(before)) throw problem('the previous content is not UTF-8 text');
      checkValue(key.dotted, text.replace(/\n$/, ''));
      const from = stringField(entry, 'from');
      if (from !== normalizeValue(text)) throw problem(`"from" ${JSON.stringify(from)} is not the previous content ${JSON.stringify(text)}`);
      return { kind: 'sysctl', key: key.dotted, from, fromBase64, to, reason };
    }
    case 'link-up': {
      const dev = stringField(entry, 'dev');
      if (!preset.desired.linksUp.some((l) => l.dev === dev)) throw problem(`${preset.title} never brings up ${dev}`);
      return { kind: 'link-up', dev, reason };
    }
    case 'address': {
      const dev = stringField(entry, 'dev');
      const address = stringField(entry, 'address');
      const prefixLength = entry.prefixLength;
      const wanted = preset.desired.addresses.find((a) => a.dev === dev && a.address === address && a.prefixLength === prefixLength);
      if (!wanted) throw problem(`${preset.title} never adds ${address}/${String(prefixLength)} on ${dev}`);
      return { kind: 'address', dev, address, prefixLength: wanted.prefixLength, reason };
    }
    case 'file': {
      const file = stringField(entry, 'path');
      if (!path.isAbsolute(file) || path.normalize(file) !== file) throw problem('a drop-in path is absolute and normalized');
      const to = stringField(entry, 'to');
      if (to !== dropinFor(file, preset.title, preset.role, preset.desired.sysctls).content) throw problem(`not the drop-in setup writes for ${preset.title}`);
      if (entry.created === true) return { kind: 'file', path: file, created: true, to, reason };
      if (entry.created === false) return { kind: 'file', path: file, created: false, fromBase64: base64Field(entry, 'fromBase64'), to, reason };
      throw problem('"created" must be true or false');
    }
  }
}

/** What a step changes: two steps of a record never change the same thing. */
function identityOf(step: Step): string {
  switch (step.kind) {
    case 'sysctl':
      return `sysctl ${step.key}`;
    case 'link-up':
      return `link ${step.dev}`;
    case 'address':
      return `address ${step.address}/${step.prefixLength} ${step.dev}`;
    case 'file':
      return 'file';
  }
}

function stringField(entry: JsonObject, name: string): string {
  const value = entry[name];
  if (typeof value !== 'string') throw problem(`"${name}" must be a string`);
  return value;
}

function base64Field(entry: JsonObject, name: string): string {
  const value = stringField(entry, name);
  if (Buffer.from(value, 'base64').toString('base64') !== value) throw problem(`"${name}" is not base64`);
  return value;
}

function problem(text: string): SysctlError {
  return new SysctlError('state', text);
}

/** An entry as JSON, shortened, for messages (JSON also escapes any control character). */
function snippet(entry: unknown): string {
  const text = JSON.stringify(entry) ?? String(entry);
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every((v) => typeof v === 'string');
}
