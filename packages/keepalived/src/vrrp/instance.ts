/**
 * One running VRRP instance: the state machine of machine.ts wired to its channel, its virtual
 * addresses, gratuitous ARP and notify scripts. Everything outside the process comes in through
 * `InstanceDeps`, so tests drive an instance with a fake channel and a fake clock.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../clock';
import type { ChannelOptions, VrrpChannel } from './io';
import { createMachine, step, type Machine, type MachineAction, type MachineEvent, type VrrpState } from './machine';
import { checkAdvert, decodeAdvert, encodeAdvert, type DropReason } from './packet';
import type { VirtualAddress, VrrpInstanceConfig } from '../config/vrrp-model';

/** Adds and removes virtual addresses (rtnetlink in production). */
export interface AddressManager {
  add(address: VirtualAddress, dev: string): Promise<void>;
  remove(address: VirtualAddress, dev: string): Promise<void>;
}

export interface InstanceDeps {
  openChannel(options: ChannelOptions): VrrpChannel;
  addresses: AddressManager;
  /** Gratuitous ARP for these addresses on this interface. */
  announce(interfaceName: string, addresses: readonly string[]): void;
  /** Runs a notify script (/bin/sh -c COMMAND ARGS...), without waiting for it. */
  notify(command: string, args: readonly string[]): void;
  clock: Clock;
  /** The source of our adverts when `unicast_src_ip` is not set: the interface's primary IPv4 address. */
  primaryAddress(interfaceName: string): string | undefined;
  log(level: 'info' | 'detail' | 'warning', text: string): void;
}

export interface Transition {
  readonly from: VrrpState;
  readonly to: VrrpState;
  readonly at: Date;
  readonly reason: string;
}

export interface InstanceStatus {
  readonly name: string;
  readonly state: VrrpState;
  readonly configuredPriority: number;
  readonly effectivePriority: number;
  readonly masterAddress?: string;
  readonly lastAdvertAt?: Date;
  /** The last transitions (at most 50). */
  readonly transitions: readonly Transition[];
  /** Every transition since start, by the state entered. */
  readonly transitionCounts: Readonly<Partial<Record<VrrpState, number>>>;
  readonly dropped: Readonly<Partial<Record<DropReason, number>>>;
}

/** Keeps the last transitions only: a flapping instance must not grow without bound. */
const TRANSITIONS_KEPT = 50;

/** Events: 'transition' (Transition), 'error' is never emitted (failures are logged; VRRP keeps running). */
export class VrrpInstance extends EventEmitter {
  private machine: Machine;
  private channel: VrrpChannel | undefined;
  private timer: unknown;
  private garpTimers: unknown[] = [];
  private lowerPriorityGarpPending = false;
  private source = '';
  private lastAdvertAt: Date | undefined;
  private readonly transitions: Transition[] = [];
  private readonly transitionCounts: Partial<Record<VrrpState, number>> = {};
  private readonly dropped: Partial<Record<DropReason, number>> = {};
  /** Address changes run one after another, in the order the machine asked for them. */
  private addressWork: Promise<void> = Promise.resolve();

  constructor(readonly config: VrrpInstanceConfig, private readonly deps: InstanceDeps) {
    super();
    this.machine = createMachine(
      {
        version: config.version,
        intervalCs: Math.round(config.advertIntMs / 10),
        wantMaster: config.wantMaster,
        preempt: config.preempt,
        preemptDelayMs: config.preemptDelayMs,
        primaryAddress: '0.0.0.0',
        lowerPriorityNoAdvert: config.lowerPriorityNoAdvert,
      },
      config.priority,
    );
  }

  get state(): VrrpState {
    return this.machine.state;
  }

  /** Opens the channel and enters BACKUP (or MASTER as address owner, or FAULT when `faulty`). */
  start(faulty = false): void {
    const source = this.config.unicastSource ?? this.deps.primaryAddress(this.config.interface);
    if (!source) throw new Error(`${this.config.name}: interface ${this.config.interface} has no IPv4 address to send adverts from`);
    this.source = source;
    this.machine = { ...this.machine, settings: { ...this.machine.settings, primaryAddress: source } };
    const channel = this.deps.openChannel({
      interfaceName: this.config.interface, source, group: this.config.mcastGroup, unicastPeers: this.config.unicastPeers,
    });
    channel.on('datagram', (datagram: Buffer) => this.receive(datagram));
    channel.on('error', (error: Error) => this.deps.log('warning', `${this.config.name}: ${error.message}`));
    this.channel = channel;
    this.handle({ type: 'start', now: this.deps.clock.now(), faulty });
  }

  /** The priority after tracked scripts and interfaces. */
  setPriority(priority: number): void {
    if (priority !== this.machine.priority) this.handle({ type: 'priority', now: this.deps.clock.now(), priority });
  }

  setFault(faulty: boolean): void {
    this.handle({ type: 'fault', now: this.deps.clock.now(), faulty });
  }

  /** Moves with the rest of its vrrp_sync_group. */
  follow(to: 'MASTER' | 'BACKUP', reason: string): void {
    this.handle({ type: 'follow', now: this.deps.clock.now(), to, reason });
  }

  /** Leaves: a master sends priority 0 and gives its addresses up; then the channel closes. */
  async stop(): Promise<void> {
    this.handle({ type: 'stop', now: this.deps.clock.now() });
    await this.addressWork;
    await this.channel?.close();
    this.channel = undefined;
  }

  status(): InstanceStatus {
    return {
      name: this.config.name,
      state: this.machine.state,
      configuredPriority: this.config.priority,
      effectivePriority: this.machine.priority,
      ...(this.machine.masterAddress ? { masterAddress: this.machine.masterAddress } : {}),
      ...(this.lastAdvertAt ? { lastAdvertAt: this.lastAdvertAt } : {}),
      transitions: [...this.transitions],
      transitionCounts: { ...this.transitionCounts },
      dropped: { ...this.dropped },
    };
  }

  private receive(datagram: Buffer): void {
    const decoded = decodeAdvert(datagram, this.config.version);
    const checked = decoded.ok
      ? checkAdvert(decoded.advert, {
          vrid: this.config.virtualRouterId,
          version: this.config.version,
          auth: this.config.auth,
          intervalCs: Math.round(this.config.advertIntMs / 10),
          addresses: this.config.addresses.map((a) => a.address),
          ...(this.config.skipCheckAdvAddr && this.machine.masterAddress ? { skipAddressCheckFrom: this.machine.masterAddress } : {}),
        })
      : decoded;
    if (!checked.ok) {
      // 'vrid' also counts the adverts of other virtual routers sharing the interface and group; they are
      // normal, so they are not logged
      this.dropped[checked.reason] = (this.dropped[checked.reason] ?? 0) + 1;
      if (checked.reason !== 'vrid') this.deps.log('detail', `${this.config.name}: dropped an advert: ${checked.detail}`);
      return;
    }
    this.lastAdvertAt = new Date();
    this.handle({ type: 'advert', now: this.deps.clock.now(), advert: checked.advert });
    const { priority } = checked.advert;
    if (this.machine.state === 'MASTER' && priority > 0 && priority < this.machine.priority) this.lowerPriorityGarps();
  }

  /**
   * Another router claims the VIPs with a lower priority while we are MASTER (it came up, or lost our
   * adverts): keepalived's garp_lower_prio_repeat gratuitous ARPs at once and again after
   * garp_lower_prio_delay, so the hosts that followed it come back.
   */
  private lowerPriorityGarps(): void {
    const repeat = this.config.garpLowerPrioRepeat ?? this.config.garpMasterRepeat;
    const delayMs = this.config.garpLowerPrioDelayMs ?? this.config.garpMasterDelayMs;
    if (repeat <= 0 || this.lowerPriorityGarpPending) return;
    this.garpBurst(repeat);
    if (delayMs <= 0) return;
    this.lowerPriorityGarpPending = true;
    this.garpTimers.push(
      this.deps.clock.setTimeout(() => {
        this.lowerPriorityGarpPending = false;
        this.garpBurst(repeat);
      }, delayMs),
    );
  }

  private handle(event: MachineEvent): void {
    const { machine, actions } = step(this.machine, event);
    this.machine = machine;
    for (const action of actions) this.carryOut(action);
    this.arm();
  }

  private arm(): void {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = this.machine.deadline;
    if (deadline === undefined) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      this.handle({ type: 'timer', now: Math.max(this.deps.clock.now(), deadline) });
    }, Math.max(0, deadline - this.deps.clock.now()));
  }

  private carryOut(action: MachineAction): void {
    const c = this.config;
    switch (action.type) {
      case 'send': {
        const advert = { version: c.version, vrid: c.virtualRouterId, priority: action.priority, intervalCs: Math.round(c.advertIntMs / 10), addresses: c.addresses.map((a) => a.address), auth: c.auth };
        this.channel?.send((destination) => encodeAdvert(advert, { source: this.source, destination }));
        return;
      }
      case 'add-addresses':
      case 'remove-addresses': {
        const adding = action.type === 'add-addresses';
        for (const address of [...c.addresses, ...c.excludedAddresses]) {
          const dev = address.dev ?? c.interface;
          this.addressWork = this.addressWork.then(() =>
            (adding ? this.deps.addresses.add(address, dev) : this.deps.addresses.remove(address, dev)).catch((error: unknown) =>
              this.deps.log('warning', `${c.name}: cannot ${adding ? 'add' : 'remove'} ${address.address}/${address.prefixLength} ${adding ? 'to' : 'from'} ${dev}: ${(error as Error).message}`),
            ),
          );
        }
        if (!adding) this.cancelGarps();
        return;
      }
      case 'announce':
        this.scheduleGarps();
        return;
      case 'transition': {
        const t: Transition = { from: action.from, to: action.to, at: new Date(), reason: action.reason };
        this.transitions.push(t);
        this.transitionCounts[action.to] = (this.transitionCounts[action.to] ?? 0) + 1;
        if (this.transitions.length > TRANSITIONS_KEPT) this.transitions.shift();
        this.deps.log('info', `(${c.name}) Entering ${action.to} STATE (${action.reason})`);
        this.emit('transition', t);
        this.runNotify(action.to);
        return;
      }
    }
  }

  /** `times` gratuitous ARPs for every virtual address, per device; none unless MASTER. */
  private garpBurst(times: number): void {
    if (this.machine.state !== 'MASTER') return;
    const c = this.config;
    const byDevice = new Map<string, string[]>();
    for (const a of [...c.addresses, ...c.excludedAddresses]) {
      const dev = a.dev ?? c.interface;
      byDevice.set(dev, [...(byDevice.get(dev) ?? []), a.address]);
    }
    for (const [dev, addresses] of byDevice) {
      for (let i = 0; i < times; i++) {
        try {
          this.deps.announce(dev, addresses);
        } catch (error) {
          this.deps.log('warning', `${c.name}: gratuitous ARP on ${dev}: ${(error as Error).message}`);
        }
      }
    }
  }

  /** A burst once the addresses are in, another after garp_master_delay, then every garp_master_refresh. */
  private scheduleGarps(): void {
    this.cancelGarps();
    const c = this.config;
    const burst = (times: number) => this.garpBurst(times);
    void this.addressWork.then(() => burst(c.garpMasterRepeat));
    if (c.garpMasterDelayMs > 0) this.garpTimers.push(this.deps.clock.setTimeout(() => burst(c.garpMasterRepeat), c.garpMasterDelayMs));
    if (c.garpMasterRefreshMs > 0) {
      const refresh = () => {
        burst(c.garpMasterRefreshRepeat);
        this.garpTimers.push(this.deps.clock.setTimeout(refresh, c.garpMasterRefreshMs));
      };
      this.garpTimers.push(this.deps.clock.setTimeout(refresh, c.garpMasterRefreshMs));
    }
  }

  private cancelGarps(): void {
    for (const t of this.garpTimers) this.deps.clock.clearTimeout(t);
    this.garpTimers = [];
    this.lowerPriorityGarpPending = false;
  }

  private runNotify(state: VrrpState): void {
    const n = this.config.notify;
    const specific = state === 'MASTER' ? n.master : state === 'BACKUP' ? n.backup : state === 'FAULT' ? n.fault : state === 'STOP' ? n.stop : undefined;
    if (specific) this.deps.notify(specific, []);
    if (n.any && state !== 'INIT') this.deps.notify(n.any, ['INSTANCE', this.config.name, state, String(this.machine.priority)]);
  }
}
