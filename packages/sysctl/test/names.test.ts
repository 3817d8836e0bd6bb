import { SysctlError } from '../src/errors';
import { ipv4ConfKey, parseSysctlName, sysctlKey } from '../src/names';

describe('parseSysctlName', () => {
  it('reads the dotted form', () => {
    expect(parseSysctlName('net.ipv4.vs.conntrack')).toEqual({
      components: ['net', 'ipv4', 'vs', 'conntrack'],
      dotted: 'net.ipv4.vs.conntrack',
      path: 'net/ipv4/vs/conntrack',
    });
  });

  it('reads the path form', () => {
    expect(parseSysctlName('net/ipv4/ip_forward').components).toEqual(['net', 'ipv4', 'ip_forward']);
  });

  it('swaps / and . inside components of the dotted form, as sysctl(8) does', () => {
    const key = parseSysctlName('net.ipv4.conf.eth0/100.rp_filter');
    expect(key.components).toEqual(['net', 'ipv4', 'conf', 'eth0.100', 'rp_filter']);
    expect(key.path).toBe('net/ipv4/conf/eth0.100/rp_filter');
  });

  it('keeps dots of the path form inside components', () => {
    const key = parseSysctlName('net/ipv4/conf/eth0.100/rp_filter');
    expect(key.components).toEqual(['net', 'ipv4', 'conf', 'eth0.100', 'rp_filter']);
    expect(key.dotted).toBe('net.ipv4.conf.eth0/100.rp_filter');
  });

  it('accepts a single component and usual interface characters', () => {
    expect(parseSysctlName('kernel').components).toEqual(['kernel']);
    expect(parseSysctlName('net.ipv4.conf.veth-a_1@x+y.arp_ignore').components[3]).toBe('veth-a_1@x+y');
  });

  const rejected: [string, string, RegExp][] = [
    ['empty', '', /empty/],
    ['NUL byte', 'net.ipv4\0.ip_forward', /NUL/],
    ['absolute path', '/proc/sys/net/ipv4/ip_forward', /absolute/],
    ['absolute root', '/', /absolute/],
    ['.. in a path', 'net/../../etc/passwd', /'\.\.'/],
    ['leading ..', '../etc/passwd', /'\.\.'/],
    ['trailing ..', 'net/ipv4/..', /'\.\.'/],
    ['. in a path', 'net/./ipv4/ip_forward', /'\.'/],
    ['.. spelled //', 'net.ipv4.conf.//.rp_filter', /'\.\.'/],
    ['. spelled /', 'net.ipv4.conf./.rp_filter', /'\.'/],
    ['doubled dot', 'net..ipv4.ip_forward', /empty component/],
    ['leading dot', '.net.ipv4.ip_forward', /empty component/],
    ['trailing dot', 'net.ipv4.ip_forward.', /empty component/],
    ['doubled slash', 'net//ipv4/ip_forward', /empty component/],
    ['trailing slash', 'net/ipv4/', /empty component/],
    ['space', 'net.ipv4.ip forward', /character " "/],
    ['tab', 'net.ipv4.ip_forward\t', /character "\\t"/],
    ['newline', 'net.ipv4.ip_forward\n', /character "\\n"/],
    ['glob', 'net.ipv4.conf.*.rp_filter', /character "\*"/],
    ['backslash', 'net\\ipv4', /character "\\\\"/],
    ['dollar', 'net.$HOME', /character "\$"/],
    ['tilde', '~/x', /character "~"/],
    ['colon', 'net.ipv4.conf.eth0:1.rp_filter', /character ":"/],
    ['non-ASCII', 'net.ipv4.conf.ethé.rp_filter', /character "é"/],
    ['overlong component', `net.${'a'.repeat(256)}`, /longer than 255/],
  ];
  it.each(rejected)('rejects %s', (_what, name, reason) => {
    let caught: unknown;
    try {
      parseSysctlName(name);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SysctlError);
    expect((caught as SysctlError).code).toBe('invalid-name');
    expect((caught as SysctlError).message).toMatch(reason);
  });
});

describe('sysctlKey', () => {
  it('builds keys of interfaces with dots', () => {
    expect(ipv4ConfKey('eth0.100', 'arp_ignore').dotted).toBe('net.ipv4.conf.eth0/100.arp_ignore');
  });

  it('checks each component', () => {
    expect(() => sysctlKey(['net', '..', 'x'])).toThrow(/'\.\.'/);
    expect(() => sysctlKey([])).toThrow(/empty/);
    expect(() => ipv4ConfKey('a/b', 'rp_filter')).toThrow(/character "\/"/);
  });
});
