/**
 * What lowers an instance's priority or puts it in FAULT: `vrrp_script`s (run every interval, good after
 * `rise` successes in a row, bad after `fall` failures) and `track_interface`s (link state). Pure
 * rules first (`trackedPriority`), then the script tracker with an injected runner and clock.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../clock';
import { PRIORITY_OWNER } from './machine';
import type { VrrpInstanceConfig, VrrpScriptConfig } from '../config/vrrp-model';

export type TrackState = 'unknown' | 'up' | 'down';

export interface TrackedOutcome {
  /** The priority to advertise (an address owner keeps 255). */
  readonly priority: number;
  /** A weight-0 script or interface is down. */
  readonly faulty: boolean;
  readonly reasons: readonly string[];
}

/**
 * keepalived's rule: a positive weight is added while its script/interface is up, a negative one
 * while it is down, a zero weight makes "down" a FAULT; the total is kept within 1-254. Scripts not
 * yet run count as neither.
 */
export function trackedPriority(
  instance: Pick<VrrpInstanceConfig, 'priority' | 'trackScripts' | 'trackInterfaces'>,
  scripts: ReadonlyMap<string, { readonly config: Pick<VrrpScriptConfig, 'weight'>; readonly state: TrackState }>,
  interfaces: ReadonlyMap<string, TrackState>,
): TrackedOutcome {
  let total = instance.priority;
  let faulty = false;
  const reasons: string[] = [];
  const count = (what: string, weight: number, state: TrackState) => {
    if (state === 'unknown') return;
    if (weight === 0) {
      if (state === 'down') {
        faulty = true;
        reasons.push(`${what} is down`);
      }
    } else if (weight > 0 && state === 'up') {
      total += weight;
      reasons.push(`${what} up: +${weight}`);
    } else if (weight < 0 && state === 'down') {
      total += weight;
      reasons.push(`${what} down: ${weight}`);
    }
  };
  for (const t of instance.trackScripts) {
    const script = scripts.get(t.name);
    if (script) count(`script ${t.name}`, t.weight ?? script.config.weight, script.state);
  }
  for (const t of instance.trackInterfaces) count(`interface ${t.name}`, t.weight, interfaces.get(t.name) ?? 'unknown');
  const priority = instance.priority === PRIORITY_OWNER ? PRIORITY_OWNER : Math.min(PRIORITY_OWNER - 1, Math.max(1, total));
  return { priority, faulty, reasons };
}

/** Runs a script (a /bin/sh -c line) within a timeout; resolves true when it exited 0. */
export type ScriptRunner = (command: string, timeoutMs: number) => Promise<boolean>;

/** Emits 'change' (TrackState) when the script's state changes. */
export class ScriptTracker extends EventEmitter {
  private current: TrackState = 'unknown';
  private successes = 0;
  private failures = 0;
  private timer: unknown;
  private stopped = false;
  private running: Promise<void> = Promise.resolve();

  constructor(readonly config: VrrpScriptConfig, private readonly run: ScriptRunner, private readonly clock: Clock) {
    super();
    // init_fail: failed until `rise` successes, as keepalived starts such a script
    if (config.initFail) this.current = 'down';
  }

  get state(): TrackState {
    return this.current;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(ms: number): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.running = this.runOnce().then(() => {
        if (!this.stopped) this.schedule(this.config.intervalMs);
      });
    }, ms);
  }

  private async runOnce(): Promise<void> {
    const c = this.config;
    const ok = await this.run(c.script, c.timeoutMs > 0 ? c.timeoutMs : c.intervalMs);
    if (this.stopped) return;
    this.record(ok);
  }

  /** The first result decides at once; then `rise` successes or `fall` failures in a row change the state. */
  record(ok: boolean): void {
    if (ok) {
      this.successes++;
      this.failures = 0;
    } else {
      this.failures++;
      this.successes = 0;
    }
    let next = this.current;
    if (this.current === 'unknown') next = ok ? 'up' : 'down';
    else if (this.current === 'down' && this.successes >= this.config.rise) next = 'up';
    else if (this.current === 'up' && this.failures >= this.config.fall) next = 'down';
    if (next !== this.current) {
      this.current = next;
      this.emit('change', next);
    }
  }
}
