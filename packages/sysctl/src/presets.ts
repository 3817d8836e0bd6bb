/**
 * What each preset sets, following the LVS HOWTO and common keepalived setups.
 *
 * Kernel rules that shape these choices: for arp_ignore, arp_announce and rp_filter the kernel uses
 * the larger of `conf.all` and `conf.<dev>`; for send_redirects it uses `all` OR `<dev>`, so both
 * must be 0; `conf.default` is what interfaces created later start with.
 */
import { Desired, DesiredAddress, DesiredLinkUp, DesiredSysctl, uniqueSysctls } from './desired';
import { SysctlError } from './errors';
import { canonicalKnobText } from './knob-values';
import { IpvsKnobName, isIpvsKnobName } from './knobs';
import { checkInterfaceName, checkVip } from './interfaces';
import { ipvsKnobKey } from './ipvs';
import { ipv4ConfKey, sysctlKey } from './names';

export type Role = 'realserver' | 'director';
export type RealserverMode = 'dr' | 'tun';
export type DirectorMode = 'nat' | 'dr' | 'tun';

export const REALSERVER_MODES: readonly RealserverMode[] = ['dr', 'tun'];
export const DIRECTOR_MODES: readonly DirectorMode[] = ['nat', 'dr', 'tun'];

export interface RealserverOptions {
  readonly mode: RealserverMode;
  /** One or more VIPs (IPv4), each added as /32. */
  readonly vips: readonly string[];
  /** Interface that holds the VIPs: `lo` for dr, `tunl0` for tun by default. */
  readonly dev?: string;
}

export interface DirectorOptions {
  readonly mode: DirectorMode;
  /** Interface facing clients and real servers, also given send_redirects=0. */
  readonly dev?: string;
  /** Extra IPVS tunables to set, by knob name: `{ expire_nodest_conn: '1' }`. */
  readonly ipvs?: Readonly<Record<string, string>>;
  /** VIPs the director answers for, each added as /32 on `dev` (which is then required). */
  readonly vips?: readonly string[];
}

/** A preset made concrete: what it wants, and what to record about it. */
export interface Preset {
  readonly role: Role;
  readonly mode: string;
  readonly title: string;
  /** Advice about what the preset does not cover, shown with the plan. */
  readonly notes: readonly string[];
  readonly dev?: string;
  readonly vips?: readonly string[];
  /** IPVS tunables set (canonical text), recorded with dev and vips so that teardown can rebuild the preset. */
  readonly ipvs?: Readonly<Record<string, string>>;
  readonly desired: Desired;
}

export const VIP_PREFIX_LENGTH = 32;

export function realserverPreset(options: RealserverOptions): Preset {
  if (!REALSERVER_MODES.includes(options.mode)) throw badMode('realserver', options.mode, REALSERVER_MODES);
  if (options.vips.length === 0) throw new SysctlError('invalid-value', 'realserver: at least one VIP is required');
  const vips = [...new Set(options.vips.map(checkVip))];
  const dev = checkInterfaceName(options.dev ?? (options.mode === 'dr' ? 'lo' : 'tunl0'));
  const sysctls: DesiredSysctl[] = [
    ...arpSettings('all', dev),
    ...arpSettings(dev, dev),
    ...(options.mode === 'tun' ? [rpFilterOff('all', dev), rpFilterOff(dev, dev)] : []),
  ];
  const linksUp: DesiredLinkUp[] = [{ dev, reason: `${dev} must be up for the kernel to accept packets for the VIP` }];
  const addresses: DesiredAddress[] = vips.map((address) => ({
    dev,
    address,
    prefixLength: VIP_PREFIX_LENGTH,
    reason:
      options.mode === 'dr'
        ? 'the real server accepts packets addressed to the VIP (a /32, so no subnet route is added)'
        : 'decapsulated packets addressed to the VIP are accepted (a /32, so no subnet route is added)',
  }));
  return {
    role: 'realserver',
    mode: options.mode,
    dev,
    vips,
    title: `realserver ${options.mode}: VIP${vips.length > 1 ? 's' : ''} ${vips.join(', ')} on ${dev}`,
    notes: [],
    desired: { sysctls: uniqueSysctls(sysctls), linksUp, addresses, files: [] },
  };
}

export function directorPreset(options: DirectorOptions): Preset {
  if (!DIRECTOR_MODES.includes(options.mode)) throw badMode('director', options.mode, DIRECTOR_MODES);
  const dev = options.dev === undefined ? undefined : checkInterfaceName(options.dev);
  const vips = [...new Set((options.vips ?? []).map(checkVip))];
  if (vips.length > 0 && !dev) throw new SysctlError('invalid-value', 'director: --vip needs --dev, the interface facing the clients');
  const forwarding: DesiredSysctl[] =
    options.mode === 'nat'
      ? [{ key: sysctlKey(['net', 'ipv4', 'ip_forward']), value: '1', reason: 'NAT replies from the real servers are routed back through the director' }]
      : [];
  const ipvs = ipvsSettings(options.ipvs ?? {});
  const sysctls: DesiredSysctl[] = [
    ...forwarding,
    ...['all', 'default', ...(dev ? [dev] : [])].map((scope) => noRedirects(scope, options.mode)),
    ...ipvs.map(([name, value]) => ({ key: ipvsKnobKey(name), value, reason: `requested IPVS tunable ${name}` })),
  ];
  const addresses: DesiredAddress[] = vips.map((address) => ({
    dev: dev!,
    address,
    prefixLength: VIP_PREFIX_LENGTH,
    reason: 'the director receives the clients\' packets for the VIP (a /32, so no subnet route is added)',
  }));
  return {
    role: 'director',
    mode: options.mode,
    ...(dev ? { dev } : {}),
    ...(vips.length > 0 ? { vips } : {}),
    ...(ipvs.length > 0 ? { ipvs: Object.fromEntries(ipvs) } : {}),
    title: `director ${options.mode}${dev ? ` on ${dev}` : ''}${vips.length > 0 ? ` with VIP${vips.length > 1 ? 's' : ''} ${vips.join(', ')}` : ''}`,
    notes: dev
      ? []
      : ['interfaces that exist already keep their own send_redirects, and the kernel sends redirects if all OR the interface says so: give --dev'],
    desired: { sysctls: uniqueSysctls(sysctls), linksUp: [], addresses, files: [] },
  };
}

function arpSettings(scope: string, vipDev: string): DesiredSysctl[] {
  const where = scope === 'all' ? 'all interfaces' : scope;
  return [
    {
      key: ipv4ConfKey(scope, 'arp_ignore'),
      value: '1',
      reason: `${where}: answer ARP only for addresses of the receiving interface, so the VIP on ${vipDev} is never claimed`,
    },
    {
      key: ipv4ConfKey(scope, 'arp_announce'),
      value: '2',
      reason: `${where}: never use the VIP as the source of ARP requests`,
    },
  ];
}

function rpFilterOff(scope: string, tunnelDev: string): DesiredSysctl {
  return {
    key: ipv4ConfKey(scope, 'rp_filter'),
    value: '0',
    reason: `${scope === 'all' ? 'all interfaces' : scope}: accept packets arriving on ${tunnelDev} whose source is routed elsewhere (the kernel uses max(all, ${tunnelDev}))`,
  };
}

function noRedirects(scope: string, mode: DirectorMode): DesiredSysctl {
  const why = mode === 'nat' ? 'clients and real servers routed through the director' : 'hosts whose packets the director forwards';
  const scopeNote = scope === 'default' ? ' (interfaces created later)' : scope === 'all' ? ' (the kernel uses all OR device)' : '';
  return { key: ipv4ConfKey(scope, 'send_redirects'), value: '0', reason: `do not send ICMP redirects to ${why}${scopeNote}` };
}

/** The requested IPVS tunables, checked, with their canonical text. */
function ipvsSettings(settings: Readonly<Record<string, string>>): [IpvsKnobName, string][] {
  return Object.entries(settings).map(([name, text]) => {
    if (!isIpvsKnobName(name)) throw new SysctlError('invalid-name', `unknown IPVS tunable ${JSON.stringify(name)} (see "tsipvs sysctl list")`);
    return [name, canonicalKnobText(name, text)];
  });
}

function badMode(role: Role, mode: string, modes: readonly string[]): SysctlError {
  return new SysctlError('invalid-value', `${role}: unknown mode ${JSON.stringify(mode)} (expected ${modes.join(', ')})`);
}
