/** Typed access to the IPVS tunables under net.ipv4.vs, with clear errors when IPVS or a knob is missing. */
import { SysctlError } from './errors';
import { IPVS_KNOB_NAMES, IpvsKnobName, IpvsKnobValue, KnobSpec, isIpvsKnobName, knobSpec } from './knobs';
import { canonicalKnobText, formatKnobValue, parseKnobValue } from './knob-values';
import { SysctlKey, sysctlKey } from './names';
import { SysctlTree } from './tree';

export const IPVS_PREFIX = 'net.ipv4.vs';

export interface IpvsKnobReading {
  readonly name: IpvsKnobName;
  readonly spec: KnobSpec;
  /** Normalized text of the value, or undefined when this kernel has no such knob. */
  readonly text: string | undefined;
}

export function ipvsKnobKey(name: IpvsKnobName): SysctlKey {
  return sysctlKey(['net', 'ipv4', 'vs', name]);
}

/** The IPVS knob a key names, if it names one (`net.ipv4.vs.conntrack` → `conntrack`). */
export function ipvsKnobOf(key: SysctlKey): IpvsKnobName | undefined {
  const [net, ipv4, vs, knob, ...rest] = key.components;
  if (net !== 'net' || ipv4 !== 'ipv4' || vs !== 'vs' || knob === undefined || rest.length > 0) return undefined;
  return isIpvsKnobName(knob) ? knob : undefined;
}

export class IpvsSysctls {
  constructor(readonly tree: SysctlTree = new SysctlTree()) {}

  /** Whether the ip_vs module is loaded (in this network namespace, its sysctl folder exists). */
  isLoaded(): boolean {
    return this.tree.isDirectory(sysctlKey(['net', 'ipv4', 'vs']));
  }

  /** Whether this kernel has the knob (some are recent or depend on build options). */
  isAvailable(name: IpvsKnobName): boolean {
    this.requireLoaded();
    return this.tree.exists(ipvsKnobKey(name));
  }

  get<K extends IpvsKnobName>(name: K): IpvsKnobValue<K> {
    return parseKnobValue(name, this.tree.read(this.requireKnob(name)));
  }

  /** Writes a typed value after checking its range. */
  set<K extends IpvsKnobName>(name: K, value: IpvsKnobValue<K>): void {
    const text = formatKnobValue(name, value);
    this.tree.write(this.requireKnob(name), text);
  }

  /** Writes a value given as text (`"3 50"`, `"1"`), after checking it. */
  setText(name: IpvsKnobName, text: string): void {
    const canonical = canonicalKnobText(name, text);
    this.tree.write(this.requireKnob(name), canonical);
  }

  /** Every known knob with its current text (undefined when absent on this kernel). */
  readAll(): IpvsKnobReading[] {
    this.requireLoaded();
    return IPVS_KNOB_NAMES.map((name) => {
      const key = ipvsKnobKey(name);
      return { name, spec: knobSpec(name), text: this.tree.exists(key) ? this.tree.read(key) : undefined };
    });
  }

  requireLoaded(): void {
    if (!this.isLoaded()) {
      throw new SysctlError(
        'ipvs-not-loaded',
        `IPVS is not loaded: ${this.tree.fileOf(sysctlKey(['net', 'ipv4', 'vs']))} is missing (load it with "modprobe ip_vs"; ` +
          'the folder is also hidden in network namespaces owned by a non-initial user namespace)',
      );
    }
  }

  /** The knob's key; throws `ipvs-not-loaded` or `knob-unavailable` when it cannot be used. */
  requireKnob(name: IpvsKnobName): SysctlKey {
    const key = ipvsKnobKey(name);
    if (!this.isAvailable(name)) {
      const spec = knobSpec(name);
      const hint = spec.availability ? ` (it exists on ${spec.availability})` : '';
      throw new SysctlError('knob-unavailable', `${key.dotted} does not exist on this kernel${hint}`);
    }
    return key;
  }
}
