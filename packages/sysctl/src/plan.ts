/** Turns a desired state into a plan: the steps that change something, from the current value to the wanted one. */
import { Desired } from './desired';
import { SysctlError } from './errors';
import { IpvsSysctls, ipvsKnobOf } from './ipvs';
import { Environment, Step, readRegularFile } from './steps';
import { SysctlKey, sysctlKey } from './names';
import { checkValue, normalizeValue } from './tree';

export interface Plan {
  readonly title: string;
  /** The changes, in the order they are applied (undone in reverse). */
  readonly steps: readonly Step[];
  /** What is already as wanted, e.g. `{ item: 'net.ipv4.conf.all.arp_ignore', value: '1' }`. */
  readonly unchanged: readonly { readonly item: string; readonly value: string }[];
  /** Advice shown with the plan. */
  readonly notes: readonly string[];
}

export async function planSettings(title: string, desired: Desired, env: Environment, notes: readonly string[] = []): Promise<Plan> {
  const steps: Step[] = [];
  const unchanged: { item: string; value: string }[] = [];

  for (const dev of new Set([...desired.linksUp, ...desired.addresses].map((d) => d.dev))) {
    if (!(await env.network.link(dev))) throw missingInterface(dev);
  }

  const ipvs = new IpvsSysctls(env.tree);
  for (const { key, value, reason } of desired.sysctls) {
    const knob = ipvsKnobOf(key);
    if (knob !== undefined) ipvs.requireKnob(knob);
    checkValue(key.dotted, value);
    const before = readSetting(key, env);
    const from = normalizeValue(before.toString('utf8'));
    const to = normalizeValue(value);
    if (from === to) unchanged.push({ item: key.dotted, value: to });
    else steps.push({ kind: 'sysctl', key: key.dotted, from, fromBase64: before.toString('base64'), to, reason });
  }

  for (const { dev, reason } of desired.linksUp) {
    if ((await env.network.link(dev))?.up) unchanged.push({ item: `link ${dev}`, value: 'up' });
    else steps.push({ kind: 'link-up', dev, reason });
  }

  for (const { dev, address, prefixLength, reason } of desired.addresses) {
    if (await env.network.hasAddress(dev, address, prefixLength)) {
      unchanged.push({ item: `address ${address}/${prefixLength} on ${dev}`, value: 'present' });
    } else {
      steps.push({ kind: 'address', dev, address, prefixLength, reason });
    }
  }

  for (const { path, content, reason } of desired.files) {
    const before = readRegularFile(path);
    if (before === null) steps.push({ kind: 'file', path, created: true, to: content, reason });
    else if (before.equals(Buffer.from(content))) unchanged.push({ item: `file ${path}`, value: 'written' });
    else steps.push({ kind: 'file', path, created: false, fromBase64: before.toString('base64'), to: content, reason });
  }

  return { title, steps, unchanged, notes };
}

/** Reads a setting's exact content; a per-interface one of an interface that does not exist says so. */
function readSetting(key: SysctlKey, env: Environment): Buffer {
  const [net, ipv4, conf, dev] = key.components;
  if (net === 'net' && ipv4 === 'ipv4' && conf === 'conf' && dev !== undefined && !env.tree.isDirectory(sysctlKey(['net', 'ipv4', 'conf', dev]))) {
    throw missingInterface(dev);
  }
  return env.tree.readBytes(key);
}

function missingInterface(dev: string): SysctlError {
  const hint = dev === 'tunl0' ? ' (tunl0 appears when the ipip module is loaded: modprobe ipip)' : '';
  return new SysctlError('no-such-interface', `no network interface named ${dev}${hint}`);
}
