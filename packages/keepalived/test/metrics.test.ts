import { get } from 'node:http';
import { constants } from 'node:os';
import { AddressFamily, ForwardingMethod, Protocol, type IpvsApi, type ServiceKey } from '@tsipvs/ipvs-core';
import { FakeKernel, openFakeIpvs } from '@tsipvs/ipvs-core/testing';
import { IpvsExporter, readTable, renderMetrics, type TableEntry } from '../src/metrics/exporter';
import { parseListenAddress, startMetricsServer } from '../src/metrics/server';
import { sampleStatus } from './support/status-sample';

const WEB: ServiceKey = { family: AddressFamily.IPv4, protocol: Protocol.TCP, address: '192.0.2.1', port: 80 };
const MARK_50: ServiceKey = { family: AddressFamily.IPv4, fwmark: 50 };
const MARK_51: ServiceKey = { family: AddressFamily.IPv4, fwmark: 51 };
const WEB6: ServiceKey = { family: AddressFamily.IPv6, protocol: Protocol.UDP, address: '2001:db8::1', port: 53 };
const RS1 = { family: AddressFamily.IPv4, address: '192.0.2.10', port: 80 };
const RS2 = { family: AddressFamily.IPv4, address: '192.0.2.11', port: 80 };
const RS_MARK = { family: AddressFamily.IPv4, address: '192.0.2.10', port: 0 };
const BIG = 2n ** 60n + 3n; // not a double: 2^60 + 3 prints as ...904 when it goes through a number

async function table(kernel: FakeKernel): Promise<IpvsApi> {
  const api = await openFakeIpvs(kernel);
  await api.addService(WEB, { scheduler: 'rr' });
  await api.addDestination(WEB, RS1, { weight: 3, forwarding: ForwardingMethod.Masquerade });
  await api.addDestination(WEB, RS2, { weight: 0 });
  for (const mark of [MARK_50, MARK_51]) {
    await api.addService(mark);
    await api.addDestination(mark, RS_MARK, { weight: 2 });
  }
  await api.addService(WEB6);
  await api.addDestination(WEB6, { family: AddressFamily.IPv6, address: '2001:db8::10', port: 53 });
  kernel.setStats(WEB, { connections: BIG, packetsIn: 2n ** 64n - 1n, packetsOut: 5n, bytesIn: BIG * 7n, bytesOut: 11n });
  kernel.setStats(WEB, { connections: BIG - 1n, packetsIn: 9n, bytesIn: 2n ** 53n + 1n }, RS1);
  kernel.setStats(MARK_50, { connections: 4n }, RS_MARK);
  kernel.setStats(MARK_51, { connections: 6n }, RS_MARK);
  return api;
}

/** The sample lines of one metric. */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe('metrics', () => {
  let kernel: FakeKernel;
  let api: IpvsApi;
  beforeEach(async () => {
    kernel = new FakeKernel();
    api = await table(kernel);
  });
  afterEach(() => api.close());

  test('service and real-server counters are exact 64-bit values, labelled like node_exporter plus family', async () => {
    const text = await renderMetrics(await readTable(api));
    const web = 'family="ipv4",proto="TCP",local_address="192.0.2.1",local_port="80",local_mark=""';
    expect(samples(text, 'ipvs_service_connections_total')).toContain(`ipvs_service_connections_total{${web}} 1152921504606846979`);
    expect(samples(text, 'ipvs_service_incoming_packets_total')).toContain(`ipvs_service_incoming_packets_total{${web}} 18446744073709551615`);
    expect(samples(text, 'ipvs_service_outgoing_packets_total')).toContain(`ipvs_service_outgoing_packets_total{${web}} 5`);
    expect(samples(text, 'ipvs_service_incoming_bytes_total')).toContain(`ipvs_service_incoming_bytes_total{${web}} ${BIG * 7n}`);
    expect(samples(text, 'ipvs_service_outgoing_bytes_total')).toContain(`ipvs_service_outgoing_bytes_total{${web}} 11`);
    const rs1 = `${web},remote_address="192.0.2.10",remote_port="80"`;
    expect(samples(text, 'ipvs_backend_connections_total')).toContain(`ipvs_backend_connections_total{${rs1}} 1152921504606846978`);
    expect(samples(text, 'ipvs_backend_incoming_bytes_total')).toContain(`ipvs_backend_incoming_bytes_total{${rs1}} 9007199254740993`);
    expect(samples(text, 'ipvs_backend_weight')).toEqual(expect.arrayContaining([
      `ipvs_backend_weight{${rs1}} 3`,
      `ipvs_backend_weight{${web},remote_address="192.0.2.11",remote_port="80"} 0`,
    ]));
    expect(text).toContain('# TYPE ipvs_backend_connections_total counter');
    expect(text).toContain('# TYPE ipvs_backend_weight gauge');
  });

  test('a real server in two fwmark services has one series per service; IPv6 services are labelled ipv6', async () => {
    const text = await renderMetrics(await readTable(api));
    const mark = (m: number) => `family="ipv4",proto="FWM",local_address="",local_port="0",local_mark="${m}",remote_address="192.0.2.10",remote_port="0"`;
    expect(samples(text, 'ipvs_backend_connections_total').filter((l) => l.includes('FWM')).sort()).toEqual([
      `ipvs_backend_connections_total{${mark(50)}} 4`,
      `ipvs_backend_connections_total{${mark(51)}} 6`,
    ]);
    expect(samples(text, 'ipvs_backend_weight')).toContain(
      'ipvs_backend_weight{family="ipv6",proto="UDP",local_address="2001:db8::1",local_port="53",local_mark="",remote_address="2001:db8::10",remote_port="53"} 1',
    );
    // every sample line is unique: no two series share a label set
    const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(new Set(lines.map((l) => l.slice(0, l.lastIndexOf(' ')))).size).toBe(lines.length);
  });

  test('active and inactive connections come from the real server', async () => {
    const listed = await readTable(api);
    const withConnections: TableEntry[] = listed.map((entry) => ({
      ...entry,
      // the decoded real servers read some fields lazily: name what the exporter reads
      destinations: entry.destinations.map((d) => ({ ...d, key: d.key, weight: d.weight, stats: d.stats, activeConnections: 7, inactiveConnections: 2 })),
    }));
    const text = await renderMetrics(withConnections);
    const rs1 = 'family="ipv4",proto="TCP",local_address="192.0.2.1",local_port="80",local_mark="",remote_address="192.0.2.10",remote_port="80"';
    expect(samples(text, 'ipvs_backend_connections_active')).toContain(`ipvs_backend_connections_active{${rs1}} 7`);
    expect(samples(text, 'ipvs_backend_connections_inactive')).toContain(`ipvs_backend_connections_inactive{${rs1}} 2`);
  });

  test("with a director: check state, drain, wanted weight, quorum, sorry server and the last reconcile", async () => {
    const text = await renderMetrics([], { director: sampleStatus() });
    const vs = 'virtual_server="192.0.2.1:80"';
    expect(samples(text, 'ipvs_real_server_up').sort()).toEqual([
      `ipvs_real_server_up{${vs},remote_address="192.0.2.10",remote_port="80"} 1`,
      `ipvs_real_server_up{${vs},remote_address="192.0.2.11",remote_port="80"} 0`,
    ]);
    expect(samples(text, 'ipvs_real_server_draining')).toContain(`ipvs_real_server_draining{${vs},remote_address="192.0.2.11",remote_port="80"} 0`);
    expect(samples(text, 'ipvs_real_server_wanted_weight')).toEqual([`ipvs_real_server_wanted_weight{${vs},remote_address="192.0.2.10",remote_port="80"} 3`]);
    expect(samples(text, 'ipvs_real_server_check_failures_in_row')).toContain(`ipvs_real_server_check_failures_in_row{${vs},remote_address="192.0.2.11",remote_port="80"} 4`);
    expect(samples(text, 'ipvs_virtual_server_quorum_met')).toEqual([`ipvs_virtual_server_quorum_met{${vs}} 1`]);
    expect(samples(text, 'ipvs_virtual_server_quorum')).toEqual([`ipvs_virtual_server_quorum{${vs}} 1`]);
    expect(samples(text, 'ipvs_virtual_server_up_weight')).toEqual([`ipvs_virtual_server_up_weight{${vs}} 3`]);
    expect(samples(text, 'ipvs_virtual_server_sorry_server_active')).toEqual([`ipvs_virtual_server_sorry_server_active{${vs}} 0`]);
    expect(samples(text, 'ipvs_reconcile_last_changes')).toEqual(['ipvs_reconcile_last_changes 2']);
    expect(samples(text, 'ipvs_reconcile_last_success')).toEqual(['ipvs_reconcile_last_success 1']);
    expect(samples(text, 'ipvs_reconcile_last_timestamp_seconds')).toEqual(['ipvs_reconcile_last_timestamp_seconds 1796000000']);
  });

  test('with VRRP: state as keepalived numbers it, priorities, transitions by state entered, dropped adverts by reason', async () => {
    const at = new Date(1_796_000_000_000);
    const vrrp = [
      { name: 'VI_1', state: 'MASTER' as const, configuredPriority: 100, effectivePriority: 70, lastAdvertAt: at,
        transitions: [], transitionCounts: { BACKUP: 2, MASTER: 1 }, dropped: { auth: 3 } },
      { name: 'VI_2', state: 'FAULT' as const, configuredPriority: 80, effectivePriority: 80, transitions: [], transitionCounts: { FAULT: 1 }, dropped: {} },
    ];
    const exporter = new IpvsExporter(api, { vrrp: () => vrrp });
    const text = await exporter.scrape();
    expect(samples(text, 'ipvs_vrrp_state').sort()).toEqual(['ipvs_vrrp_state{instance="VI_1"} 2', 'ipvs_vrrp_state{instance="VI_2"} 3']);
    expect(samples(text, 'ipvs_vrrp_effective_priority')).toContain('ipvs_vrrp_effective_priority{instance="VI_1"} 70');
    expect(samples(text, 'ipvs_vrrp_configured_priority')).toContain('ipvs_vrrp_configured_priority{instance="VI_1"} 100');
    expect(samples(text, 'ipvs_vrrp_last_advert_timestamp_seconds')).toEqual(['ipvs_vrrp_last_advert_timestamp_seconds{instance="VI_1"} 1796000000']);
    const transitions = samples(text, 'ipvs_vrrp_transitions_total');
    expect(transitions).toContain('ipvs_vrrp_transitions_total{instance="VI_1",state="BACKUP"} 2');
    expect(transitions).toContain('ipvs_vrrp_transitions_total{instance="VI_1",state="MASTER"} 1');
    expect(transitions).toContain('ipvs_vrrp_transitions_total{instance="VI_2",state="MASTER"} 0');
    expect(samples(text, 'ipvs_vrrp_adverts_dropped_total')).toEqual(['ipvs_vrrp_adverts_dropped_total{instance="VI_1",reason="auth"} 3']);
    // without VRRP running, no VRRP series at all
    expect(await new IpvsExporter(api, { vrrp: () => undefined }).scrape()).not.toContain('ipvs_vrrp_');
  });

  test('each scrape reads the kernel afresh: a deleted real server is gone from the next one', async () => {
    const exporter = new IpvsExporter(api);
    expect(await exporter.scrape()).toContain('remote_address="192.0.2.11"');
    await api.deleteDestination(WEB, RS2);
    const text = await exporter.scrape();
    expect(text).not.toContain('remote_address="192.0.2.11"');
    expect(text).toMatch(/^ipvs_scrape_duration_seconds \d/m);
  });

  test('scrapes that come while one reads the kernel share that read: one dump of the services', async () => {
    const exporter = new IpvsExporter(api);
    const before = kernel.received.length;
    const [a, b] = await Promise.all([exporter.scrape(), exporter.scrape()]);
    expect(a.replace(/^ipvs_scrape_duration_seconds .*$/m, '')).toBe(b.replace(/^ipvs_scrape_duration_seconds .*$/m, ''));
    // one service dump + one real-server dump per service (4 services)
    expect(kernel.received.length - before).toBe(5);
  });

  test('a kernel that refuses makes the scrape fail with its reason; a read past the deadline too', async () => {
    kernel.refuse('getServices', constants.errno.EPERM);
    await expect(new IpvsExporter(api).scrape()).rejects.toThrow(/^reading the IPVS table failed: getServices: .*CAP_NET_ADMIN/);
    const stuck = { getServices: () => new Promise(() => undefined) } as unknown as IpvsApi;
    await expect(new IpvsExporter(stuck, { scrapeTimeoutMs: 50 }).scrape()).rejects.toThrow('reading the IPVS table failed: no answer from the kernel within 50 ms');
  });

  test('the HTTP server: /metrics scrapes, 500 with the message when the scrape fails, 404 elsewhere', async () => {
    const server = await startMetricsServer(new IpvsExporter(api), { host: '127.0.0.1', port: 0 });
    try {
      const ok = await fetchText(`http://${server.address}/metrics`);
      expect(ok.status).toBe(200);
      expect(ok.type).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(ok.body).toContain('ipvs_service_connections_total{family="ipv4",proto="TCP",local_address="192.0.2.1",local_port="80",local_mark=""} 1152921504606846979');
      expect((await fetchText(`http://${server.address}/`)).status).toBe(404);
      expect((await fetchText(`http://${server.address}/metricsx`)).status).toBe(404);
      kernel.refuse('getServices', constants.errno.ENOMEM);
      const failed = await fetchText(`http://${server.address}/metrics`);
      expect(failed.status).toBe(500);
      expect(failed.body).toMatch(/^scrape failed: reading the IPVS table failed: .+\n$/);
    } finally {
      await server.close();
    }
  });

  test('listen addresses', () => {
    expect(parseListenAddress('127.0.0.1:9165')).toEqual({ host: '127.0.0.1', port: 9165 });
    expect(parseListenAddress('[::1]:9165')).toEqual({ host: '::1', port: 9165 });
    expect(parseListenAddress(':9165')).toEqual({ host: undefined, port: 9165 });
    expect(() => parseListenAddress('9165')).toThrow('expected ADDR:PORT');
    expect(() => parseListenAddress('127.0.0.1:70000')).toThrow('expected ADDR:PORT');
    expect(() => parseListenAddress('localhost:9165')).toThrow('"localhost" in "localhost:9165" is not an IP address');
  });
});

function fetchText(url: string): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'], body }));
    }).on('error', reject);
  });
}
