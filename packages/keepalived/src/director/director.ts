/**
 * The director: keeps the services a keepalived configuration names equal to what the configuration
 * and the health of the real servers want. It does not replay events: on every health change, every
 * delay_loop and on demand it computes the wanted table (wanted.ts), reads the owned services fresh
 * and applies the minimal plan all-or-nothing (reconcile.ts). Reconciles are coalesced and never
 * overlap; a failed one is reported and the next trigger tries again. docs/keepalived.md
 * tells the rules (adoption at start, reload, drain, flush).
 */
import { EventEmitter } from 'node:events';
import { serviceId, type IpvsApi, type RuleDestination, type ServiceKey } from '@tsipvs/ipvs-core';
import type { HealthMonitor, HealthState, MonitorFactory } from '../check/health';
import { startScript } from '../check/misc';
import { virtualServerName } from '../config/finalize';
import type { KeepalivedConfig, RealServer, VirtualServer } from '../config/model';
import { hostPort } from '../config/values';
import { drainVerdict } from './drain';
import { initialQuorum, nextQuorum } from './quorum';
import { applyOwned, describeOperation, ownedKey, readOwned, type OwnedTable } from './reconcile';
import type { Director, DirectorStatus, RealServerStatus, ReconcileReport, VirtualServerStatus } from './types';
import {
  destinationKeyOf, liveWeight, realServerId, servicesOf, virtualServerId, wantedTable, type DrainingServer,
  type ServerHealth, type WantedTable,
} from './wanted';

export interface DirectorOptions {
  readonly monitorFactory: MonitorFactory;
  /**
   * Drain instead of deleting: a real server the table no longer wants (failed, removed from the
   * configuration, pushed out by the sorry server) goes to weight 0 and is deleted once it has no
   * active connection or after this long. Undefined: deleted at once, as keepalived does.
   */
  readonly drainTimeoutMs?: number;
  /** How often draining servers' connections are read (default 1000 ms, or the delay_loop if shorter). */
  readonly drainPollMs?: number;
  /** Runs a notify/quorum script; default `/bin/sh -c SCRIPT`, not waited for. */
  readonly runScript?: (script: string) => void;
  /** Milliseconds now (tests). */
  readonly now?: () => number;
}

/** A real server the director watches. */
interface Tracked {
  readonly id: string;
  vs: VirtualServer;
  rs: RealServer;
  readonly monitor: HealthMonitor;
  /** What its checkers compare by on reload. */
  readonly signature: string;
  /** At start, the kernel's verdict (in at weight > 0: up; at 0: down) until every checker has reported once. */
  adopted?: boolean;
  /** The state last acted on (notify scripts, quorum). */
  up: boolean;
  dynamicWeight?: number;
  /** A notify script ran for it (keepalived notifies the first verdict only under alpha or when down). */
  notified: boolean;
}

interface DrainRecord extends DrainingServer {
  readonly since: number;
  /** The real server it was, when known (status). */
  readonly rs?: RealServer;
  readonly vsId?: string;
}

const DEFAULT_DRAIN_POLL_MS = 1000;

/** What a monitor's behaviour depends on: its real server's address and checkers, and the virtual host. */
function signatureOf(vs: VirtualServer, rs: RealServer): string {
  return JSON.stringify({ address: rs.address, port: rs.port, virtualhost: vs.virtualhost ?? null, checkers: rs.checkers }, (key, value: unknown) =>
    (key === 'at' ? undefined : value));
}

class KeepalivedDirector extends EventEmitter implements Director {
  private config: KeepalivedConfig;
  private readonly tracked = new Map<string, Tracked>();
  private readonly quorum = new Map<string, boolean>();
  private readonly draining = new Map<string, DrainRecord>();
  /** Real servers removed by the last reload, by `ownedKey` in each service of their virtual server (status of their drain). */
  private former = new Map<string, { readonly rs: RealServer; readonly vsId: string }>();
  /** Services of an earlier configuration still to delete. */
  private retired = new Map<string, ServiceKey>();
  private readonly startedAt = new Date();
  private lastReconcile: ReconcileReport | undefined;
  private inFlight: Promise<ReconcileReport> | undefined;
  private queued: Promise<ReconcileReport> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  private readonly now: () => number;
  private readonly runScript: (script: string) => void;

  constructor(
    private readonly ipvs: IpvsApi,
    config: KeepalivedConfig,
    private readonly options: DirectorOptions,
  ) {
    super();
    this.config = config;
    this.now = options.now ?? Date.now;
    this.runScript = options.runScript ?? ((script) => startScript(script));
    // fail early on what the wanted table cannot be made of (an unknown group, a service named twice)
    this.wanted();
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('the director is already started');
    this.started = true;
    const kernel = await readOwned(this.ipvs, this.ownedServices());
    for (const vs of this.config.virtualServers) {
      for (const rs of vs.realServers) this.track(vs, rs, kernel.destinations);
    }
    for (const vs of this.config.virtualServers) this.startQuorum(vs);
    for (const t of this.tracked.values()) t.monitor.start();
    await this.reconcile();
  }

  async reload(config: KeepalivedConfig): Promise<void> {
    if (!this.started || this.stopped) throw new Error('the director is not running');
    const old = this.config;
    // check the new configuration before anything changes
    wantedTable({ config, health: new Map(), quorum: new Map() });
    const before = new Map(old.virtualServers.flatMap((vs) => servicesOf(vs, old)).map((k) => [serviceId(k), k]));
    this.config = config;
    const wantedIds = new Set<string>();
    for (const vs of config.virtualServers) {
      for (const rs of vs.realServers) {
        const id = realServerId(vs, rs);
        wantedIds.add(id);
        const kept = this.tracked.get(id);
        if (kept && kept.signature === signatureOf(vs, rs)) {
          kept.vs = vs;
          kept.rs = rs;
          continue;
        }
        if (kept) this.untrack(kept);
        this.track(vs, rs, undefined).monitor.start();
      }
    }
    this.former = new Map();
    for (const t of [...this.tracked.values()]) {
      if (wantedIds.has(t.id)) continue;
      for (const service of servicesOf(t.vs, old)) this.former.set(ownedKey(service, destinationKeyOf(t.rs, service)), { rs: t.rs, vsId: virtualServerId(t.vs) });
      // keepalived runs the down notifier of a live server it removes on reload
      if (this.isUp(t) && t.rs.notifyDown) this.runScriptSafely(t.rs.notifyDown);
      this.untrack(t);
    }
    const previous = new Set(old.virtualServers.map(virtualServerId));
    for (const vs of config.virtualServers) {
      const id = virtualServerId(vs);
      if (previous.has(id) && this.quorum.has(id)) this.updateQuorum(vs);
      else this.startQuorum(vs);
    }
    for (const id of [...this.quorum.keys()]) if (!config.virtualServers.some((vs) => virtualServerId(vs) === id)) this.quorum.delete(id);
    const now = new Set(this.ownedServices().map(serviceId));
    for (const [id, key] of before) if (!now.has(id)) this.retired.set(id, key);
    this.log('info', `reloaded ${config.file}: ${config.virtualServers.length} virtual servers`);
    await this.reconcile();
  }

  reconcile(): Promise<ReconcileReport> {
    if (!this.inFlight) {
      this.inFlight = this.runReconcile().finally(() => (this.inFlight = undefined));
      return this.inFlight;
    }
    // one more run after the one in flight, shared by every trigger meanwhile
    this.queued ??= this.inFlight.then(() => {
      this.queued = undefined;
      return this.reconcile();
    });
    return this.queued;
  }

  async stop(options: { readonly flush?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all([...this.tracked.values()].map((t) => t.monitor.stop()));
    await this.inFlight?.catch(() => undefined);
    await this.queued?.catch(() => undefined);
    if (!options.flush) return;
    const owned = this.ownedServices();
    const current = await readOwned(this.ipvs, owned);
    const outcome = await applyOwned(this.ipvs, current.ruleset, { services: [] });
    if (outcome.error) {
      this.log('error', `flushing the configured services failed: ${outcome.error}`);
      throw new Error(`flushing the configured services failed: ${outcome.error}`);
    }
    this.log('info', `removed ${current.ruleset.services.length} configured services`);
    // omega: the down notifiers run on the way out (keepalived's clear_services)
    for (const vs of this.config.virtualServers) {
      if (!vs.omega) continue;
      for (const rs of vs.realServers) {
        const t = this.tracked.get(realServerId(vs, rs));
        if (t && this.isUp(t) && rs.notifyDown) this.runScriptSafely(rs.notifyDown);
      }
      if (this.quorum.get(virtualServerId(vs)) && vs.quorumDown) this.runScriptSafely(vs.quorumDown);
    }
  }

  status(): DirectorStatus {
    const table = this.wanted();
    const virtualServers: VirtualServerStatus[] = table.virtualServers.map((w) => {
      const vs = w.virtualServer;
      const drainingHere = [...this.draining.values()].filter((d) => w.services.some((k) => serviceId(k) === serviceId(d.service)));
      const realServers: RealServerStatus[] = w.realServers.map((r) => {
        const t = this.tracked.get(r.id);
        const drains = drainingHere.some((d) => d.vsId === w.id && d.rs && d.rs.address === r.realServer.address && d.rs.port === r.realServer.port);
        return {
          address: r.realServer.address,
          port: r.realServer.port,
          at: r.realServer.at,
          configuredWeight: r.realServer.weight,
          ...(r.weight !== undefined ? { wantedWeight: r.weight } : {}),
          state: drains ? 'draining' : t && this.isUp(t) ? 'up' : 'down',
          health: t ? this.healthOf(t) : { up: false, checkers: [] },
        };
      });
      // servers removed from the configuration that are still draining
      const listed = new Set(realServers.map((r) => `${r.address} ${r.port}`));
      for (const d of drainingHere) {
        if (!d.rs || d.vsId !== w.id || listed.has(`${d.rs.address} ${d.rs.port}`)) continue;
        listed.add(`${d.rs.address} ${d.rs.port}`);
        realServers.push({
          address: d.rs.address, port: d.rs.port, at: d.rs.at, configuredWeight: d.rs.weight, wantedWeight: 0, state: 'draining',
          health: { up: false, checkers: [] },
        });
      }
      return {
        name: w.name,
        at: vs.at,
        services: w.services,
        quorum: { required: vs.quorum, hysteresis: vs.hysteresis, upWeight: liveWeight(vs, this.healthMap()), met: w.quorumMet },
        ...(vs.sorryServer ? { sorryServer: { address: vs.sorryServer.address, port: vs.sorryServer.port, active: w.sorryActive } } : {}),
        realServers,
      };
    });
    return {
      configFile: this.config.file,
      startedAt: this.startedAt,
      ...(this.lastReconcile ? { lastReconcile: this.lastReconcile } : {}),
      virtualServers,
    };
  }

  // ---- health ----

  private track(vs: VirtualServer, rs: RealServer, kernel: OwnedTable['destinations'] | undefined): Tracked {
    const id = realServerId(vs, rs);
    const monitor = this.options.monitorFactory(rs, vs);
    const t: Tracked = { id, vs, rs, monitor, signature: signatureOf(vs, rs), up: false, notified: false };
    const adopted = kernel && rs.checkers.length > 0 ? this.adoptedState(vs, rs, kernel) : undefined;
    if (adopted !== undefined) t.adopted = adopted;
    t.up = this.isUp(t);
    const dynamicWeight = monitor.state.dynamicWeight;
    if (dynamicWeight !== undefined) t.dynamicWeight = dynamicWeight;
    monitor.on('change', () => this.onHealth(t, true));
    monitor.on('result', () => this.onHealth(t, false));
    this.tracked.set(id, t);
    return t;
  }

  private untrack(t: Tracked): void {
    this.tracked.delete(t.id);
    t.monitor.removeAllListeners('change');
    t.monitor.removeAllListeners('result');
    t.monitor.stop().catch((error: unknown) => this.log('warning', `stopping the checks of ${hostPort(t.rs.address, t.rs.port)}: ${String(error)}`));
  }

  /**
   * At start: a configured real server the kernel has at weight > 0 counts as up, one it has at
   * weight 0 (inhibited) as down, until each of its checkers has reported once; one it lacks starts
   * as its monitor says (keepalived: up, down under alpha).
   */
  private adoptedState(vs: VirtualServer, rs: RealServer, kernel: OwnedTable['destinations']): boolean | undefined {
    const sorry = vs.sorryServer;
    for (const service of servicesOf(vs, this.config)) {
      const key = destinationKeyOf(rs, service);
      const found = kernel.get(ownedKey(service, key));
      if (!found) continue;
      // the sorry server's entry says nothing about a real server at the same address
      if (sorry && destinationKeyOf(sorry, service).address === key.address && destinationKeyOf(sorry, service).port === key.port) continue;
      return found.destination.weight > 0;
    }
    return undefined;
  }

  private isUp(t: Tracked): boolean {
    return t.adopted ?? t.monitor.state.up;
  }

  private healthOf(t: Tracked): HealthState {
    return t.monitor.state;
  }

  private healthMap(): Map<string, ServerHealth> {
    const map = new Map<string, ServerHealth>();
    for (const t of this.tracked.values()) {
      const dynamicWeight = t.monitor.state.dynamicWeight;
      map.set(t.id, { up: this.isUp(t), ...(dynamicWeight !== undefined ? { dynamicWeight } : {}) });
    }
    return map;
  }

  private onHealth(t: Tracked, changed: boolean): void {
    if (this.stopped || this.tracked.get(t.id) !== t) return;
    const state = t.monitor.state;
    const firstRound = t.adopted !== undefined && (changed || state.checkers.every((c) => c.last !== undefined));
    if (firstRound) delete t.adopted;
    const up = this.isUp(t);
    const weightChanged = state.dynamicWeight !== t.dynamicWeight;
    if (state.dynamicWeight === undefined) delete t.dynamicWeight;
    else t.dynamicWeight = state.dynamicWeight;
    const flipped = up !== t.up;
    if (flipped) {
      t.up = up;
      this.log('info', `real server ${hostPort(t.rs.address, t.rs.port)} of ${virtualServerName(t.vs)} is ${up ? 'up' : 'down'}`);
      this.emit('health', { virtualServer: virtualServerName(t.vs), realServer: hostPort(t.rs.address, t.rs.port), state });
      this.notify(t, up);
    } else if (!t.notified && (changed || firstRound) && (!up || t.rs.checkers.some((c) => c.alpha))) {
      // keepalived notifies the first verdict of a checker under alpha, or when it is down
      this.notify(t, up);
    }
    if (flipped || weightChanged || firstRound) {
      this.updateQuorum(t.vs);
      if (this.started && !this.stopped) void this.reconcile();
    }
  }

  private notify(t: Tracked, up: boolean): void {
    t.notified = true;
    const script = up ? t.rs.notifyUp : t.rs.notifyDown;
    if (script) this.runScriptSafely(script);
  }

  // ---- quorum ----

  private startQuorum(vs: VirtualServer): void {
    const met = initialQuorum(vs, liveWeight(vs, this.healthMap()));
    this.quorum.set(virtualServerId(vs), met);
    // keepalived starts with quorum down (and says so) only when a sorry server is there to add
    if (!met && vs.sorryServer) {
      this.log('info', `starting with quorum down for ${virtualServerName(vs)}`);
      if (vs.quorumDown) this.runScriptSafely(vs.quorumDown);
    }
  }

  private updateQuorum(vs: VirtualServer): void {
    const id = virtualServerId(vs);
    const was = this.quorum.get(id) ?? true;
    const weight = liveWeight(vs, this.healthMap());
    const met = nextQuorum(vs, was, weight);
    if (met === was) return;
    this.quorum.set(id, met);
    this.log('info', `${met ? 'gained' : 'lost'} quorum ${vs.quorum}${met ? '+' : '-'}${vs.hysteresis} (live weight ${weight}) for ${virtualServerName(vs)}`);
    this.emit('quorum', { virtualServer: virtualServerName(vs), met });
    const script = met ? vs.quorumUp : vs.quorumDown;
    if (script) this.runScriptSafely(script);
  }

  // ---- reconciling ----

  private ownedServices(): ServiceKey[] {
    const keys = new Map<string, ServiceKey>();
    for (const vs of this.config.virtualServers) for (const k of servicesOf(vs, this.config)) keys.set(serviceId(k), k);
    for (const [id, k] of this.retired) if (!keys.has(id)) keys.set(id, k);
    return [...keys.values()];
  }

  private wanted(draining: readonly DrainingServer[] = []): WantedTable {
    return wantedTable({ config: this.config, health: this.healthMap(), quorum: this.quorum, draining });
  }

  private async runReconcile(): Promise<ReconcileReport> {
    let report: ReconcileReport;
    try {
      report = await this.reconcileOnce();
    } catch (error) {
      report = { at: new Date(this.now()), changes: 0, error: error instanceof Error ? error.message : String(error) };
    }
    this.lastReconcile = report;
    if (report.error) this.log('error', `reconcile failed (retried on the next trigger): ${report.error}`);
    this.emit('reconcile', report);
    this.schedule();
    return report;
  }

  private async reconcileOnce(): Promise<ReconcileReport> {
    const now = this.now();
    const current = await readOwned(this.ipvs, this.ownedServices());
    const plain = this.wanted();
    this.updateDrains(current, plain, now);
    const wanted = this.wanted([...this.draining.values()]);
    const retiredIds = new Set(this.retired.keys());
    const outcome = await applyOwned(this.ipvs, current.ruleset, wanted.ruleset);
    if (outcome.error) return { at: new Date(now), changes: 0, error: outcome.error };
    for (const op of outcome.operations) this.log('detail', describeOperation(op));
    for (const id of retiredIds) this.retired.delete(id);
    return { at: new Date(now), changes: outcome.operations.length };
  }

  /**
   * Which unwanted real servers of wanted services keep draining: with a drain timeout, one the
   * kernel has that the table no longer wants stays at weight 0 until its active connections reach 0
   * or the timeout passes (a weight-0 leftover of an earlier run drains from now on).
   */
  private updateDrains(current: OwnedTable, plain: WantedTable, now: number): void {
    const timeout = this.options.drainTimeoutMs;
    if (timeout === undefined) {
      this.draining.clear();
      return;
    }
    const wantedHere = new Map(plain.ruleset.services.map((s) => [serviceId(s.key), s]));
    const vsOf = new Map(plain.virtualServers.flatMap((w) => w.services.map((k) => [serviceId(k), w.virtualServer] as const)));
    const keep = new Map<string, DrainRecord>();
    for (const [key, { service, destination }] of current.destinations) {
      const want = wantedHere.get(serviceId(service));
      if (!want || want.destinations.some((d) => d.key.address === destination.key.address && d.key.port === destination.key.port)) continue;
      const record = this.draining.get(key) ?? this.newDrain(service, destination, vsOf.get(serviceId(service)), now);
      if (drainVerdict(destination.activeConnections, record.since, now, timeout) === 'delete') {
        if (this.draining.has(key)) {
          this.log('info', `drained ${hostPort(destination.key.address, destination.key.port)} of ${serviceId(service)} (${destination.activeConnections} active connections left)`);
        }
        continue;
      }
      keep.set(key, record);
    }
    this.draining.clear();
    for (const [key, record] of keep) this.draining.set(key, record);
  }

  private newDrain(service: ServiceKey, d: { readonly key: RuleDestination['key'] } & RuleDestination['options'], vs: VirtualServer | undefined, now: number): DrainRecord {
    const destination: RuleDestination = {
      key: { family: d.key.family, address: d.key.address, port: d.key.port },
      options: {
        forwarding: d.forwarding, weight: 0, upperThreshold: d.upperThreshold, lowerThreshold: d.lowerThreshold, tunnelType: d.tunnelType,
        tunnelPort: d.tunnelPort, tunnelFlags: d.tunnelFlags,
      },
    };
    // the real server it was: in this configuration (failed), or in the one it was removed from
    const rs = vs?.realServers.find((r) => destinationKeyOf(r, service).address === d.key.address && destinationKeyOf(r, service).port === d.key.port);
    const former = this.former.get(ownedKey(service, d.key));
    this.log('info', `draining ${hostPort(d.key.address, d.key.port)} of ${serviceId(service)}`);
    const known = rs && vs ? { rs, vsId: virtualServerId(vs) } : former;
    return { service, destination, since: now, ...(known ?? {}) };
  }

  /** The next periodic reconcile: the shortest delay_loop, or sooner while servers drain. */
  private schedule(): void {
    if (this.stopped || !this.started) return;
    if (this.timer) clearTimeout(this.timer);
    const loops = this.config.virtualServers.map((vs) => vs.delayLoopMs).filter((ms) => ms > 0);
    let next = loops.length > 0 ? Math.min(...loops) : 60_000;
    if (this.draining.size > 0) next = Math.min(next, this.options.drainPollMs ?? DEFAULT_DRAIN_POLL_MS);
    this.timer = setTimeout(() => void this.reconcile(), next);
  }

  private runScriptSafely(script: string): void {
    try {
      this.runScript(script);
    } catch (error) {
      this.log('warning', `running "${script}": ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private log(level: 'info' | 'detail' | 'warning' | 'error', text: string): void {
    this.emit('log', { level, text });
  }
}

/** A director for `config` over `ipvs`; nothing happens until `start()`. Throws for a configuration it cannot make a table of. */
export function createDirector(ipvs: IpvsApi, config: KeepalivedConfig, options: DirectorOptions): Director {
  return new KeepalivedDirector(ipvs, config, options);
}
