/**
 * The VRRP state machine of one instance (RFC 3768 6.4, RFC 5798 6.4, with keepalived's choices where
 * the RFCs leave room), as a pure function: `step(machine, event)` returns the next machine and the
 * actions to carry out (send an advert, announce the addresses, add or remove them, notify). Time
 * comes in with each event (milliseconds); the driver arms one timer for `machine.deadline`.
 */
import type { VrrpVersion } from '../config/vrrp-model';
import type { ReceivedAdvert } from './packet';

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

export const PRIORITY_OWNER = 255;
/** Adverts a backup misses before it takes over (keepalived's down_timer_adverts default). */
const DOWN_TIMER_ADVERTS = 3;

export interface MachineSettings {
  readonly version: VrrpVersion;
  /** Our advert interval, centiseconds. */
  readonly intervalCs: number;
  /** `state MASTER` in the configuration: after start, wait one interval (not three) for another master. */
  readonly wantMaster: boolean;
  /** `nopreempt` gives false. */
  readonly preempt: boolean;
  readonly preemptDelayMs: number;
  /** The address our adverts leave from (ties of equal priority go to the higher address). */
  readonly primaryAddress: string;
  /** keepalived's lower_prio_no_advert: a master that hears a lower priority does not answer at once. */
  readonly lowerPriorityNoAdvert: boolean;
}

export interface Machine {
  readonly state: VrrpState;
  readonly settings: MachineSettings;
  /** Configured priority (255: address owner). */
  readonly basePriority: number;
  /** After tracked scripts and interfaces; what we advertise. */
  readonly priority: number;
  /** The master's interval as learnt from its adverts (version 3), else ours. */
  readonly masterIntervalCs: number;
  readonly masterAddress?: string;
  readonly masterPriority?: number;
  /** When the running timer (advert timer as MASTER, master-down timer as BACKUP) fires; undefined when none runs. */
  readonly deadline?: number;
  /** Preemption allowed from this time (preempt_delay running); undefined when not waiting. */
  readonly preemptAt?: number;
}

export type MachineEvent =
  | { readonly type: 'start'; readonly now: number; readonly faulty?: boolean }
  | { readonly type: 'advert'; readonly now: number; readonly advert: ReceivedAdvert }
  | { readonly type: 'timer'; readonly now: number }
  | { readonly type: 'priority'; readonly now: number; readonly priority: number }
  | { readonly type: 'fault'; readonly now: number; readonly faulty: boolean }
  /** A vrrp_sync_group moves every member with the one that changed. */
  | { readonly type: 'follow'; readonly now: number; readonly to: 'MASTER' | 'BACKUP'; readonly reason: string }
  | { readonly type: 'stop'; readonly now: number };

export type MachineAction =
  | { readonly type: 'send'; readonly priority: number }
  /** Gratuitous ARP for the virtual addresses (the driver repeats and refreshes as configured). */
  | { readonly type: 'announce' }
  | { readonly type: 'add-addresses' }
  | { readonly type: 'remove-addresses' }
  | { readonly type: 'transition'; readonly from: VrrpState; readonly to: VrrpState; readonly reason: string };

export interface StepResult {
  readonly machine: Machine;
  readonly actions: readonly MachineAction[];
}

export function createMachine(settings: MachineSettings, priority: number): Machine {
  return { state: 'INIT', settings, basePriority: priority, priority, masterIntervalCs: settings.intervalCs };
}

/** Skew_Time in ms: (256 - priority) / 256 of a second (v2) or of the master's interval (v3). */
export function skewMs(machine: Pick<Machine, 'settings' | 'masterIntervalCs' | 'basePriority' | 'priority'>, priority = skewPriority(machine)): number {
  const unit = machine.settings.version === 3 ? machine.masterIntervalCs * 10 : 1000;
  return ((256 - priority) * unit) / 256;
}

function skewPriority(machine: Pick<Machine, 'basePriority' | 'priority'>): number {
  return machine.basePriority === PRIORITY_OWNER ? PRIORITY_OWNER : machine.priority;
}

/** Master_Down_Interval in ms: three of the master's intervals plus the skew. */
export function masterDownMs(machine: Pick<Machine, 'settings' | 'masterIntervalCs' | 'basePriority' | 'priority'>): number {
  return DOWN_TIMER_ADVERTS * machine.masterIntervalCs * 10 + skewMs(machine);
}

/** Compares dotted IPv4 addresses numerically. */
function compareAddresses(a: string, b: string): number {
  const n = (s: string) => s.split('.').reduce((v, part) => v * 256 + Number(part), 0);
  return Math.sign(n(a) - n(b));
}

function transition(from: VrrpState, to: VrrpState, reason: string): MachineAction {
  return { type: 'transition', from, to, reason };
}

function becomeMaster(m: Machine, now: number, reason: string): StepResult {
  const next: Machine = { ...m, state: 'MASTER', deadline: now + m.settings.intervalCs * 10, masterAddress: m.settings.primaryAddress, masterPriority: m.priority, masterIntervalCs: m.settings.intervalCs, preemptAt: undefined };
  return {
    machine: next,
    actions: [{ type: 'send', priority: m.priority }, { type: 'add-addresses' }, { type: 'announce' }, transition(m.state, 'MASTER', reason)],
  };
}

function becomeBackup(m: Machine, now: number, reason: string, downMs = masterDownMs(m)): StepResult {
  const leaving = m.state === 'MASTER';
  const next: Machine = { ...m, state: 'BACKUP', deadline: now + downMs };
  return {
    machine: next,
    actions: [...(leaving ? [{ type: 'remove-addresses' } as const] : []), ...(m.state === 'BACKUP' ? [] : [transition(m.state, 'BACKUP', reason)])],
  };
}

function backupReceives(m: Machine, advert: ReceivedAdvert, now: number): StepResult {
  if (advert.priority === 0) {
    // the master is leaving: take over after the skew only
    return { machine: { ...m, deadline: now + skewMs(m) }, actions: [] };
  }
  const preemptDelayed = m.settings.preemptDelayMs > 0 && (m.preemptAt === undefined || m.preemptAt > now);
  if (!m.settings.preempt || advert.priority >= m.priority || preemptDelayed) {
    const masterIntervalCs = m.settings.version === 3 ? advert.intervalCs : m.masterIntervalCs;
    let preemptAt = m.preemptAt;
    if (m.settings.preemptDelayMs > 0) {
      if (advert.priority >= m.priority) preemptAt = undefined;
      else if (preemptAt === undefined) preemptAt = now + m.settings.preemptDelayMs;
    }
    const accepted: Machine = { ...m, masterIntervalCs, masterAddress: advert.source, masterPriority: advert.priority, preemptAt };
    return { machine: { ...accepted, deadline: now + masterDownMs(accepted) }, actions: [] };
  }
  // a lower priority master and we may preempt: ignore it, our down timer keeps running
  return { machine: { ...m, masterAddress: advert.source, masterPriority: advert.priority }, actions: [] };
}

function masterReceives(m: Machine, advert: ReceivedAdvert, now: number): StepResult {
  if (advert.priority === 0) {
    // another master left: answer at once so backups do not take over
    return { machine: { ...m, deadline: now + m.settings.intervalCs * 10 }, actions: [{ type: 'send', priority: m.priority }] };
  }
  const ours = compareAddresses(advert.source, m.settings.primaryAddress);
  if (advert.priority > m.priority || (advert.priority === m.priority && ours > 0)) {
    const masterIntervalCs = m.settings.version === 3 ? advert.intervalCs : m.masterIntervalCs;
    const yielded: Machine = { ...m, masterIntervalCs, masterAddress: advert.source, masterPriority: advert.priority };
    return becomeBackup(yielded, now, `higher priority advert from ${advert.source} (${advert.priority})`);
  }
  // a lower priority (or an equal one from a lower address): assert ourselves unless told not to
  return { machine: m, actions: m.settings.lowerPriorityNoAdvert ? [] : [{ type: 'send', priority: m.priority }] };
}

/** The next machine and what to do, for one event. */
export function step(m: Machine, event: MachineEvent): StepResult {
  const { now } = event;
  if (m.state === 'STOP') return { machine: m, actions: [] };
  switch (event.type) {
    case 'start': {
      if (event.faulty) return { machine: { ...m, state: 'FAULT', deadline: undefined }, actions: [transition(m.state, 'FAULT', 'a tracked interface or script is down')] };
      if (m.basePriority === PRIORITY_OWNER) return becomeMaster(m, now, 'address owner (priority 255)');
      // keepalived: an instance configured MASTER waits one interval (and the smallest skew) for another master, the others a full down interval
      const wait = m.settings.wantMaster ? m.settings.intervalCs * 10 + skewMs(m, PRIORITY_OWNER) : masterDownMs(m);
      return becomeBackup(m, now, 'start', wait);
    }
    case 'timer': {
      if (m.deadline === undefined || now < m.deadline) return { machine: m, actions: [] };
      if (m.state === 'MASTER') return { machine: { ...m, deadline: now + m.settings.intervalCs * 10 }, actions: [{ type: 'send', priority: m.priority }] };
      if (m.state === 'BACKUP') return becomeMaster(m, now, 'no advert from a master within the master-down interval');
      return { machine: { ...m, deadline: undefined }, actions: [] };
    }
    case 'advert':
      if (m.state === 'BACKUP') return backupReceives(m, event.advert, now);
      if (m.state === 'MASTER') return masterReceives(m, event.advert, now);
      return { machine: m, actions: [] };
    case 'priority': {
      const next: Machine = { ...m, priority: event.priority };
      // a master advertises its new priority at once so a higher backup can preempt without waiting
      return { machine: next, actions: m.state === 'MASTER' && event.priority !== m.priority ? [{ type: 'send', priority: event.priority }] : [] };
    }
    case 'fault': {
      if (event.faulty) {
        if (m.state === 'FAULT') return { machine: m, actions: [] };
        const actions: MachineAction[] = m.state === 'MASTER' ? [{ type: 'send', priority: 0 }, { type: 'remove-addresses' }] : [];
        return { machine: { ...m, state: 'FAULT', deadline: undefined, masterAddress: undefined }, actions: [...actions, transition(m.state, 'FAULT', 'a tracked interface or script is down')] };
      }
      if (m.state !== 'FAULT') return { machine: m, actions: [] };
      return becomeBackup({ ...m, masterIntervalCs: m.settings.intervalCs }, now, 'fault cleared');
    }
    case 'follow': {
      if (m.state === event.to || m.state === 'FAULT' || m.state === 'INIT') return { machine: m, actions: [] };
      return event.to === 'MASTER' ? becomeMaster(m, now, event.reason) : becomeBackup(m, now, event.reason);
    }
    case 'stop': {
      const actions: MachineAction[] = m.state === 'MASTER' ? [{ type: 'send', priority: 0 }, { type: 'remove-addresses' }] : [];
      return { machine: { ...m, state: 'STOP', deadline: undefined }, actions: [...actions, transition(m.state, 'STOP', 'stopping')] };
    }
  }
}
