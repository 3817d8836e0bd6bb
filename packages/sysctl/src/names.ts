/**
 * Sysctl names. A key is a list of file names under /proc/sys. It has two spellings, as in sysctl(8):
 * dotted (`net.ipv4.conf.eth0/100.rp_filter`, where `/` stands for a `.` inside a component such as
 * a VLAN interface name) and path (`net/ipv4/conf/eth0.100/rp_filter`). Which spelling a name uses is
 * decided by its first separator. Components are checked so that no key can leave /proc/sys.
 */
import { SysctlError } from './errors';

export interface SysctlKey {
  /** File names from /proc/sys down, e.g. `['net', 'ipv4', 'conf', 'eth0.100', 'rp_filter']`. */
  readonly components: readonly string[];
  /** `net.ipv4.conf.eth0/100.rp_filter` */
  readonly dotted: string;
  /** `net/ipv4/conf/eth0.100/rp_filter` (relative to the sysctl root) */
  readonly path: string;
}

/** Characters a component may hold: those of sysctl names and of usual interface names. */
const COMPONENT_PATTERN = /^[A-Za-z0-9_.@+-]+$/;
const MAX_COMPONENT_LENGTH = 255;

/** Parses a dotted name or a relative path; throws `invalid-name` explaining what is wrong. */
export function parseSysctlName(name: string): SysctlKey {
  if (name.length === 0) throw invalidName(name, 'the name is empty');
  if (name.includes('\0')) throw invalidName(name, 'it contains a NUL byte');
  if (name.startsWith('/')) {
    throw invalidName(name, 'absolute paths are not accepted; give the path relative to /proc/sys, e.g. net/ipv4/ip_forward');
  }
  if (name.split('/').includes('..')) throw invalidName(name, "'..' is not allowed");
  const firstSeparator = name.search(/[./]/);
  const isPath = firstSeparator >= 0 && name[firstSeparator] === '/';
  const components = isPath ? name.split('/') : name.split('.').map((part) => part.replaceAll('/', '.'));
  return sysctlKey(components, name);
}

/** Builds a key from file names (e.g. an interface name with dots), checking each one. */
export function sysctlKey(components: readonly string[], spelledAs = components.join('/')): SysctlKey {
  if (components.length === 0) throw invalidName(spelledAs, 'the name is empty');
  for (const component of components) checkComponent(component, spelledAs);
  return {
    components: [...components],
    dotted: components.map((c) => c.replaceAll('.', '/')).join('.'),
    path: components.join('/'),
  };
}

/** A key given either as a name (any spelling) or already parsed. */
export type SysctlKeyLike = string | SysctlKey;

export function toKey(name: SysctlKeyLike): SysctlKey {
  return typeof name === 'string' ? parseSysctlName(name) : name;
}

/** Key of a per-interface IPv4 setting: `net.ipv4.conf.<dev>.<setting>`. */
export function ipv4ConfKey(dev: string, setting: string): SysctlKey {
  return sysctlKey(['net', 'ipv4', 'conf', dev, setting]);
}

function checkComponent(component: string, name: string): void {
  if (component.length === 0) throw invalidName(name, 'it has an empty component (doubled, leading or trailing separator)');
  if (component === '.' || component === '..') throw invalidName(name, `the component '${component}' is not allowed`);
  if (component.length > MAX_COMPONENT_LENGTH) throw invalidName(name, 'a component is longer than 255 characters');
  if (!COMPONENT_PATTERN.test(component)) {
    const bad = [...component].find((ch) => !COMPONENT_PATTERN.test(ch)) ?? '?';
    throw invalidName(name, `it contains the character ${JSON.stringify(bad)}; allowed are letters, digits and _ . @ + -`);
  }
}

function invalidName(name: string, reason: string): SysctlError {
  return new SysctlError('invalid-name', `invalid sysctl name ${JSON.stringify(name)}: ${reason}`);
}
