/**
 * The VRRP half of keepalived.conf (global_defs, vrrp_instance, vrrp_script, vrrp_sync_group,
 * lvs_sync_daemon) as keepalived 2.2.7 reads it: the operator's MASTER and BACKUP files, issue 18's
 * example, every default, keepalived's corrections (warnings) and what we refuse (errors, with file:line).
 */
import * as path from 'node:path';
import { loadKeepalivedConfig, checkKeepalivedConfig } from '../src/config/load';
import { formatConfigMessage } from '../src/config/errors';
import { VRRP_DEFAULTS, type VrrpInstanceConfig } from '../src/config/vrrp-model';
import { memoryFileSystem } from '../src/config/reader';
import { FIXTURES, MAIN, errors, parse, rootedFileSystem, warnings } from './config-support';

const CONF_D = '/etc/keepalived/conf.d';
const load = (variant: string) => loadKeepalivedConfig(MAIN, rootedFileSystem(path.join(FIXTURES, 'operator', variant)));

/** A minimal valid instance with `inner` added. */
const instance = (inner = '', name = 'VI_1', vrid = 50) =>
  `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n  virtual_ipaddress {\n    10.0.0.100/24\n  }\n${inner}\n}\n`;
const only = async (text: string): Promise<VrrpInstanceConfig> => (await parse(text)).vrrp.instances[0]!;

describe("the operator's files", () => {
  const common = {
    name: 'VI_1', interface: 'eth0', virtualRouterId: 50, advertIntMs: 1000, version: 2, preempt: true, preemptDelayMs: 0,
    auth: { type: 'pass', password: '1111' }, excludedAddresses: [], unicastPeers: [], mcastGroup: '233.6.6.6',
    trackInterfaces: [], trackScripts: [], skipCheckAdvAddr: true, lowerPriorityNoAdvert: false,
    garpMasterDelayMs: 5000, garpMasterRepeat: 5, garpMasterRefreshMs: 0, garpMasterRefreshRepeat: 1,
    garpLowerPrioDelayMs: 5000, garpLowerPrioRepeat: 5, dontTrackPrimary: false,
  };

  test('MASTER: VI_1, priority 100; its notify lines follow the closing brace, so they are unknown top-level keywords', async () => {
    const config = await load('master');
    expect(config.vrrp.routerId).toBe('node1.qinglin.com');
    expect(config.vrrp.instances).toEqual([{
      ...common, at: { file: `${CONF_D}/vip_nginx.conf`, line: 1 }, wantMaster: true, priority: 100,
      addresses: [{ at: { file: `${CONF_D}/vip_nginx.conf`, line: 12 }, address: '10.0.0.100', prefixLength: 24, dev: 'eth0', label: 'eth0:1' }],
      notify: {},
    }]);
    expect(config.vrrp.scripts.size).toBe(0);
    expect(config.vrrp.syncGroups).toEqual([]);
    expect(config.vrrp.lvsSyncDaemon).toBeUndefined();
    expect(config.messages.map(formatConfigMessage).filter((m) => m.includes('vip_nginx'))).toEqual([
      `${CONF_D}/vip_nginx.conf:15: warning: unknown keyword 'notify_master' in top level`,
      `${CONF_D}/vip_nginx.conf:16: warning: unknown keyword 'notify_backup' in top level`,
      `${CONF_D}/vip_nginx.conf:17: warning: unknown keyword 'notify_fault' in top level`,
    ]);
  });

  test("BACKUP: 'state BAKCUP' is BACKUP with keepalived's warning; priority 80; the notify lines are the instance's", async () => {
    const config = await load('backup');
    expect(config.vrrp.routerId).toBe('node2.qinglin.com');
    expect(config.vrrp.instances).toEqual([{
      ...common, at: { file: `${CONF_D}/vip_nginx.conf`, line: 1 }, wantMaster: false, priority: 80,
      addresses: [{ at: { file: `${CONF_D}/vip_nginx.conf`, line: 12 }, address: '10.0.0.100', prefixLength: 24, dev: 'eth0', label: 'eth0:1' }],
      notify: { master: '/etc/keepalived/notify.sh master', backup: '/etc/keepalived/notify.sh backup', fault: '/etc/keepalived/notify.sh fault' },
    }]);
    expect(config.messages.map(formatConfigMessage).filter((m) => m.includes('vip_nginx'))).toEqual([
      `${CONF_D}/vip_nginx.conf:2: warning: (VI_1) unknown state 'BAKCUP', defaulting to BACKUP (as keepalived does)`,
    ]);
  });

  test('-t covers the VRRP half: a broken instance fails with its line', async () => {
    const good = await checkKeepalivedConfig(MAIN, rootedFileSystem(path.join(FIXTURES, 'operator', 'backup')));
    expect(good.ok).toBe(true);
    expect(good.lines).toContain(`${CONF_D}/vip_nginx.conf:2: warning: (VI_1) unknown state 'BAKCUP', defaulting to BACKUP (as keepalived does)`);
    const bad = await checkKeepalivedConfig(MAIN, memoryFileSystem({ [MAIN]: instance('  priority 300') }));
    expect(bad).toEqual({ ok: false, lines: [`${MAIN}:7: error: priority: 300 is outside 1-255`] });
  });
});

describe("issue 18's example", () => {
  const text = `global_defs {
    router_id node1
    vrrp_skip_check_adv_addr
    vrrp_mcast_group4 233.6.6.6
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 50
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        10.0.0.100/24 dev eth0 label eth0:1
    }
    track_script {
        check_nginx
    }
    notify_master "/etc/keepalived/notify.sh master"
    notify_backup "/etc/keepalived/notify.sh backup"
    notify_fault "/etc/keepalived/notify.sh fault"
}
vrrp_script check_nginx {
    script "/etc/keepalived/check_nginx.sh"
    interval 1
    weight -30
    fall 3
    rise 5
    timeout 2
}
`;
  test('the script, the tracking and the instance, with no message', async () => {
    const config = await parse(text);
    expect(config.messages).toEqual([]);
    expect([...config.vrrp.scripts.values()]).toEqual([{
      at: { file: MAIN, line: 26 }, name: 'check_nginx', script: '/etc/keepalived/check_nginx.sh', intervalMs: 1000, timeoutMs: 2000,
      weight: -30, rise: 5, fall: 3, initFail: false,
    }]);
    const vi = config.vrrp.instances[0]!;
    expect(vi).toMatchObject({ name: 'VI_1', wantMaster: true, priority: 100, mcastGroup: '233.6.6.6', skipCheckAdvAddr: true, trackScripts: [{ name: 'check_nginx' }] });
    expect(vi.notify.master).toBe('/etc/keepalived/notify.sh master');
    expect(config.vrrp.routerId).toBe('node1');
  });
});

describe('defaults (keepalived 2.2.7)', () => {
  test('a bare instance: BACKUP at 100, 1 s adverts, version 2, preempt, no auth, 224.0.0.18, 5 GARPs after 5 s, no refresh', async () => {
    const config = await parse(instance());
    expect(config.messages).toEqual([]);
    expect(config.virtualServers).toEqual([]);
    const vi = config.vrrp.instances[0]!;
    expect(vi).toEqual({
      at: { file: MAIN, line: 1 }, name: 'VI_1', wantMaster: false, interface: 'eth0', virtualRouterId: 50,
      priority: VRRP_DEFAULTS.priority, advertIntMs: VRRP_DEFAULTS.advertIntMs, version: 2, preempt: true, preemptDelayMs: 0, auth: { type: 'none' },
      addresses: [{ at: { file: MAIN, line: 5 }, address: '10.0.0.100', prefixLength: 24 }], excludedAddresses: [], unicastPeers: [],
      mcastGroup: '224.0.0.18', trackInterfaces: [], trackScripts: [], notify: {},
      garpMasterDelayMs: 5000, garpMasterRepeat: 5, garpMasterRefreshMs: 0, garpMasterRefreshRepeat: 1, skipCheckAdvAddr: false, lowerPriorityNoAdvert: false,
      garpLowerPrioDelayMs: 5000, garpLowerPrioRepeat: 5, dontTrackPrimary: false,
    });
    expect(config.vrrp.routerId).toBeUndefined();
  });

  test('no VRRP blocks: empty lists', async () => {
    const config = await parse('virtual_server 10.0.0.1 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server 10.0.1.1 80 {\n  }\n}\n');
    expect(config.vrrp).toEqual({ instances: [], scripts: new Map(), syncGroups: [] });
  });

  test("state MASTER without priority is the address owner (255); priority 255 without state starts as MASTER", async () => {
    expect(await only(instance('  state MASTER'))).toMatchObject({ wantMaster: true, priority: 255 });
    expect(await only(instance('  priority 255'))).toMatchObject({ wantMaster: true, priority: 255 });
    expect(await only(instance('  priority 254'))).toMatchObject({ wantMaster: false, priority: 254 });
  });

  test('global_defs settings are the instances\' defaults; the instance overrides them', async () => {
    const globals = 'global_defs {\n  vrrp_version 3\n  vrrp_garp_master_delay 2\n  vrrp_garp_master_repeat 3\n  vrrp_garp_master_refresh 60\n  vrrp_garp_master_refresh_repeat 2\n  vrrp_lower_prio_no_advert\n  vrrp_skip_check_adv_addr\n}\n';
    const config = await parse(globals + instance('', 'A', 1) + instance('  version 2\n  garp_master_delay 1\n  garp_master_repeat 9\n  garp_master_refresh 0\n  lower_prio_no_advert false\n  skip_check_adv_addr off\n  garp_lower_prio_delay 4\n  garp_lower_prio_repeat 0', 'B', 2));
    const [a, b] = config.vrrp.instances;
    expect(a).toMatchObject({ version: 3, garpMasterDelayMs: 2000, garpMasterRepeat: 3, garpMasterRefreshMs: 60000, garpMasterRefreshRepeat: 2, lowerPriorityNoAdvert: true, skipCheckAdvAddr: true, garpLowerPrioDelayMs: 2000, garpLowerPrioRepeat: 3 });
    expect(b).toMatchObject({ version: 2, garpMasterDelayMs: 1000, garpMasterRepeat: 9, garpMasterRefreshMs: 0, garpMasterRefreshRepeat: 2, lowerPriorityNoAdvert: false, skipCheckAdvAddr: false, garpLowerPrioDelayMs: 4000, garpLowerPrioRepeat: 0 });
  });

  test('vrrp_script defaults: every second, timeout = interval (0), weight 0, rise 1, fall 1; user and init_fail', async () => {
    const config = await parse(`vrrp_script s {\n  script "/bin/check arg 'x y'" \n}\nvrrp_script t {\n  script /bin/t nobody\n  init_fail\n}\n${instance('  track_script {\n    s weight 10\n    t\n  }')}`);
    expect(config.vrrp.scripts.get('s')).toEqual({ at: { file: MAIN, line: 1 }, name: 's', script: "/bin/check arg 'x y'", intervalMs: 1000, timeoutMs: 0, weight: 0, rise: 1, fall: 1, initFail: false });
    expect(config.vrrp.scripts.get('t')).toMatchObject({ script: '/bin/t', user: 'nobody', initFail: true });
    expect(config.vrrp.instances[0]!.trackScripts).toEqual([{ name: 's', weight: 10 }, { name: 't' }]);
  });
});

describe('keywords', () => {
  test('virtual_ipaddress: prefix (default /32), brd, dev, scope, label; virtual_ipaddress_excluded', async () => {
    const vi = await only(`vrrp_instance V {\n  interface eth0\n  virtual_router_id 9\n  virtual_ipaddress {\n    10.0.0.1\n    10.0.0.2/16 brd 10.0.255.255 dev eth1 scope link label eth1:vip\n  }\n  virtual_ipaddress_excluded {\n    192.168.1.1/24 dev eth2\n  }\n}\n`);
    expect(vi.addresses).toEqual([
      { at: { file: MAIN, line: 5 }, address: '10.0.0.1', prefixLength: 32 },
      { at: { file: MAIN, line: 6 }, address: '10.0.0.2', prefixLength: 16, broadcast: '10.0.255.255', dev: 'eth1', scope: 'link', label: 'eth1:vip' },
    ]);
    expect(vi.excludedAddresses).toEqual([{ at: { file: MAIN, line: 9 }, address: '192.168.1.1', prefixLength: 24, dev: 'eth2' }]);
  });

  test('unicast_src_ip and unicast_peer; mcast_dst_ip; track_interface with weights; preempt_delay; nopreempt; dont_track_primary', async () => {
    const vi = await only(instance('  unicast_src_ip 192.168.0.1\n  unicast_peer {\n    192.168.0.2\n    192.168.0.3\n  }\n  track_interface {\n    eth1\n    eth2 weight -20\n  }\n  preempt_delay 2.5\n  dont_track_primary'));
    expect(vi).toMatchObject({
      unicastSource: '192.168.0.1', unicastPeers: ['192.168.0.2', '192.168.0.3'], preemptDelayMs: 2500, preempt: true, dontTrackPrimary: true,
      trackInterfaces: [{ name: 'eth1', weight: 0 }, { name: 'eth2', weight: -20 }],
    });
    expect(await only(instance('  mcast_dst_ip 224.0.0.99\n  mcast_src_ip 10.0.0.5\n  nopreempt'))).toMatchObject({ mcastGroup: '224.0.0.99', unicastSource: '10.0.0.5', unicastPeers: [], preempt: false });
  });

  test('notify, notify_stop and the others are command lines: a quoted word is the program with its arguments (keepalived splits it)', async () => {
    const vi = await only(instance('  notify /etc/keepalived/n.sh\n  notify_stop "/bin/stop now"\n  notify_master /bin/m'));
    expect(vi.notify).toEqual({ any: '/etc/keepalived/n.sh', stop: '/bin/stop now', master: '/bin/m' });
  });

  test('vrrp_sync_group: members and notify lines', async () => {
    const config = await parse(`${instance('', 'A', 1)}${instance('', 'B', 2)}vrrp_sync_group G {\n  group {\n    A\n    B\n  }\n  notify_master "/bin/g master"\n  notify /bin/any\n}\n`);
    expect(config.vrrp.syncGroups).toEqual([{ at: { file: MAIN, line: 17 }, name: 'G', instances: ['A', 'B'], notify: { master: '/bin/g master', any: '/bin/any' } }]);
    expect(config.messages).toEqual([]);
  });

  test('lvs_sync_daemon IFACE INSTANCE [id N]: the sync id defaults to the VRID; the old positional form; inst/id options', async () => {
    const gd = (line: string) => `global_defs {\n  ${line}\n}\n${instance('', 'VI_1', 50)}`;
    expect((await parse(gd('lvs_sync_daemon eth1 VI_1'))).vrrp.lvsSyncDaemon).toEqual({ interface: 'eth1', instance: 'VI_1', syncId: 50 });
    expect((await parse(gd('lvs_sync_daemon eth1 VI_1 7'))).vrrp.lvsSyncDaemon).toEqual({ interface: 'eth1', instance: 'VI_1', syncId: 7 });
    expect((await parse(gd('lvs_sync_daemon eth1 inst VI_1 id 9'))).vrrp.lvsSyncDaemon).toEqual({ interface: 'eth1', instance: 'VI_1', syncId: 9 });
    expect((await parse(gd('lvs_sync_daemon eth1'))).vrrp.lvsSyncDaemon).toEqual({ interface: 'eth1', syncId: 0 });
  });

  test('lvs_sync_daemon_interface inside vrrp_instance: deprecated (warning), the instance is this one', async () => {
    const config = await parse(instance('  lvs_sync_daemon_interface eth1'));
    expect(config.vrrp.lvsSyncDaemon).toEqual({ interface: 'eth1', instance: 'VI_1', syncId: 50 });
    expect(config.messages.map(formatConfigMessage)).toEqual([
      `${MAIN}:7: warning: (VI_1) Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global lvs_sync_daemon (as keepalived says)`,
    ]);
  });
});

describe("keepalived's corrections are warnings", () => {
  test('auth_pass longer than 8 characters is truncated; version 3 drops authentication; AUTH without a password is none', async () => {
    const long = await parse(instance('  authentication {\n    auth_type PASS\n    auth_pass 123456789abc\n  }'));
    expect(long.vrrp.instances[0]!.auth).toEqual({ type: 'pass', password: '12345678' });
    expect(long.messages.map(formatConfigMessage)).toEqual([`${MAIN}:9: warning: (VI_1) Truncating auth_pass to 8 characters (as keepalived does)`]);
    const v3 = await parse(instance('  version 3\n  authentication {\n    auth_type PASS\n    auth_pass x\n  }'));
    expect(v3.vrrp.instances[0]!.auth).toEqual({ type: 'none' });
    expect(v3.messages.map(formatConfigMessage)).toEqual([`${MAIN}:1: warning: (VI_1) VRRP version 3 does not support authentication. Ignoring. (as keepalived does)`]);
    const nopass = await parse(instance('  authentication {\n    auth_type PASS\n  }'));
    expect(nopass.vrrp.instances[0]!.auth).toEqual({ type: 'none' });
    expect(nopass.messages.map((m) => m.text)).toEqual(['(VI_1) Authentication specified but no password given. Ignoring (as keepalived does)']);
  });

  test('state MASTER clears nopreempt and preempt_delay; priority 255 clears nopreempt; BACKUP after MASTER is ignored', async () => {
    const config = await parse(instance('  state MASTER\n  state BACKUP\n  priority 200\n  nopreempt\n  preempt_delay 5'));
    expect(config.vrrp.instances[0]).toMatchObject({ wantMaster: true, preempt: true, preemptDelayMs: 0 });
    expect(config.messages.map(formatConfigMessage)).toEqual([
      `${MAIN}:8: warning: (VI_1) state previously set as MASTER - ignoring BACKUP (as keepalived does)`,
      `${MAIN}:1: warning: (VI_1) Warning - nopreempt will not work with initial state MASTER - clearing (as keepalived does)`,
      `${MAIN}:1: warning: (VI_1) Warning - preempt delay will not work with initial state MASTER - clearing (as keepalived does)`,
    ]);
    expect((await warnings(instance('  priority 255\n  nopreempt')))[0]).toBe(`${MAIN}:1: warning: (VI_1) nopreempt is incompatible with priority 255. resetting nopreempt (as keepalived does)`);
    expect(await only(instance('  nopreempt\n  preempt_delay 5'))).toMatchObject({ preempt: false, preemptDelayMs: 0 });
  });

  test('advert_int: version 2 rounds to whole seconds, version 3 to centiseconds; too long is cut', async () => {
    expect(await only(instance('  advert_int 1.4'))).toMatchObject({ advertIntMs: 1000 });
    expect(await warnings(instance('  advert_int 1.6'))).toEqual([`${MAIN}:1: warning: (VI_1) VRRPv2 advertisement interval 1.6s must be an integer - rounding to 2s (as keepalived does)`]);
    expect(await only(instance('  version 3\n  advert_int 0.255'))).toMatchObject({ advertIntMs: 260 });
    expect(await only(instance('  version 3\n  advert_int 0.25'))).toMatchObject({ advertIntMs: 250 });
    expect(await only(instance('  version 3\n  advert_int 41'))).toMatchObject({ advertIntMs: 40950 });
  });

  test('a unicast keyword without peers is multicast; no VIP with version 2 is a warning; track weight 254 is 253', async () => {
    expect(await warnings(instance('  unicast_src_ip 10.0.0.5'))).toEqual([`${MAIN}:1: warning: (VI_1) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. (as keepalived does)`]);
    expect(await warnings('vrrp_instance V {\n  interface eth0\n  virtual_router_id 3\n}\n')).toEqual([`${MAIN}:1: warning: (V) No VIP specified; at least one is sensible`]);
    const config = await parse(instance('  track_interface {\n    eth1 weight 254\n  }'));
    expect(config.vrrp.instances[0]!.trackInterfaces).toEqual([{ name: 'eth1', weight: 253 }]);
    expect(config.messages.map(formatConfigMessage)).toEqual([`${MAIN}:8: warning: track_interface eth1: weight cannot be +/-254, setting to 253 (as keepalived does)`]);
  });

  test('unknown keywords are warnings with their line; unsupported minor keywords too', async () => {
    expect(await warnings(instance('  frobnicate 1\n  debug 2'))).toEqual([
      `${MAIN}:7: warning: unknown keyword 'frobnicate' in vrrp_instance VI_1`,
      `${MAIN}:8: warning: debug: not supported by tsipvs keepalived: ignored`,
    ]);
    expect(await warnings(`global_defs {\n  vrrp_strict\n  bogus_key 1\n}\n${instance()}`)).toEqual([
      `${MAIN}:2: warning: vrrp_strict: not supported by tsipvs keepalived: ignored`,
      `${MAIN}:3: warning: unknown keyword 'bogus_key' in global_defs`,
    ]);
  });
});

describe('errors name the file and line', () => {
  test('virtual_router_id and interface are required; out-of-range numbers', async () => {
    expect(await errors('vrrp_instance V {\n  virtual_ipaddress {\n    10.0.0.1\n  }\n}\n')).toEqual([
      `${MAIN}:1: error: (V) the virtual router id must be set (virtual_router_id 1-255)`,
      `${MAIN}:1: error: (V) no interface: tsipvs keepalived needs 'interface IF' (keepalived allows none only with unicast_src_ip)`,
    ]);
    expect(await errors(instance('  priority 0\n  virtual_router_id 256\n  advert_int 0\n  version 4\n  preempt_delay x'))).toEqual([
      `${MAIN}:7: error: priority: 0 is outside 1-255`,
      `${MAIN}:8: error: virtual_router_id: 256 is outside 1-255`,
      `${MAIN}:9: error: advert_int: must be more than 0 (got 0)`,
      `${MAIN}:10: error: version: 4 is outside 2-3`,
      `${MAIN}:11: error: preempt_delay: invalid time 'x' (seconds, e.g. 3 or 1.5)`,
    ]);
  });

  test('AH authentication, an unknown auth_type, IPv6 addresses and instances', async () => {
    expect(await errors(instance('  authentication {\n    auth_type AH\n  }'))).toEqual([
      `${MAIN}:8: error: (VI_1) auth_type AH (IPsec authentication header) is not supported by tsipvs keepalived: use PASS or none`,
    ]);
    expect(await errors(instance('  authentication {\n    auth_type MD5\n  }'))).toEqual([`${MAIN}:8: error: (VI_1) unknown authentication type 'MD5' (PASS or AH)`]);
    expect(await errors('vrrp_instance V {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    fe80::1/64\n  }\n}\n')).toEqual([
      `${MAIN}:5: error: virtual_ipaddress: fe80::1: IPv6 VRRP is not supported yet`,
    ]);
    expect(await errors(instance('  unicast_peer {\n    2001:db8::2\n  }\n  native_ipv6'))).toEqual([
      `${MAIN}:8: error: unicast_peer: 2001:db8::2: IPv6 VRRP is not supported yet`,
      `${MAIN}:10: error: native_ipv6: IPv6 VRRP is not supported yet`,
    ]);
  });

  test('bad addresses and options of virtual_ipaddress', async () => {
    expect(await errors(instance('  virtual_ipaddress_excluded {\n    10.0.0.300\n    10.0.0.5/33\n    10.0.0.6 dev\n    10.0.0.7 peer 10.0.0.8\n    10.0.0.9 scope galaxy\n    10.0.0.10 scope 300\n  }'))).toEqual([
      `${MAIN}:8: error: virtual_ipaddress_excluded: invalid address '10.0.0.300'`,
      `${MAIN}:9: error: virtual_ipaddress_excluded: invalid prefix length in '10.0.0.5/33' (0-32)`,
      `${MAIN}:10: error: virtual_ipaddress_excluded: no dev value given for 10.0.0.6`,
      `${MAIN}:11: error: virtual_ipaddress_excluded: 'peer' is not supported by tsipvs keepalived`,
      `${MAIN}:12: error: virtual_ipaddress_excluded: invalid scope 'galaxy' for 10.0.0.9 (global, site, link, host or nowhere)`,
      `${MAIN}:13: error: virtual_ipaddress_excluded: invalid scope '300' for 10.0.0.10 (global, site, link, host or nowhere)`,
    ]);
  });

  test('a tracked script that does not exist; weight reverse; vrrp_script without script; bad script weight', async () => {
    expect(await errors(instance('  track_script {\n    nope\n  }'))).toEqual([`${MAIN}:8: error: (VI_1) track script nope not found (no vrrp_script of that name)`]);
    expect(await errors(`vrrp_script s {\n  script /bin/true\n  weight 10 reverse\n}\nvrrp_script e {\n  interval 2\n}\nvrrp_script w {\n  script /bin/w\n  weight 300\n}\n`)).toEqual([
      `${MAIN}:3: error: vrrp_script s: 'weight ... reverse' is not supported by tsipvs keepalived yet`,
      `${MAIN}:5: error: vrrp_script e: no script given (keepalived would remove it)`,
      `${MAIN}:10: error: vrrp_script w weight: 300 is outside -253 to 253`,
    ]);
  });

  test('sync groups: unknown members, a member of two groups, an empty group', async () => {
    expect(await errors(`${instance('', 'A', 1)}vrrp_sync_group G {\n  group {\n    A\n    Z\n  }\n}\nvrrp_sync_group H {\n  group {\n    A\n  }\n}\nvrrp_sync_group E {\n  group {\n  }\n}\n`)).toEqual([
      `${MAIN}:12: error: Virtual router Z specified in sync group G doesn't exist`,
      `${MAIN}:17: error: Virtual router A cannot exist in more than one sync group (it is in G)`,
      `${MAIN}:20: error: Sync group E has no virtual router(s) (keepalived would remove it)`,
    ]);
  });

  test('one VRID per interface; an instance defined twice; lvs_sync_daemon naming no instance', async () => {
    expect(await errors(instance('', 'A', 7) + instance('', 'B', 7))).toEqual([`${MAIN}:9: error: (B) VRID 7 is already used by A on interface eth0 (at ${MAIN}:1)`]);
    expect(await errors(instance('', 'A', 7) + instance('', 'A', 8))).toEqual([`${MAIN}:9: error: vrrp_instance A is defined twice (first at ${MAIN}:1)`]);
    expect(await errors(`global_defs {\n  lvs_sync_daemon eth1 NOPE\n}\n${instance()}`)).toEqual([
      `${MAIN}:2: error: lvs_sync_daemon: vrrp instance NOPE not found (keepalived would clear the lvs_sync_daemon configuration)`,
    ]);
    expect(await errors(`global_defs {\n  vrrp_mcast_group4 10.0.0.1\n  lvs_sync_daemon eth1 VI_1 port 8848\n}\n${instance()}`)).toEqual([
      `${MAIN}:2: error: vrrp_mcast_group4: 10.0.0.1 is not a multicast address`,
      `${MAIN}:3: error: lvs_sync_daemon: 'port' is not supported by tsipvs keepalived yet`,
    ]);
  });
});
