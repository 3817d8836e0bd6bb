/**
 * A real operator's setup (../shared/docs/keepalived-ha-example.txt, in Chinese, kept verbatim in
 * fixtures/operator): MASTER and BACKUP keepalived.conf with `include /etc/keepalived/conf.d/*.conf`,
 * an ip:port and a firewall-mark LVS-DR cluster with a sorry server, and the nginx HA variant.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AddressFamily } from '@tsipvs/ipvs-core';
import { checkKeepalivedConfig, loadKeepalivedConfig } from '../src/config/load';
import { formatConfigMessage } from '../src/config/errors';
import type { HttpCheck } from '../src/config/model';
import { memoryFileSystem } from '../src/config/reader';
import { FIXTURES, MAIN, rootedFileSystem } from './config-support';

const load = (variant: string) => loadKeepalivedConfig(MAIN, rootedFileSystem(path.join(FIXTURES, 'operator', variant)));
const CONF_D = '/etc/keepalived/conf.d';

describe("the operator's keepalived.conf", () => {
  test('MASTER: the ip:port cluster as keepalived reads it, with the notify lines after the closing brace as unknown top-level keywords', async () => {
    const config = await load('master');
    expect(config.messages.map(formatConfigMessage)).toEqual([
      `${MAIN}:2: note: global_defs: notification_email, notification_email_from, smtp_server, smtp_connect_timeout: not used by tsipvs keepalived: ignored`,
      `${CONF_D}/lvs_nginx.conf:15: warning: nb_get_retry is deprecated - use 'retry' (as keepalived says)`,
      `${CONF_D}/lvs_nginx.conf:27: warning: nb_get_retry is deprecated - use 'retry' (as keepalived says)`,
      `${CONF_D}/vip_nginx.conf:15: warning: unknown keyword 'notify_master' in top level`,
      `${CONF_D}/vip_nginx.conf:16: warning: unknown keyword 'notify_backup' in top level`,
      `${CONF_D}/vip_nginx.conf:17: warning: unknown keyword 'notify_fault' in top level`,
    ]);
    expect(config.virtualServers).toHaveLength(1);
    const vs = config.virtualServers[0]!;
    expect(vs).toMatchObject({
      at: { file: `${CONF_D}/lvs_nginx.conf`, line: 1 },
      target: { kind: 'address', family: AddressFamily.IPv4, address: '10.0.0.100', port: 80 },
      delayLoopMs: 3000, scheduler: 'rr', forwarding: { method: 'DR' }, protocol: 'TCP', quorum: 1, hysteresis: 0,
      alpha: false, omega: false, inhibitOnFailure: false, haSuspend: false, onePacketScheduling: false, schedulerFlags: {},
      sorryServer: { at: { line: 6 }, address: '127.0.0.1', port: 80, forwarding: { method: 'DR' }, inhibit: false },
    });
    expect(vs.persistenceTimeout).toBeUndefined();
    expect(vs.realServers.map((rs) => [rs.address, rs.port, rs.weight, rs.forwarding.method, rs.at.line])).toEqual([
      ['10.0.0.10', 80, 1, 'DR', 7],
      ['10.0.0.20', 80, 1, 'DR', 19],
    ]);
    for (const rs of vs.realServers) {
      expect(rs.checkers).toHaveLength(1);
      const check = rs.checkers[0] as HttpCheck;
      expect(check).toMatchObject({
        kind: 'HTTP_GET', connectPort: 80, connectTimeoutMs: 1000, retry: 3, delayBeforeRetryMs: 1000, delayLoopMs: 3000, warmupMs: 3000,
        alpha: false, httpProtocol: '1.0', enableSni: false,
      });
      expect(check.urls).toEqual([{ at: expect.objectContaining({ line: rs.at.line + 3 }), path: '/index.html', statusCodes: [200] }]);
      expect(check.connectIp).toBeUndefined();
    }
  });

  test('BACKUP: the notify lines are inside vrrp_instance; the misspelt state is a warning', async () => {
    const config = await load('backup');
    expect(config.messages.map(formatConfigMessage)).toEqual([
      `${MAIN}:2: note: global_defs: notification_email, notification_email_from, smtp_server, smtp_connect_timeout: not used by tsipvs keepalived: ignored`,
      `${CONF_D}/lvs_nginx.conf:15: warning: nb_get_retry is deprecated - use 'retry' (as keepalived says)`,
      `${CONF_D}/lvs_nginx.conf:27: warning: nb_get_retry is deprecated - use 'retry' (as keepalived says)`,
      `${CONF_D}/vip_nginx.conf:2: warning: (VI_1) unknown state 'BAKCUP', defaulting to BACKUP (as keepalived does)`,
    ]);
    expect(config.virtualServers.map((v) => v.realServers.length)).toEqual([2]);
  });

  test('the firewall-mark cluster: DR real servers lose their port (keepalived clears it) but the checkers keep it', async () => {
    const config = await load('fwmark');
    const vs = config.virtualServers[0]!;
    expect(vs.target).toEqual({ kind: 'fwmark', family: AddressFamily.IPv4, mark: 50 });
    expect(vs.realServers.map((rs) => [rs.address, rs.port, rs.checkers[0]!.connectPort])).toEqual([['10.0.0.10', 0, 80], ['10.0.0.20', 0, 80]]);
    expect(vs.sorryServer).toMatchObject({ address: '127.0.0.1', port: 0 });
    expect(config.messages.map(formatConfigMessage).slice(6)).toEqual([
      `${CONF_D}/lvs_nginx.conf:1: warning: virtual server FWM 50: protocol specified for fwmark - protocol will be ignored`,
      `${CONF_D}/lvs_nginx.conf:7: warning: virtual server FWM 50: real server 10.0.0.10:80 has port 80 specified - cleared for DR (its checkers still use it)`,
      `${CONF_D}/lvs_nginx.conf:19: warning: virtual server FWM 50: real server 10.0.0.20:80 has port 80 specified - cleared for DR (its checkers still use it)`,
      `${CONF_D}/lvs_nginx.conf:6: warning: virtual server FWM 50: sorry server has port 80 specified - cleared for DR`,
    ]);
  });

  test('the nginx variant: a vrrp_script tracked by the instance; no virtual server', async () => {
    const config = await load('nginx');
    expect(config.virtualServers).toEqual([]);
    expect(config.messages.map(formatConfigMessage)).toEqual([
      `${MAIN}:2: note: global_defs: notification_email, notification_email_from, smtp_server, smtp_connect_timeout: not used by tsipvs keepalived: ignored`,
    ]);
    expect(config.vrrp.instances.map((i) => [i.name, i.trackScripts])).toEqual([['VI_1', [{ name: 'check_nginx' }]]]);
    expect([...config.vrrp.scripts.keys()]).toEqual(['check_nginx']);
  });

  test('-t: ok with the line-numbered warnings', async () => {
    const result = await checkKeepalivedConfig(MAIN, rootedFileSystem(path.join(FIXTURES, 'operator', 'master')));
    expect(result.ok).toBe(true);
    expect(result.lines).toHaveLength(6);
    expect(result.lines[3]).toBe(`${CONF_D}/vip_nginx.conf:15: warning: unknown keyword 'notify_master' in top level`);
  });

  test('-t on a broken copy: not ok, every message with its line', async () => {
    const broken = readFileSync(path.join(FIXTURES, 'operator', 'master', 'conf.d', 'lvs_nginx.conf'), 'utf8')
      .replace('lb_kind DR', 'lb_kind DSR').replace('path /index.html', 'pth /index.html');
    const result = await checkKeepalivedConfig(MAIN, memoryFileSystem({ [MAIN]: broken }));
    expect(result).toEqual({
      ok: false,
      lines: [
        `${MAIN}:4: error: lb_kind: unknown forwarding method 'DSR' (NAT, DR or TUN)`,
        `${MAIN}:11: warning: unknown keyword 'pth' in url`,
        `${MAIN}:10: error: url: no path given (keepalived would drop this url)`,
        `${MAIN}:15: warning: nb_get_retry is deprecated - use 'retry' (as keepalived says)`,
        `${MAIN}:27: warning: nb_get_retry is deprecated - use 'retry' (as keepalived says)`,
      ],
    });
  });
});
