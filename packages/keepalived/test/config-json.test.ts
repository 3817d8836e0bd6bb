/** The JSON form: tsipvs's ruleset JSON plus the checker half's settings, with keepalived's defaults. */
import { AddressFamily } from '@tsipvs/ipvs-core';
import { ConfigError, formatConfigMessage } from '../src/config/errors';
import { loadKeepalivedConfig, parseJsonText, parseKeepalivedText } from '../src/config/load';
import type { HttpCheck, MiscCheck } from '../src/config/model';
import { memoryFileSystem } from '../src/config/reader';

const FILE = '/etc/tsipvs/rules.json';
const read = (document: unknown) => parseJsonText(JSON.stringify(document), FILE);
const failure = (document: unknown): string[] => {
  try {
    read(document);
  } catch (error) {
    if (error instanceof ConfigError) return error.messages.map(formatConfigMessage);
    throw error;
  }
  throw new Error('expected a ConfigError');
};

/** A service as `tsipvs -L --json` prints it (docs/cli.md), counters included. */
const listed = {
  family: 'ipv4', protocol: 'tcp', address: '10.0.0.100', port: 80, fwmark: null, scheduler: 'rr', schedulerFlags: [], persistent: false,
  timeout: 0, netmask: '255.255.255.255', persistenceEngine: null, onePacket: false, flags: 0, stats: { connections: '0' },
  destinations: [
    { family: 'ipv4', address: '10.0.0.10', port: 80, forwarding: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0, activeConnections: 0, inactiveConnections: 0, persistentConnections: 0, tunnel: null, stats: {} },
  ],
};

describe('the JSON form', () => {
  test('the output of tsipvs -L --json loads as it is: no checks, keepalived defaults for the checker half', () => {
    const config = read({ version: '1.2.1', connectionTableSize: 4096, services: [listed] });
    expect(config.messages).toEqual([]);
    const vs = config.virtualServers[0]!;
    expect(vs).toMatchObject({
      at: { file: FILE, line: 0, path: 'services[0]' }, target: { kind: 'address', family: AddressFamily.IPv4, address: '10.0.0.100', port: 80 },
      scheduler: 'rr', forwarding: { method: 'DR' }, protocol: 'TCP', delayLoopMs: 60000, quorum: 1, hysteresis: 0,
    });
    expect(vs.realServers[0]).toMatchObject({ address: '10.0.0.10', port: 80, weight: 1, forwarding: { method: 'DR' }, checkers: [] });
  });

  test('the documented example: checker-half settings per service, a check object or array per real server', () => {
    const config = read({
      services: [{
        ...listed, delayLoop: 3, quorum: 1, hysteresis: 0, alpha: true, omega: true, inhibitOnFailure: true, virtualhost: 'www.example.com',
        sorryServer: { address: '127.0.0.1', port: 80, forwarding: 'route' },
        destinations: [
          {
            address: '10.0.0.10', port: 80, forwarding: 'route', weight: 2,
            check: { type: 'HTTP_GET', url: [{ path: '/', statusCode: [200, '300-301'] }], connectTimeout: 1, retry: 3, delayBeforeRetry: 1 },
          },
          {
            address: '10.0.0.20', port: 80, forwarding: 'route', inhibitOnFailure: false, notifyUp: '/bin/up 10.0.0.20',
            check: [{ type: 'TCP_CHECK', connectPort: 8080 }, { type: 'MISC_CHECK', miscPath: "/bin/check 'a b'", miscDynamic: true, miscTimeout: 2 }],
          },
        ],
      }],
    });
    const vs = config.virtualServers[0]!;
    expect(vs).toMatchObject({ delayLoopMs: 3000, alpha: true, omega: true, inhibitOnFailure: true, sorryServer: { address: '127.0.0.1', port: 80, forwarding: { method: 'DR' } } });
    const [a, b] = vs.realServers;
    expect(a).toMatchObject({ weight: 2, inhibitOnFailure: true });
    expect(a!.checkers[0] as HttpCheck).toMatchObject({
      kind: 'HTTP_GET', at: { path: 'services[0].destinations[0].check' }, connectPort: 80, connectTimeoutMs: 1000, retry: 3, delayBeforeRetryMs: 1000,
      delayLoopMs: 3000, warmupMs: 3000, alpha: true, virtualhost: 'www.example.com', urls: [{ path: '/', statusCodes: [200, 300, 301] }],
    });
    expect(b).toMatchObject({ weight: 1, inhibitOnFailure: false, notifyUp: '/bin/up 10.0.0.20' });
    expect(b!.checkers[0]).toMatchObject({ kind: 'TCP_CHECK', connectPort: 8080, retry: 1, delayBeforeRetryMs: 1000, connectTimeoutMs: 5000 });
    expect(b!.checkers[1] as MiscCheck).toMatchObject({ kind: 'MISC_CHECK', args: ['/bin/check', 'a b'], dynamic: true, timeoutMs: 2000, retry: 0 });
  });

  test('the same service in keepalived.conf and in JSON gives the same model (apart from where it was written)', async () => {
    const conf = await parseKeepalivedText([
      'virtual_server fwmark 5 {', '  delay_loop 2', '  lb_algo sh', '  sh-port', '  lb_kind TUN type gue port 6080', '  persistence_timeout 600',
      '  persistence_granularity 255.255.255.0', '  quorum 2', '  hysteresis 1',
      '  real_server 10.0.1.1 {', '    weight 2', '    uthreshold 9', '    HTTP_GET {', '      connect_port 80', '      url {', '        path /ok',
      '        status_code 200-201', '        digest 9b3a0c85a887a256d6939da88aabd8cd', '      }', '    }', '  }',
      '}',
    ].join('\n'), '/k.conf', memoryFileSystem({}));
    const json = read({ services: [{
      family: 'ipv4', fwmark: 5, delayLoop: 2, scheduler: 'sh', schedulerFlags: ['sh-port'], persistent: true, timeout: 600, netmask: '255.255.255.0',
      quorum: 2, hysteresis: 1,
      destinations: [{
        address: '10.0.1.1', port: 0, forwarding: 'tunnel', tunnel: { type: 'gue', port: 6080, checksum: 'none' }, weight: 2, upperThreshold: 9,
        check: { type: 'HTTP_GET', connectPort: 80, url: { path: '/ok', statusCode: '200-201', digest: '9B3A0C85A887A256D6939DA88AABD8CD' } },
      }],
    }] });
    const strip = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === 'at' ? undefined : v)));
    expect(conf.messages).toEqual([]);
    expect(json.messages).toEqual([]);
    expect(strip(json.virtualServers)).toEqual(strip(conf.virtualServers));
  });

  test('errors name the JSON path; all of them are reported', () => {
    expect(failure({ services: [
      { address: '10.0.0.1', port: 70000, protocol: 'icmp', scheduler: 'fast', schedulerFlags: ['sh-port', 'turbo'], delayLoop: 0, bogus: 1,
        destinations: [
          { address: 'not-an-ip', port: 80 },
          { address: '10.0.0.2', forwarding: 'local' },
          { address: '10.0.0.3', check: { type: 'HTTP_GET' } },
          { address: '10.0.0.4', check: [{ type: 'DNS_CHECK' }, { type: 'HTTP_GET', url: [{ path: '/', statusCode: [99] }] }] },
          { address: '10.0.0.5', forwarding: 'tunnel', tunnel: { type: 'gue' } },
        ] },
      'nonsense',
    ] })).toEqual([
      `${FILE}: warning: services[0].bogus: unknown field: ignored`,
      `${FILE}: error: services[0].port: expected a whole number within 0-65535`,
      `${FILE}: error: services[0].protocol: expected "tcp", "udp" or "sctp"`,
      `${FILE}: error: services[0].scheduler: unknown scheduler 'fast' (rr, wrr, lc, wlc, lblc, sh, mh, dh, fo, ovf, lblcr, sed, nq, twos)`,
      `${FILE}: error: services[0].schedulerFlags[1]: unknown flag 'turbo' (sh-port, sh-fallback, mh-port, mh-fallback, flag-1, flag-2, flag-3)`,
      `${FILE}: error: services[0].delayLoop: expected a time in seconds above 0`,
      `${FILE}: error: services[0].destinations[0].address: invalid address 'not-an-ip'`,
      `${FILE}: error: services[0].destinations[1].forwarding: expected "masq", "route" or "tunnel" (or NAT, DR, TUN)`,
      `${FILE}: error: services[0].destinations[2].check.url: expected at least one { "path": ... }`,
      `${FILE}: error: services[0].destinations[3].check[0].type: expected "TCP_CHECK", "HTTP_GET", "SSL_GET" or "MISC_CHECK"`,
      `${FILE}: error: services[0].destinations[3].check[1].url[0].statusCode[0]: expected a status code or a range "200-299" within 100-599`,
      `${FILE}: error: services[0].destinations[4].tunnel: gue tunnels need a port, other tunnel types cannot have one`,
      `${FILE}: error: services[1]: expected an object`,
    ]);
  });

  test('not JSON, or no services array', () => {
    expect(() => parseJsonText('{ nope', FILE)).toThrow(/^\/etc\/tsipvs\/rules\.json: error: not valid JSON: /);
    expect(() => read({ rules: [] })).toThrow(`${FILE}: error: the JSON form holds a "services" array (as tsipvs -L --json prints it)`);
  });

  test('loadKeepalivedConfig picks the JSON form for a .json file', async () => {
    const fs = memoryFileSystem({ '/x/rules.json': JSON.stringify({ services: [listed] }), '/x/keepalived.conf': JSON.stringify({ services: [listed] }) });
    expect((await loadKeepalivedConfig('/x/rules.json', fs)).virtualServers).toHaveLength(1);
    await expect(loadKeepalivedConfig('/x/keepalived.conf', fs)).rejects.toBeInstanceOf(ConfigError);
  });
});
