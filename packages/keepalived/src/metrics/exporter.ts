/**
 * The Prometheus exporter: every scrape reads the kernel's table afresh (services, then their real
 * servers) and, when a director is given, its status, and renders them with prom-client. Names and
 * labels follow node_exporter's IPVS collector (`local_address`, `local_port`, `remote_address`,
 * `remote_port`, `proto`, `local_mark`) with the `ipvs_` prefix and one label more, `family`, so that
 * every series names one service and one real server (docs/keepalived.md lists them all).
 *
 * The 64-bit counters are printed exact, as `ipvsadm -Ln --stats --exact` prints them: prom-client
 * formats numbers (exact only up to 2^53), so each counter series is registered with its index as a
 * placeholder value, and the index is replaced by the kernel's bigint in the rendered text.
 */
import { AddressFamily, listDestinations, Protocol, type Destination, type IpvsApi, type Service, type ServiceKey, type Stats } from '@tsipvs/ipvs-core';
import { Counter, Gauge, Registry } from 'prom-client';
import type { DirectorStatus } from '../director/types';
import type { InstanceStatus } from '../vrrp/instance';
import type { VrrpState } from '../vrrp/machine';

/** One service with its real servers, as read for one scrape. */
export interface TableEntry {
  readonly service: Service;
  readonly destinations: readonly Destination[];
}

/** The director's side of the exporter: only its status is read. */
export interface StatusSource {
  status(): DirectorStatus;
}

export interface ExporterOptions {
  /** Adds check, quorum, sorry-server and reconcile metrics. */
  readonly director?: StatusSource;
  /** Adds the VRRP instances' state, priority, transitions and dropped adverts (undefined: not running). */
  readonly vrrp?: () => readonly InstanceStatus[] | undefined;
  /** How long one scrape may read the kernel (default 10 s, Prometheus's default scrape timeout). */
  readonly scrapeTimeoutMs?: number;
  /** Milliseconds now (tests). */
  readonly now?: () => number;
}

/** A scrape that failed: the HTTP server answers 500 with this message. */
export class ScrapeError extends Error {}

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

const SERVICE_LABELS = ['family', 'proto', 'local_address', 'local_port', 'local_mark'] as const;
const BACKEND_LABELS = [...SERVICE_LABELS, 'remote_address', 'remote_port'] as const;
const REAL_SERVER_LABELS = ['virtual_server', 'remote_address', 'remote_port'] as const;
const VIRTUAL_SERVER_LABELS = ['virtual_server'] as const;

type Labels = Record<string, string>;

/** The five traffic counters of Stats, as node_exporter names them. */
const COUNTERS: ReadonlyArray<{ readonly name: string; readonly help: string; readonly of: (s: Stats) => bigint }> = [
  { name: 'connections_total', help: 'connections scheduled', of: (s) => s.connections },
  { name: 'incoming_packets_total', help: 'packets from clients', of: (s) => s.packetsIn },
  { name: 'outgoing_packets_total', help: 'packets to clients (NAT only)', of: (s) => s.packetsOut },
  { name: 'incoming_bytes_total', help: 'bytes from clients', of: (s) => s.bytesIn },
  { name: 'outgoing_bytes_total', help: 'bytes to clients (NAT only)', of: (s) => s.bytesOut },
];

/** The labels of a service: a fwmark service has proto "FWM", no address and port 0, as in node_exporter. */
export function serviceLabels(key: ServiceKey): Labels {
  const family = key.family === AddressFamily.IPv6 ? 'ipv6' : 'ipv4';
  if ('fwmark' in key) return { family, proto: 'FWM', local_address: '', local_port: '0', local_mark: String(key.fwmark) };
  return { family, proto: Protocol[key.protocol] ?? String(key.protocol), local_address: key.address, local_port: String(key.port), local_mark: '' };
}

function backendLabels(service: ServiceKey, destination: Destination): Labels {
  return { ...serviceLabels(service), remote_address: destination.key.address, remote_port: String(destination.key.port) };
}

/** Counters whose values are bigints: prom-client holds each series' index, `exact` the value. */
class ExactCounter {
  private readonly counter: Counter<string>;
  private readonly values: bigint[] = [];
  private readonly indexes = new Map<string, number>();

  constructor(registry: Registry, readonly name: string, help: string, labelNames: readonly string[]) {
    this.counter = new Counter({ name, help, labelNames: [...labelNames], registers: [registry] });
  }

  add(labels: Labels, value: bigint): void {
    const key = JSON.stringify(labels);
    const index = this.indexes.get(key);
    if (index !== undefined) {
      // the same label set twice cannot happen for kernel entries; summed like node_exporter if it does
      this.values[index]! += value;
      return;
    }
    this.indexes.set(key, this.values.length);
    this.counter.inc(labels, this.values.length);
    this.values.push(value);
  }

  /** The rendered sample line with its placeholder replaced by the exact value. */
  exact(line: string): string {
    const space = line.lastIndexOf(' ');
    const value = this.values[Number(line.slice(space + 1))];
    if (value === undefined) throw new Error(`metrics: no value behind ${line}`);
    return `${line.slice(0, space + 1)}${value}`;
  }
}

/** What a scrape adds to the table when the daemon runs them. */
export interface ScrapeExtras {
  readonly director?: DirectorStatus;
  readonly vrrp?: readonly InstanceStatus[];
  /** How long reading the kernel took. */
  readonly scrapeSeconds?: number;
}

/** Renders one scrape: the table (and the director's and VRRP's status) as Prometheus text. */
export async function renderMetrics(table: readonly TableEntry[], extras: ScrapeExtras = {}): Promise<string> {
  const { director: status, vrrp, scrapeSeconds } = extras;
  const registry = new Registry();
  const exact = new Map<string, ExactCounter>();
  const counters = (scope: 'service' | 'backend', labelNames: readonly string[], what: string) =>
    COUNTERS.map(({ name, help, of }) => {
      const counter = new ExactCounter(registry, `ipvs_${scope}_${name}`, `${help} ${what}`, labelNames);
      exact.set(counter.name, counter);
      return { counter, of };
    });
  const gauge = (name: string, help: string, labelNames: readonly string[]) => new Gauge({ name, help, labelNames: [...labelNames], registers: [registry] });

  const serviceCounters = counters('service', SERVICE_LABELS, 'by the virtual service');
  const backendCounters = counters('backend', BACKEND_LABELS, 'by the virtual service to this real server');
  const active = gauge('ipvs_backend_connections_active', 'active (established) connections of the real server in this service', BACKEND_LABELS);
  const inactive = gauge('ipvs_backend_connections_inactive', 'inactive connections of the real server in this service', BACKEND_LABELS);
  const weight = gauge('ipvs_backend_weight', 'weight of the real server in this service, as in the kernel', BACKEND_LABELS);
  for (const { service, destinations } of table) {
    const labels = serviceLabels(service.key);
    for (const { counter, of } of serviceCounters) counter.add(labels, of(service.stats));
    for (const destination of destinations) {
      const labels = backendLabels(service.key, destination);
      for (const { counter, of } of backendCounters) counter.add(labels, of(destination.stats));
      active.set(labels, destination.activeConnections);
      inactive.set(labels, destination.inactiveConnections);
      weight.set(labels, destination.weight);
    }
  }
  if (status) addDirectorMetrics(status, gauge);
  if (vrrp) addVrrpMetrics(vrrp, registry, gauge);
  if (scrapeSeconds !== undefined) gauge('ipvs_scrape_duration_seconds', 'time this scrape took to read the kernel', []).set(scrapeSeconds);

  const text = await registry.metrics();
  let current: ExactCounter | undefined;
  return text
    .split('\n')
    .map((line) => {
      if (line.startsWith('# TYPE ')) current = exact.get(line.split(' ')[2]!);
      return current && line !== '' && !line.startsWith('#') ? current.exact(line) : line;
    })
    .join('\n');
}

type GaugeMaker = (name: string, help: string, labelNames: readonly string[]) => Gauge<string>;

function addDirectorMetrics(status: DirectorStatus, gauge: GaugeMaker): void {
  const up = gauge('ipvs_real_server_up', '1 when every checker of the real server passes (keepalived), else 0', REAL_SERVER_LABELS);
  const draining = gauge('ipvs_real_server_draining', '1 while the real server drains (weight 0 until its connections end)', REAL_SERVER_LABELS);
  const wanted = gauge('ipvs_real_server_wanted_weight', 'weight the director keeps in the kernel (absent: kept out of the table)', REAL_SERVER_LABELS);
  const failures = gauge('ipvs_real_server_check_failures_in_row', 'failed check attempts in a row (the most of its checkers)', REAL_SERVER_LABELS);
  const quorumMet = gauge('ipvs_virtual_server_quorum_met', '1 when the weight of the real servers up reaches the quorum', VIRTUAL_SERVER_LABELS);
  const quorum = gauge('ipvs_virtual_server_quorum', 'the quorum: weight of real servers up needed', VIRTUAL_SERVER_LABELS);
  const upWeight = gauge('ipvs_virtual_server_up_weight', 'sum of the weights of the real servers up', VIRTUAL_SERVER_LABELS);
  const sorry = gauge('ipvs_virtual_server_sorry_server_active', '1 while the sorry server is in the table (virtual servers with one)', VIRTUAL_SERVER_LABELS);
  for (const vs of status.virtualServers) {
    const vsLabels = { virtual_server: vs.name };
    quorumMet.set(vsLabels, vs.quorum.met ? 1 : 0);
    quorum.set(vsLabels, vs.quorum.required);
    upWeight.set(vsLabels, vs.quorum.upWeight);
    if (vs.sorryServer) sorry.set(vsLabels, vs.sorryServer.active ? 1 : 0);
    for (const rs of vs.realServers) {
      const labels = { ...vsLabels, remote_address: rs.address, remote_port: String(rs.port) };
      up.set(labels, rs.health.up ? 1 : 0);
      draining.set(labels, rs.state === 'draining' ? 1 : 0);
      if (rs.wantedWeight !== undefined) wanted.set(labels, rs.wantedWeight);
      failures.set(labels, Math.max(0, ...rs.health.checkers.map((c) => c.failuresInRow)));
    }
  }
  const last = status.lastReconcile;
  if (last) {
    gauge('ipvs_reconcile_last_timestamp_seconds', 'when the director last reconciled the table', []).set(last.at.getTime() / 1000);
    gauge('ipvs_reconcile_last_changes', 'changes the last reconcile applied', []).set(last.changes);
    gauge('ipvs_reconcile_last_success', '1 when the last reconcile applied its plan, 0 when it failed (nothing of it stayed)', []).set(last.error ? 0 : 1);
  }
}

/** keepalived's numbering of VRRP states (its SNMP MIB and JSON dump). */
export const VRRP_STATE_NUMBERS: Readonly<Record<VrrpState, number>> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 4 };

function addVrrpMetrics(instances: readonly InstanceStatus[], registry: Registry, gauge: GaugeMaker): void {
  const labels = ['instance'] as const;
  const state = gauge('ipvs_vrrp_state', 'state of the VRRP instance: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT, 4 STOP (as keepalived numbers them)', labels);
  const effective = gauge('ipvs_vrrp_effective_priority', 'priority after tracked scripts and interfaces', labels);
  const configured = gauge('ipvs_vrrp_configured_priority', 'priority as configured', labels);
  const lastAdvert = gauge('ipvs_vrrp_last_advert_timestamp_seconds', 'when the last valid advert of the virtual router was received', labels);
  const transitions = new Counter({ name: 'ipvs_vrrp_transitions_total', help: 'state transitions since start, by the state entered', labelNames: ['instance', 'state'], registers: [registry] });
  const dropped = new Counter({ name: 'ipvs_vrrp_adverts_dropped_total', help: 'adverts dropped by the receive checks, by reason', labelNames: ['instance', 'reason'], registers: [registry] });
  for (const i of instances) {
    const instance = { instance: i.name };
    state.set(instance, VRRP_STATE_NUMBERS[i.state]);
    effective.set(instance, i.effectivePriority);
    configured.set(instance, i.configuredPriority);
    if (i.lastAdvertAt) lastAdvert.set(instance, i.lastAdvertAt.getTime() / 1000);
    for (const to of Object.keys(VRRP_STATE_NUMBERS) as VrrpState[]) transitions.inc({ ...instance, state: to }, i.transitionCounts[to] ?? 0);
    for (const [reason, count] of Object.entries(i.dropped)) dropped.inc({ ...instance, reason }, count);
  }
}

/** Reads every service and its real servers (the real-server dumps run a few at a time). */
export async function readTable(api: IpvsApi): Promise<TableEntry[]> {
  const table: TableEntry[] = [];
  for await (const listed of listDestinations(api, await api.getServices())) table.push(listed);
  return table;
}

/**
 * Scrapes on demand. Scrapes never overlap: a request that comes while the kernel is being read
 * waits for that read (under its own deadline) and is answered from it; the next read starts only
 * after it settled, even when the one before missed its deadline.
 */
export class IpvsExporter {
  private reading: Promise<TableEntry[]> | undefined;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly api: IpvsApi, private readonly options: ExporterOptions = {}) {
    this.timeoutMs = options.scrapeTimeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** The text of one scrape; rejects with a ScrapeError. */
  async scrape(): Promise<string> {
    const started = this.now();
    const read = (this.reading ??= readTable(this.api).finally(() => (this.reading = undefined)));
    let table: TableEntry[];
    try {
      table = await withDeadline(read, this.timeoutMs);
    } catch (error) {
      throw new ScrapeError(`reading the IPVS table failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const vrrp = this.options.vrrp?.();
    return renderMetrics(table, {
      ...(this.options.director ? { director: this.options.director.status() } : {}),
      ...(vrrp ? { vrrp } : {}),
      scrapeSeconds: (this.now() - started) / 1000,
    });
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the kernel within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
