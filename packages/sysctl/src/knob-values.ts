/** Conversion between the text of an IPVS knob's file and its typed value, with range checks. */
import { SysctlError } from './errors';
import { IpvsKnobName, IpvsKnobValue, KnobSpec, SyncThreshold, describeRange, knobSpec } from './knobs';
import { checkValue } from './tree';

type AnyKnobValue = boolean | number | SyncThreshold | string;

/** Parses the text of a knob (as read from /proc, or typed by a user) into its typed value. */
export function parseKnobValue<K extends IpvsKnobName>(name: K, text: string): IpvsKnobValue<K> {
  return parseBySpec(name, knobSpec(name), text.trim()) as IpvsKnobValue<K>;
}

/** The text to write for a typed value, after checking it is in range. */
export function formatKnobValue<K extends IpvsKnobName>(name: K, value: IpvsKnobValue<K>): string {
  const spec = knobSpec(name);
  checkInRange(name, spec, value);
  return formatBySpec(spec, value);
}

/** Checks user text for a knob and returns the canonical text to write (e.g. `true` → `1`). */
export function canonicalKnobText(name: IpvsKnobName, text: string): string {
  checkValue(`net.ipv4.vs.${name}`, text);
  const spec = knobSpec(name);
  // Reads are lenient (the kernel treats any non-zero as on); users must say 0 or 1.
  if (spec.kind === 'bool' && /^[-+]?\d+$/.test(text.trim()) && Number(text) !== 0 && Number(text) !== 1) {
    throw new SysctlError('out-of-range', `net.ipv4.vs.${name}: ${JSON.stringify(text.trim())} is out of range; accepted: ${describeRange(spec)}`);
  }
  return formatKnobValue(name, parseKnobValue(name, text));
}

function parseBySpec(name: IpvsKnobName, spec: KnobSpec, text: string): AnyKnobValue {
  switch (spec.kind) {
    case 'bool':
      if (text === 'true' || text === 'yes' || text === 'on') return true;
      if (text === 'false' || text === 'no' || text === 'off') return false;
      return parseInteger(name, text) !== 0;
    case 'int':
    case 'powerOfTwo':
      return parseInteger(name, text);
    case 'threshold': {
      const parts = text.split(/\s+/);
      const [threshold, period] = parts;
      if (parts.length !== 2 || threshold === undefined || period === undefined) {
        throw invalidValue(name, text, 'expected two integers "THRESHOLD PERIOD"');
      }
      return { threshold: parseInteger(name, threshold), period: parseInteger(name, period) };
    }
    case 'cpulist':
      if (text !== '' && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(text)) {
        throw invalidValue(name, text, 'expected a CPU list such as 0-3,6');
      }
      return text;
  }
}

function checkInRange(name: IpvsKnobName, spec: KnobSpec, value: AnyKnobValue): void {
  const inRange = ((): boolean => {
    switch (spec.kind) {
      case 'bool':
        return typeof value === 'boolean';
      case 'int':
        return typeof value === 'number' && Number.isSafeInteger(value) && value >= spec.min && value <= spec.max;
      case 'powerOfTwo':
        return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= 2 ** 30 && (value & (value - 1)) === 0;
      case 'threshold': {
        if (typeof value !== 'object') return false;
        const { threshold, period } = value;
        const integers = [threshold, period].every((n) => Number.isSafeInteger(n) && n >= 0 && n <= 2 ** 31 - 1);
        return integers && (period === 0 || threshold < period);
      }
      case 'cpulist':
        return typeof value === 'string' && (value === '' || /^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(value));
    }
  })();
  if (!inRange) {
    throw new SysctlError(
      'out-of-range',
      `net.ipv4.vs.${name}: ${JSON.stringify(formatLoosely(value))} is out of range; accepted: ${describeRange(spec)}`,
    );
  }
}

function formatBySpec(spec: KnobSpec, value: AnyKnobValue): string {
  if (spec.kind === 'bool') return value ? '1' : '0';
  return formatLoosely(value);
}

function formatLoosely(value: AnyKnobValue): string {
  if (typeof value === 'object') return `${value.threshold} ${value.period}`;
  return String(value);
}

function parseInteger(name: IpvsKnobName, text: string): number {
  if (!/^[-+]?\d+$/.test(text)) throw invalidValue(name, text, 'expected an integer');
  return Number(text);
}

function invalidValue(name: IpvsKnobName, text: string, reason: string): SysctlError {
  return new SysctlError('invalid-value', `net.ipv4.vs.${name}: invalid value ${JSON.stringify(text)}: ${reason}`);
}
