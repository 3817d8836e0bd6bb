import { Preset, directorPreset, realserverPreset } from '../src/presets';

/** A preset's settings as `key=value` lines, and its links and addresses. */
function summary(preset: Preset): { sysctls: string[]; linksUp: string[]; addresses: string[] } {
  return {
    sysctls: preset.desired.sysctls.map((s) => `${s.key.dotted}=${s.value}`),
    linksUp: preset.desired.linksUp.map((l) => l.dev),
    addresses: preset.desired.addresses.map((a) => `${a.address}/${a.prefixLength} ${a.dev}`),
  };
}

describe('realserver presets', () => {
  it('dr: ARP settings on all and lo, VIP/32 on lo', () => {
    expect(summary(realserverPreset({ mode: 'dr', vips: ['192.0.2.10'] }))).toEqual({
      sysctls: [
        'net.ipv4.conf.all.arp_ignore=1',
        'net.ipv4.conf.all.arp_announce=2',
        'net.ipv4.conf.lo.arp_ignore=1',
        'net.ipv4.conf.lo.arp_announce=2',
      ],
      linksUp: ['lo'],
      addresses: ['192.0.2.10/32 lo'],
    });
  });

  it('dr on another interface (with a dot), several VIPs, duplicates dropped', () => {
    const preset = realserverPreset({ mode: 'dr', vips: ['192.0.2.10', '192.0.2.11', '192.0.2.10'], dev: 'dummy0.5' });
    expect(summary(preset)).toEqual({
      sysctls: [
        'net.ipv4.conf.all.arp_ignore=1',
        'net.ipv4.conf.all.arp_announce=2',
        'net.ipv4.conf.dummy0/5.arp_ignore=1',
        'net.ipv4.conf.dummy0/5.arp_announce=2',
      ],
      linksUp: ['dummy0.5'],
      addresses: ['192.0.2.10/32 dummy0.5', '192.0.2.11/32 dummy0.5'],
    });
    expect(preset.vips).toEqual(['192.0.2.10', '192.0.2.11']);
  });

  it('tun: ARP settings and rp_filter=0 on all and tunl0, tunl0 up, VIP/32 on tunl0', () => {
    expect(summary(realserverPreset({ mode: 'tun', vips: ['192.0.2.10'] }))).toEqual({
      sysctls: [
        'net.ipv4.conf.all.arp_ignore=1',
        'net.ipv4.conf.all.arp_announce=2',
        'net.ipv4.conf.tunl0.arp_ignore=1',
        'net.ipv4.conf.tunl0.arp_announce=2',
        'net.ipv4.conf.all.rp_filter=0',
        'net.ipv4.conf.tunl0.rp_filter=0',
      ],
      linksUp: ['tunl0'],
      addresses: ['192.0.2.10/32 tunl0'],
    });
  });

  it.each([
    [{ mode: 'dr', vips: [] }, /at least one VIP/],
    [{ mode: 'dr', vips: ['2001:db8::1'] }, /IPv6 VIPs are not supported/],
    [{ mode: 'dr', vips: ['192.0.2.300'] }, /expected an IPv4 address/],
    [{ mode: 'nat', vips: ['192.0.2.1'] }, /unknown mode "nat" \(expected dr, tun\)/],
    [{ mode: 'dr', vips: ['192.0.2.1'], dev: 'a/b' }, /invalid interface name/],
    [{ mode: 'dr', vips: ['192.0.2.1'], dev: 'averyveryverylongname' }, /invalid interface name/],
  ] as const)('rejects %j', (options, message) => {
    expect(() => realserverPreset(options as never)).toThrow(message);
  });
});

describe('director presets', () => {
  it('nat: ip_forward=1 and send_redirects=0 on all, default and the interface', () => {
    expect(summary(directorPreset({ mode: 'nat', dev: 'eth0' })).sysctls).toEqual([
      'net.ipv4.ip_forward=1',
      'net.ipv4.conf.all.send_redirects=0',
      'net.ipv4.conf.default.send_redirects=0',
      'net.ipv4.conf.eth0.send_redirects=0',
    ]);
  });

  it.each(['dr', 'tun'] as const)('%s: send_redirects=0 only, no forwarding', (mode) => {
    expect(summary(directorPreset({ mode }))).toEqual({
      sysctls: ['net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.default.send_redirects=0'],
      linksUp: [],
      addresses: [],
    });
  });

  it('adds requested IPVS tunables in canonical form', () => {
    expect(summary(directorPreset({ mode: 'dr', ipvs: { expire_nodest_conn: 'on', sync_threshold: '3  40' } })).sysctls).toEqual([
      'net.ipv4.conf.all.send_redirects=0',
      'net.ipv4.conf.default.send_redirects=0',
      'net.ipv4.vs.expire_nodest_conn=1',
      'net.ipv4.vs.sync_threshold=3 40',
    ]);
  });

  it('rejects unknown modes, unknown tunables and out-of-range values', () => {
    expect(() => directorPreset({ mode: 'bridge' as never })).toThrow(/unknown mode "bridge"/);
    expect(() => directorPreset({ mode: 'nat', ipvs: { timeout_tcp: '10' } })).toThrow(/unknown IPVS tunable "timeout_tcp"/);
    expect(() => directorPreset({ mode: 'nat', ipvs: { sync_retries: '7' } })).toThrow(/out of range/);
  });
});

describe('director VIPs', () => {
  test('each VIP becomes a /32 on the client-facing interface', () => {
    const preset = directorPreset({ mode: 'dr', dev: 'eth0', vips: ['10.10.0.50', '10.10.0.50', '10.10.0.51'] });
    expect(preset.vips).toEqual(['10.10.0.50', '10.10.0.51']);
    expect(preset.desired.addresses.map((a) => `${a.address}/${a.prefixLength} ${a.dev}`)).toEqual(['10.10.0.50/32 eth0', '10.10.0.51/32 eth0']);
  });

  test('a VIP without --dev is refused', () => {
    expect(() => directorPreset({ mode: 'nat', vips: ['10.10.0.50'] })).toThrow(/--vip needs --dev/);
  });
});
