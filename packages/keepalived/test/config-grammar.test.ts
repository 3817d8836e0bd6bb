/** The virtual_server grammar: every keyword, keepalived 2.2.7's defaults and inheritance, and the errors. */
import { AddressFamily } from '@tsipvs/ipvs-core';
import type { HttpCheck, MiscCheck, TcpCheck, VirtualServer } from '../src/config/model';
import { MAIN, errors, failure, parse, vs, warnings } from './config-support';

const first = async (text: string): Promise<VirtualServer> => (await parse(text)).virtualServers[0]!;

describe('defaults (keepalived 2.2.7)', () => {
  test('a bare virtual server: delay_loop 60, wlc, NAT, UDP (each default reported as keepalived reports it)', async () => {
    const text = 'virtual_server 10.0.0.1 80 {\n  real_server 10.0.1.1 80 {\n    TCP_CHECK\n  }\n}\n';
    const config = await parse(text);
    const v = config.virtualServers[0]!;
    expect(v).toMatchObject({
      delayLoopMs: 60000, scheduler: 'wlc', forwarding: { method: 'NAT' }, protocol: 'UDP', quorum: 1, hysteresis: 0, alpha: false, omega: false,
      inhibitOnFailure: false, haSuspend: false, onePacketScheduling: false, schedulerFlags: {},
    });
    expect(v.persistenceTimeout).toBeUndefined();
    expect(v.realServers[0]).toMatchObject({ weight: 1, port: 80, forwarding: { method: 'NAT' }, inhibitOnFailure: false, upperThreshold: 0, lowerThreshold: 0 });
    expect(v.realServers[0]!.checkers[0]).toEqual({
      kind: 'TCP_CHECK', at: { file: MAIN, line: 3 }, connectPort: 80, connectTimeoutMs: 5000, retry: 1, delayBeforeRetryMs: 1000,
      warmupMs: 60000, delayLoopMs: 60000, alpha: false,
    });
    expect(config.messages.map((m) => `${m.at.line}: ${m.severity}: ${m.text}`)).toEqual([
      '1: warning: virtual server 10.0.0.1:80: no protocol set - defaulting to UDP (as keepalived does)',
      "1: warning: virtual server 10.0.0.1:80: no scheduler set, setting default 'wlc'",
      '1: warning: virtual server 10.0.0.1:80: no forwarding method set, setting default NAT',
    ]);
  });

  test('per checker type: HTTP_GET/SSL_GET wait 3 s before a retry; MISC_CHECK does not retry and times out after the delay_loop', async () => {
    const v = await first(vs('  delay_loop 7', 'HTTP_GET {\n      url {\n        path /\n      }\n    }\n    SSL_GET {\n      url {\n        path /s\n      }\n    }\n    MISC_CHECK {\n      misc_path /bin/true\n    }'));
    const [http, ssl, misc] = v.realServers[0]!.checkers as [HttpCheck, HttpCheck, MiscCheck];
    expect(http).toMatchObject({ kind: 'HTTP_GET', retry: 1, delayBeforeRetryMs: 3000, warmupMs: 7000, urls: [{ path: '/', statusCodes: [] }], httpProtocol: '1.0', enableSni: false });
    expect(ssl).toMatchObject({ kind: 'SSL_GET', retry: 1, delayBeforeRetryMs: 3000 });
    expect(misc).toMatchObject({ kind: 'MISC_CHECK', retry: 0, delayBeforeRetryMs: 1000, timeoutMs: 7000, dynamic: false, path: '/bin/true', args: ['/bin/true'] });
    expect(misc.connectPort).toBeUndefined();
  });
});

describe('inheritance: virtual server → real server → checker', () => {
  const text = [
    'virtual_server 10.0.0.1 80 {',
    '  lb_algo rr', '  lb_kind DR', '  protocol TCP',
    '  delay_loop 10', '  connect_timeout 2.5', '  retry 4', '  delay_before_retry 0.5', '  warmup 0', '  alpha', '  inhibit_on_failure',
    '  weight 3', '  virtualhost vs.example',
    '  real_server 10.0.1.1 80 {',
    '    HTTP_GET {', '      url {', '        path /', '      }', '    }',
    '  }',
    '  real_server 10.0.1.2 80 {',
    '    weight 5', '    delay_loop 20', '    connect_timeout 3', '    retry 2', '    delay_before_retry 1.25', '    warmup 4', '    alpha no',
    '    inhibit_on_failure off', '    virtualhost rs.example',
    '    HTTP_GET {', '      url {', '        path /', '      }', '    }',
    '    HTTP_GET {', '      delay_loop 30', '      connect_timeout 6', '      retry 0', '      delay_before_retry 2', '      warmup 1', '      alpha yes',
    '      virtualhost ck.example', '      url {', '        path /', '        virtualhost url.example', '      }', '    }',
    '  }',
    '}',
  ].join('\n');

  test('each setting comes from the nearest level that writes it', async () => {
    const v = await first(text);
    const [a, b] = v.realServers;
    expect(a).toMatchObject({ weight: 3, inhibitOnFailure: true });
    expect(a!.checkers[0]).toMatchObject({ delayLoopMs: 10000, connectTimeoutMs: 2500, retry: 4, delayBeforeRetryMs: 500, warmupMs: 0, alpha: true, virtualhost: 'vs.example' });
    expect(b).toMatchObject({ weight: 5, inhibitOnFailure: false });
    expect(b!.checkers[0]).toMatchObject({ delayLoopMs: 20000, connectTimeoutMs: 3000, retry: 2, delayBeforeRetryMs: 1250, warmupMs: 4000, alpha: false, virtualhost: 'rs.example' });
    expect(b!.checkers[1]).toMatchObject({
      delayLoopMs: 30000, connectTimeoutMs: 6000, retry: 0, delayBeforeRetryMs: 2000, warmupMs: 1000, alpha: true, virtualhost: 'ck.example',
      urls: [{ path: '/', virtualhost: 'url.example' }],
    });
    expect(v).toMatchObject({ delayLoopMs: 10000, alpha: true, inhibitOnFailure: true, virtualhost: 'vs.example' });
  });

  test("a real server's forwarding is the virtual server's as written before it, else the final one", async () => {
    const v = await first('virtual_server 10.0.0.1 80 {\n  lb_algo rr\n  protocol TCP\n  real_server 10.0.1.1 80 {\n  }\n  lb_kind DR\n  real_server 10.0.1.2 80 {\n    lvs_method NAT\n  }\n}\n');
    expect(v.realServers.map((rs) => rs.forwarding.method)).toEqual(['DR', 'NAT']);
  });
});

describe('virtual server keywords', () => {
  test('scheduler, flags, persistence and the rest', async () => {
    const v = await first(vs([
      '  lvs_sched sh', '  sh-port', '  sh-fallback', '  flag-3', '  persistence_timeout', '  persistence_engine sip', '  persistence_granularity 255.255.255.0',
      '  quorum 1', '  hysteresis 0', '  quorum_up "/bin/q up"', '  quorum_down /bin/q', '  omega', '  ha_suspend', '  hashed',
    ].join('\n')));
    expect(v).toMatchObject({
      scheduler: 'sh', schedulerFlags: { shPort: true, shFallback: true, flag3: true }, persistenceTimeout: 360, persistenceEngine: 'sip',
      persistenceGranularity: '255.255.255.0', quorumUp: '/bin/q up', quorumDown: '/bin/q', omega: true, haSuspend: true,
    });
    const mh = await first(vs('  lb_algo mh\n  mh-port\n  mh-fallback\n  flag-1\n  flag-2\n  persistence_timeout 600'));
    expect(mh).toMatchObject({ schedulerFlags: { mhPort: true, mhFallback: true, flag1: true, flag2: true }, persistenceTimeout: 600 });
  });

  test('sh-port before lb_algo sh does nothing (keepalived checks the scheduler when it reads the flag)', async () => {
    const text = vs('  sh-port').replace('lb_algo rr', 'lb_algo sh');
    expect(await warnings(text.replace('  sh-port\n', '').replace('  lb_algo sh\n', '  sh-port\n  lb_algo sh\n'))).toEqual([
      `${MAIN}:2: warning: sh-port applies to the sh scheduler only (write it after 'lb_algo sh'): ignored`,
    ]);
  });

  test('protocols, ops only with UDP, a zero port only when persistent', async () => {
    expect((await first(vs('  ops').replace('protocol TCP', 'protocol udp'))).onePacketScheduling).toBe(true);
    expect((await first(vs('').replace('protocol TCP', 'protocol SCTP'))).protocol).toBe('SCTP');
    expect(await warnings(vs('  ops'))).toEqual([`${MAIN}:1: warning: virtual server 10.0.0.1:80: one packet scheduling (ops) requires UDP - cleared`]);
    const zero = await parse(vs('').replace('10.0.0.1 80', '10.0.0.1 0'));
    expect(zero.virtualServers[0]).toMatchObject({ target: { port: 0 }, persistenceTimeout: 360 });
    expect(zero.messages[0]!.text).toBe('virtual server 10.0.0.1:0: a zero port is only valid for persistent services - persistence_timeout set to 360');
  });

  test('forwarding methods and tunnels', async () => {
    const tun = await first(vs('').replace('lb_kind NAT', 'lb_kind TUN type gue port 6080 csum'));
    expect(tun.forwarding).toEqual({ method: 'TUN', tunnelType: 'gue', tunnelPort: 6080, tunnelChecksum: 'csum' });
    expect(tun.realServers[0]!.forwarding).toEqual(tun.forwarding);
    expect((await first(vs('').replace('lb_kind NAT', 'lvs_method TUN type gre nocsum'))).forwarding).toEqual({ method: 'TUN', tunnelType: 'gre', tunnelChecksum: 'nocsum' });
    expect((await first(vs('').replace('lb_kind NAT', 'lb_kind TUN'))).forwarding).toEqual({ method: 'TUN', tunnelType: 'ipip' });
    expect(await errors(vs('').replace('lb_kind NAT', 'lb_kind TUN type gue'))).toEqual([`${MAIN}:3: error: lb_kind: gue tunnels need 'port N', other tunnel types cannot have a port`]);
    expect(await errors(vs('').replace('lb_kind NAT', 'lb_kind TUN csum'))).toEqual([`${MAIN}:3: error: lb_kind: ipip tunnels have no checksum option`]);
    expect(await errors(vs('').replace('lb_kind NAT', 'lb_kind TUN type gre remcsum'))).toEqual([`${MAIN}:3: error: lb_kind: gre tunnels do not support remcsum`]);
    expect(await errors(vs('').replace('lb_kind NAT', 'lb_kind TUN type vxlan'))).toEqual([`${MAIN}:3: error: lb_kind: unknown tunnel type 'vxlan' (ipip, gue or gre)`]);
    expect(await errors(vs('').replace('lb_kind NAT', 'lb_kind DR csum'))).toEqual([`${MAIN}:3: error: lb_kind: tunnel options apply to TUN only`]);
    expect(await errors(vs('').replace('lb_kind NAT', 'lb_kind LOCAL'))).toEqual([`${MAIN}:3: error: lb_kind: unknown forwarding method 'LOCAL' (NAT, DR or TUN)`]);
  });

  test('sorry server: forwarding, inhibit, port rules', async () => {
    const v = await first(vs('  sorry_server 127.0.0.1 8080\n  sorry_server_inhibit\n  sorry_server_lvs_method NAT').replace('lb_kind NAT', 'lb_kind DR'));
    expect(v.sorryServer).toEqual({ at: { file: MAIN, line: 5 }, family: AddressFamily.IPv4, address: '127.0.0.1', port: 8080, forwarding: { method: 'NAT' }, inhibit: true });
    const dr = await parse(vs('  sorry_server 127.0.0.1 8080').replace('lb_kind NAT', 'lb_kind DR'));
    expect(dr.virtualServers[0]!.sorryServer).toMatchObject({ port: 80, forwarding: { method: 'DR' }, inhibit: false });
    expect(dr.messages.map((m) => m.text)).toEqual(['virtual server 10.0.0.1:80: sorry server port 8080 does not match - reset to 80']);
    expect(await errors(vs('  sorry_server_inhibit'))).toEqual([`${MAIN}:5: error: sorry_server_inhibit: no sorry_server before it`]);
    expect(await errors(vs('  sorry_server_lvs_method DR'))).toEqual([`${MAIN}:5: error: sorry_server_lvs_method: no sorry_server before it`]);
  });

  test('quorum above the total weight is reduced, hysteresis kept below the quorum (as keepalived does)', async () => {
    const config = await parse(vs('  quorum 5\n  hysteresis 5'));
    expect(config.virtualServers[0]).toMatchObject({ quorum: 1, hysteresis: 0 });
    expect(config.messages.map((m) => m.text)).toEqual([
      'virtual server 10.0.0.1:80: quorum 5 exceeds the total weight of its real servers 1 - reduced to 1',
      'virtual server 10.0.0.1:80: hysteresis 5 >= quorum 1 - set to 0',
    ]);
    expect(await first(vs('  quorum 3\n  hysteresis 1', 'weight 4'))).toMatchObject({ quorum: 3, hysteresis: 1 });
  });

  test('fwmark services: protocol ignored, ha_suspend cleared, the family from ip_family or the servers', async () => {
    const config = await parse('virtual_server fwmark 7 {\n  lb_algo rr\n  lb_kind NAT\n  ha_suspend\n  real_server 2001:db8::10 8080 {\n  }\n}\n');
    expect(config.virtualServers[0]).toMatchObject({ target: { kind: 'fwmark', family: AddressFamily.IPv6, mark: 7 }, haSuspend: false, protocol: 'TCP' });
    expect(config.virtualServers[0]!.realServers[0]).toMatchObject({ address: '2001:db8::10', port: 8080, family: AddressFamily.IPv6 });
    expect(config.messages.map((m) => m.text)).toEqual(['virtual server FWM 7: cannot use ha_suspend with fwmarks - cleared']);
    const tunnelled = await first('virtual_server fwmark 8 {\n  ip_family inet6\n  lb_algo rr\n  lb_kind TUN\n  real_server 10.0.1.1 {\n  }\n}\n');
    expect(tunnelled.target).toEqual({ kind: 'fwmark', family: AddressFamily.IPv6, mark: 8 });
    expect(tunnelled.realServers[0]).toMatchObject({ family: AddressFamily.IPv4, port: 0 });
  });

  test('a virtual server written without a port; fwmark and group need their value', async () => {
    const config = await parse(vs('').replace('10.0.0.1 80', '10.0.0.1'));
    expect(config.virtualServers[0]).toMatchObject({ target: { port: 0 }, persistenceTimeout: 360 });
    expect(await errors(vs('').replace('10.0.0.1 80', 'fwmark'))).toEqual([`${MAIN}:1: error: virtual_server fwmark: missing its mark`]);
  });

  test('persistence_granularity: an IPv6 prefix for IPv6 services; it makes the service persistent', async () => {
    const v = await first(vs('  persistence_granularity 64').replace('10.0.0.1 80', '2001:db8::1 80').replace('10.0.1.1 80', '2001:db8::10 80'));
    expect(v).toMatchObject({ persistenceGranularity: '64', persistenceTimeout: 360 });
    expect(await errors(vs('  persistence_granularity 129').replace('10.0.0.1 80', '2001:db8::1 80').replace('10.0.1.1 80', '2001:db8::10 80'))).toEqual([
      `${MAIN}:5: error: persistence_granularity: 129 is outside 1-128`,
    ]);
  });

  test('IPv6 addresses are written as inet_pton reads them and kept canonical', async () => {
    const v = await first(vs('').replace('10.0.0.1 80', '2001:DB8:0::1 443').replace('10.0.1.1 80', '2001:db8:0:0:0:0:0:10 443'));
    expect(v.target).toEqual({ kind: 'address', family: AddressFamily.IPv6, address: '2001:db8::1', port: 443 });
    expect(v.realServers[0]!.address).toBe('2001:db8::10');
  });
});

describe('real servers', () => {
  test('every keyword', async () => {
    const rs = (await first(vs('', [
      'weight 0', 'lvs_method DR', 'uthreshold 100', 'lthreshold 10', 'inhibit_on_failure', 'notify_up "/bin/n up"', "notify_down '/bin/n down'",
    ].join('\n    ')))).realServers[0]!;
    expect(rs).toMatchObject({ weight: 0, forwarding: { method: 'DR' }, upperThreshold: 100, lowerThreshold: 10, inhibitOnFailure: true, notifyUp: '/bin/n up' });
    // scripts are read with keepalived's quoting rules, where single quotes count too
    expect(rs.notifyDown).toBe('/bin/n down');
  });

  test('port rules: NAT takes the virtual port when none is written; DR resets another port', async () => {
    const nat = await first(vs('').replace('real_server 10.0.1.1 80', 'real_server 10.0.1.1'));
    expect(nat.realServers[0]!.port).toBe(80);
    const natOther = await first(vs('').replace('real_server 10.0.1.1 80', 'real_server 10.0.1.1 8080'));
    expect(natOther.realServers[0]!.port).toBe(8080);
    const dr = await parse(vs('').replace('lb_kind NAT', 'lb_kind DR').replace('real_server 10.0.1.1 80', 'real_server 10.0.1.1 8080'));
    expect(dr.virtualServers[0]!.realServers[0]!.port).toBe(80);
    expect(dr.messages.map((m) => `${m.at.line}: ${m.text}`)).toEqual(['6: virtual server 10.0.0.1:80: real server 10.0.1.1:8080 port 8080 does not match - reset to 80']);
  });

  test('a checker of a real server written without a port needs connect_port (keepalived would connect to port 0)', async () => {
    const text = vs('', 'TCP_CHECK {\n    }').replace('real_server 10.0.1.1 80', 'real_server 10.0.1.1');
    expect(await errors(text)).toEqual([`${MAIN}:7: error: TCP_CHECK: real server 10.0.1.1 has no port and the checker no connect_port: there is nothing to connect to`]);
    const fixed = await first(text.replace('TCP_CHECK {', 'TCP_CHECK {\n      connect_port 8080'));
    expect(fixed.realServers[0]!.checkers[0]).toMatchObject({ connectPort: 8080 });
  });

  test('a user on a notify script is not supported (warned)', async () => {
    expect(await warnings(vs('', 'notify_up /bin/n root'))).toEqual([
      `${MAIN}:7: warning: notify_up: the user 'root' is not supported: the script runs as tsipvs keepalived's user`,
    ]);
  });
});

describe('checkers', () => {
  test('connection keywords', async () => {
    const check = (await first(vs('', 'TCP_CHECK {\n      connect_ip 10.0.2.1\n      connect_port 8443\n      bindto 10.0.0.2\n      bind_port 5000\n      connect_timeout 0.25\n    }'))).realServers[0]!.checkers[0] as TcpCheck;
    expect(check).toMatchObject({ connectIp: '10.0.2.1', connectPort: 8443, bindTo: '10.0.0.2', bindPort: 5000, connectTimeoutMs: 250 });
  });

  test('HTTP_GET: several urls, status codes and ranges, digest, virtualhost, http_protocol; SSL_GET enable_sni', async () => {
    const checkers = (await first(vs('', [
      'HTTP_GET {', '  virtualhost www.example.com', '  http_protocol 1.1', '  retry 2',
      '  url {', '    path /health', '    status_code 200 204 300-302', '    digest 9B3A0C85A887A256D6939DA88AABD8CD', '  }',
      '  url {', '    path "/a b"', '  }', '}',
      'SSL_GET {', '  enable_sni', '  http_protocol 1.0c', '  url {', '    path /', '  }', '}',
    ].join('\n    ')))).realServers[0]!.checkers as HttpCheck[];
    expect(checkers[0]).toMatchObject({
      kind: 'HTTP_GET', virtualhost: 'www.example.com', httpProtocol: '1.1', retry: 2,
      urls: [{ path: '/health', statusCodes: [200, 204, 300, 301, 302], digest: '9b3a0c85a887a256d6939da88aabd8cd' }, { path: '/a b', statusCodes: [] }],
    });
    expect(checkers[1]).toMatchObject({ kind: 'SSL_GET', enableSni: true, httpProtocol: '1.0C' });
  });

  test('MISC_CHECK: misc_path, misc_timeout, misc_dynamic, user', async () => {
    const check = (await first(vs('', 'MISC_CHECK {\n      misc_path "/usr/bin/check.sh 10.0.1.1"\n      misc_timeout 5\n      misc_dynamic\n      user nobody nogroup\n    }'))).realServers[0]!.checkers[0] as MiscCheck;
    expect(check).toMatchObject({ kind: 'MISC_CHECK', path: '/usr/bin/check.sh 10.0.1.1', args: ['/usr/bin/check.sh', '10.0.1.1'], timeoutMs: 5000, dynamic: true, user: 'nobody', group: 'nogroup' });
  });

  test('nb_get_retry still works, with keepalived\'s deprecation warning', async () => {
    const config = await parse(vs('', 'HTTP_GET {\n      nb_get_retry 5\n      url {\n        path /\n      }\n    }'));
    expect((config.virtualServers[0]!.realServers[0]!.checkers[0] as HttpCheck).retry).toBe(5);
    expect(config.messages.map((m) => `${m.at.line}: ${m.text}`)).toEqual(["8: nb_get_retry is deprecated - use 'retry' (as keepalived says)"]);
  });

  test('what keepalived drops or tsipvs does not run is an error', async () => {
    const bad = (body: string) => errors(vs('', body));
    expect(await bad('HTTP_GET {\n    }')).toEqual([`${MAIN}:7: error: HTTP_GET: no url { path ... } given (keepalived would drop this checker)`]);
    expect(await bad('HTTP_GET {\n      url {\n        status_code 200\n      }\n    }')).toEqual([`${MAIN}:8: error: url: no path given (keepalived would drop this url)`]);
    expect(await bad('MISC_CHECK {\n      misc_timeout 3\n    }')).toEqual([`${MAIN}:7: error: MISC_CHECK: no misc_path given (keepalived would drop this checker)`]);
    expect(await bad('PING_CHECK {\n    }')).toEqual([`${MAIN}:7: error: PING_CHECK is not supported by tsipvs keepalived (TCP_CHECK, HTTP_GET, SSL_GET and MISC_CHECK are)`]);
    expect(await bad('HTTP_GET {\n      url {\n        path /\n        status_code 99 200-199 abc\n        digest 123\n        regex ok\n      }\n    }')).toEqual([
      `${MAIN}:10: error: status_code: '99' is not a status code or range within 100-599`,
      `${MAIN}:10: error: status_code: '200-199' is not a status code or range within 100-599`,
      `${MAIN}:10: error: status_code: 'abc' is not a status code or range within 100-599`,
      `${MAIN}:11: error: digest: '123' is not an MD5 digest (32 hexadecimal digits)`,
      `${MAIN}:12: error: regex: body regular expressions are not supported by tsipvs keepalived`,
    ]);
    expect(await bad('TCP_CHECK {\n      connect_ip 2001:db8::1\n      bindto 10.0.0.1\n    }')).toEqual([`${MAIN}:7: error: TCP_CHECK: connect_ip and bindto are of different address families`]);
  });

  test('supported-elsewhere keywords are warned about, not silently dropped', async () => {
    expect(await warnings(vs('', 'TCP_CHECK {\n      bind_if eth0\n      fwmark 3\n      log_all_failures\n    }\n    smtp_alert\n    snmp_name web1'))).toEqual([
      `${MAIN}:8: warning: bind_if is not supported by tsipvs keepalived: ignored`,
      `${MAIN}:9: warning: fwmark (marking check packets) is not supported by tsipvs keepalived: ignored`,
      `${MAIN}:10: note: log_all_failures: every failure is reported anyway (status, -D): ignored`,
      `${MAIN}:12: note: smtp_alert: e-mail alerts are not sent by tsipvs keepalived: ignored`,
      `${MAIN}:13: note: snmp_name: there is no SNMP agent: ignored`,
    ]);
  });
});

describe('virtual_server_group', () => {
  const group = [
    'virtual_server_group web {',
    '  10.0.0.1-3 80',
    '  10.0.0.8/30 443',
    '  10.0.0.254-10.0.1.1 8080',
    '  fwmark 7',
    '  fwmark 8 inet6',
    '}',
    'virtual_server group web {',
    '  lb_algo rr', '  lb_kind NAT', '  protocol TCP',
    '  real_server 10.0.1.1 80 {',
    '  }',
    '}',
  ].join('\n');

  test('ranges, masks and marks become members; a mark without family takes its servers\'', async () => {
    const config = await parse(group);
    expect(config.virtualServers[0]!.target).toEqual({ kind: 'group', name: 'web' });
    const members = config.groups.get('web')!.members;
    expect(members.map((m) => (m.kind === 'fwmark' ? `fwmark ${m.mark} ${m.family}` : `${m.address} ${m.port}`))).toEqual([
      '10.0.0.1 80', '10.0.0.2 80', '10.0.0.3 80',
      '10.0.0.8 443', '10.0.0.9 443', '10.0.0.10 443', '10.0.0.11 443',
      '10.0.0.254 8080', '10.0.0.255 8080', '10.0.1.0 8080', '10.0.1.1 8080',
      `fwmark 7 ${AddressFamily.IPv4}`, `fwmark 8 ${AddressFamily.IPv6}`,
    ]);
    const v6 = await parse('virtual_server_group v6 {\n  2001:db8::1-3 80\n}\nvirtual_server group v6 {\n  lb_algo rr\n  protocol TCP\n  lb_kind NAT\n  real_server 2001:db8::10 80 {\n  }\n}\n');
    expect(v6.groups.get('v6')!.members.map((m) => m.kind === 'address' && m.address)).toEqual(['2001:db8::1', '2001:db8::2', '2001:db8::3']);
  });

  test('errors: undefined or twice-defined groups, bad ranges', async () => {
    expect(await errors(group.replace('virtual_server group web', 'virtual_server group nope'))).toEqual([
      `${MAIN}:8: error: virtual_server group nope: no virtual_server_group of that name`,
    ]);
    expect(await errors(`${group}\nvirtual_server_group web {\n  10.0.0.9 80\n}\n`)).toEqual([`${MAIN}:15: error: virtual_server_group web is defined twice (first at ${MAIN}:1)`]);
    expect(await errors(group.replace('10.0.0.1-3 80', '10.0.0.5-3 80'))).toEqual([`${MAIN}:2: error: virtual_server_group web: the range end of '10.0.0.5-3' is not above its start`]);
    expect(await errors(group.replace('10.0.0.8/30', '10.0.0.9/30'))).toEqual([`${MAIN}:3: error: virtual_server_group web: '10.0.0.9/30' has address bits set below the mask`]);
    expect(await errors(group.replace('10.0.0.1-3 80', '10.0.0.0/8 80'))).toEqual([`${MAIN}:2: error: virtual_server_group web: '10.0.0.0/8' holds more than 65536 addresses`]);
    expect(await errors(group.replace('fwmark 8 inet6', 'fwmark 8 ipx'))).toEqual([`${MAIN}:6: error: virtual_server_group web: unknown family 'ipx' (inet or inet6)`]);
  });
});

describe('errors name the file and line; everything is reported at once', () => {
  test('bad values', async () => {
    const text = [
      'virtual_server 10.0.0.300 80 {', '}',
      'virtual_server 10.0.0.1 99999 {', '}',
      'virtual_server fwmark x {', '}',
      'virtual_server 10.0.0.2 80 {',
      '  lb_algo rrr', '  protocol ICMP', '  delay_loop -1', '  delay_loop 0', '  quorum 0', '  persistence_timeout 0',
      '  persistence_granularity 300.0.0.0', '  ip_family inet7', '  alpha 1',
      '  real_server 10.0.1.1 80 {', '    weight -1', '    weight x', '    inhibit_on_failure maybe', '    uthreshold 1.5', '  }',
      '  real_server 10.0.1.1 80 {', '  }',
      '  real_server 2001:db8::1 80 {', '  }',
      '  real_server 10.0.1.2 80', '}',
      'virtual_server 10.0.0.2 80 {', '  real_server 10.0.1.1 80 {', '  }', '}',
    ].join('\n');
    expect(await errors(text)).toEqual([
      `${MAIN}:1: error: virtual_server: invalid address '10.0.0.300'`,
      `${MAIN}:3: error: virtual_server port: 99999 is outside 1-65535`,
      `${MAIN}:5: error: virtual_server fwmark: invalid number 'x'`,
      `${MAIN}:8: error: lb_algo: unknown scheduler 'rrr' (rr, wrr, lc, wlc, lblc, sh, mh, dh, fo, ovf, lblcr, sed, nq, twos)`,
      `${MAIN}:9: error: protocol: unknown protocol 'ICMP' (TCP, UDP or SCTP)`,
      `${MAIN}:10: error: delay_loop: invalid time '-1' (seconds, e.g. 3 or 1.5)`,
      `${MAIN}:11: error: delay_loop: must be more than 0 (got 0)`,
      `${MAIN}:12: error: quorum: 0 is outside 1-4294967295`,
      `${MAIN}:13: error: persistence_timeout: 0 is outside 1-2678400`,
      `${MAIN}:14: error: persistence_granularity: invalid IPv4 netmask '300.0.0.0'`,
      `${MAIN}:15: error: ip_family: unknown family 'inet7' (inet or inet6)`,
      `${MAIN}:18: error: weight: invalid number '-1'`,
      `${MAIN}:19: error: weight: invalid number 'x'`,
      `${MAIN}:20: error: inhibit_on_failure: 'maybe' is not one of on|off|true|false|yes|no`,
      `${MAIN}:21: error: uthreshold: invalid number '1.5'`,
      `${MAIN}:25: error: real_server: its address family differs from the virtual server's (only TUN servers may differ)`,
      `${MAIN}:27: error: 'real_server' needs a block: real_server ... { ... }`,
    ]);
  });

  test('duplicates keepalived rejects: a real server twice in a virtual server, a virtual server twice', async () => {
    const twice = vs('', 'weight 1\n  }\n  real_server 10.0.1.1 80 {');
    expect(await errors(twice)).toEqual([`${MAIN}:9: error: real server 10.0.1.1:80 is listed twice in 10.0.0.1:80 (first at ${MAIN}:6)`]);
    expect(await errors(`${vs('')}${vs('')}`)).toEqual([`${MAIN}:10: error: virtual server 10.0.0.1:80 is defined twice (first at ${MAIN}:1)`]);
    // another protocol on the same address and port is another service
    expect((await parse(`${vs('')}${vs('').replace('protocol TCP', 'protocol UDP')}`)).virtualServers).toHaveLength(2);
  });

  test("'alpha 1' at the virtual server is a stray word (keepalived's alpha there takes no value)", async () => {
    expect(await warnings(vs('  alpha 1'))).toEqual([`${MAIN}:5: warning: alpha: extra words ignored: 1`]);
  });

  test('unknown keywords are warnings with their line, and their blocks are skipped', async () => {
    const messages = await warnings(vs('  frobnicate 3\n  mystery_block {\n    lb_algo xx\n  }'));
    expect(messages).toEqual([
      `${MAIN}:5: warning: unknown keyword 'frobnicate' in virtual_server`,
      `${MAIN}:6: warning: unknown keyword 'mystery_block' in virtual_server (its block is skipped)`,
    ]);
  });

  test('a virtual server without real servers is dropped with a warning, as keepalived does', async () => {
    const config = await parse('virtual_server 10.0.0.1 80 {\n  lb_algo rr\n}\n');
    expect(config.virtualServers).toEqual([]);
    expect(config.messages.map((m) => m.text)).toContain('virtual server 10.0.0.1:80 has no real servers - ignored (as keepalived does)');
  });

  test('global_defs, vrrp_* blocks are read (VRRP half); blocks we do not support are warned about or noted once each', async () => {
    const messages = await warnings(`global_defs {\n  router_id x\n  smtp_server 10.0.0.9\n}\nvrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    10.0.0.1/24\n  }\n}\nvrrp_sync_group G {\n  group {\n    VI\n  }\n}\nstatic_ipaddress {\n  1.2.3.4/32 dev lo\n}\nSSL {\n  ca /x\n}\nlinkbeat_use_polling\n${vs('')}`);
    expect(messages).toEqual([
      `${MAIN}:1: note: global_defs: smtp_server: not used by tsipvs keepalived: ignored`,
      `${MAIN}:17: warning: static_ipaddress: not supported by tsipvs keepalived: ignored`,
      `${MAIN}:20: note: SSL: not used: SSL_GET checks connect without a client certificate`,
      `${MAIN}:23: note: linkbeat_use_polling: not used by tsipvs keepalived: ignored`,
      `${MAIN}:12: warning: Sync group G has only one member: it behaves as the instance alone`,
    ]);
  });

  test('the ConfigError message holds the errors only, one per line', async () => {
    const lines = await failure(vs('').replace('lb_algo rr', 'lb_algo x\n  bogus'));
    expect(lines).toEqual([
      `${MAIN}:2: error: lb_algo: unknown scheduler 'x' (rr, wrr, lc, wlc, lblc, sh, mh, dh, fo, ovf, lblcr, sed, nq, twos)`,
      `${MAIN}:3: warning: unknown keyword 'bogus' in virtual_server`,
    ]);
  });
});
