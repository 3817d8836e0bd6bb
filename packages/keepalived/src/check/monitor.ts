/**
 * The per-real-server monitor: runs each of its checkers on keepalived 2.2.7's schedule (check_api.c,
 * check_tcp.c, check_http.c, check_misc.c, check_data.c) and reports the server's health.
 *
 * Per checker:
 * - the first attempt runs `bootstrapDelayMs` (keepalived's BOOTSTRAP_DELAY, 1 s) plus a random part
 *   of `warmup` after start();
 * - it starts up, or down with `alpha`; the very first failed attempt puts it down at once (keepalived
 *   starts the retry counter exhausted), afterwards it goes down after retry + 1 failed attempts in a
 *   row, `delay_before_retry` apart; one success puts it up;
 * - after a success or a final failure the next attempt waits `delay_loop` (HTTP_GET/SSL_GET after a
 *   final failure: max(delay_loop, delay_before_retry)); while down, TCP_CHECK keeps its retry cycle,
 *   HTTP_GET/SSL_GET wait max(delay_loop, delay_before_retry), MISC_CHECK delay_loop;
 *   MISC_CHECK counts its delays from the start of the previous run, the others from its end;
 * - an attempt never overlaps the previous one.
 * The server is up when every checker is up (no checker: up). A misc_dynamic checker that is up and
 * exited 2..255 sets the weight (keepalived adds each such checker's difference to the configured weight).
 */
import { systemClock, type Clock } from '../clock';
import { EventEmitter } from 'node:events';
import type { CheckerConfig, RealServer, VirtualServer } from '../config/model';
import type { CheckerHealth, CheckResult, HealthMonitor, HealthState, MonitorFactory } from './health';
import { STOPPED, tcpTarget, type AttemptOutcome } from './attempt';
import { httpCheck, httpTarget } from './http';
import { miscCheck, miscTarget } from './misc';
import { tcpCheck } from './tcp';

/** Timers and time, injectable so tests run on a fake clock. */
/** Runs one attempt of a checker; must settle soon after `signal` aborts. */
export type Attempt = (signal: AbortSignal) => Promise<AttemptOutcome>;

/** Makes the attempt function of one checker (tests pass scripted ones). */
export type AttemptFactory = (checker: CheckerConfig, realServer: RealServer, virtualServer: VirtualServer) => Attempt;

export interface HealthMonitorOptions {
  readonly clock?: Clock;
  /** In [0, 1): the warmup fraction. Default Math.random. */
  readonly random?: () => number;
  /** Before the first attempt, added to the warmup. Default 1000 (keepalived's BOOTSTRAP_DELAY). */
  readonly bootstrapDelayMs?: number;
  /** MISC_CHECK: SIGTERM to SIGKILL after misc_timeout. Default 2000 (keepalived's). */
  readonly miscKillGraceMs?: number;
  readonly attemptFactory?: AttemptFactory;
}

/** The real checkers: TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK. */
export function realAttemptFactory(options: { miscKillGraceMs?: number } = {}): AttemptFactory {
  return (checker, realServer, virtualServer) => {
    switch (checker.kind) {
      case 'TCP_CHECK': {
        const target = tcpTarget(checker, realServer);
        return (signal) => tcpCheck(target, signal);
      }
      case 'HTTP_GET':
      case 'SSL_GET': {
        const target = httpTarget(checker, realServer, virtualServer);
        return (signal) => httpCheck(target, signal);
      }
      case 'MISC_CHECK': {
        const target = miscTarget(checker, options.miscKillGraceMs ?? 2000, virtualServer.delayLoopMs);
        return (signal) => miscCheck(target, signal);
      }
    }
  };
}

export function createHealthMonitorFactory(options: HealthMonitorOptions = {}): MonitorFactory {
  const attemptFactory = options.attemptFactory ?? realAttemptFactory(options);
  return (realServer, virtualServer) => new Monitor(realServer, virtualServer, attemptFactory, options);
}

/** The default factory: real checkers, real time. */
export const createHealthMonitor: MonitorFactory = createHealthMonitorFactory();

class CheckerRun {
  up: boolean;
  /** keepalived's retry_it: starts at retry, so the first failure is final. */
  private retryIt: number;
  private hasRun = false;
  failuresInRow = 0;
  last: CheckResult | undefined;
  /** misc_dynamic: the weight of the last successful exit, while up. */
  weight: number | undefined;
  private timer: unknown;
  private controller: AbortController | undefined;
  running: Promise<void> | undefined;

  constructor(
    readonly config: CheckerConfig,
    private readonly attempt: Attempt,
    private readonly clock: Clock,
    private readonly onResult: (run: CheckerRun) => void,
  ) {
    this.up = !config.alpha;
    this.retryIt = config.retry;
  }

  schedule(ms: number): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.running = this.run();
    }, Math.max(0, ms));
  }

  private async run(): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    const startedAt = this.clock.now();
    let outcome: AttemptOutcome;
    try {
      outcome = await this.attempt(controller.signal);
    } catch (err) {
      outcome = { ok: false, detail: `checker error: ${(err as Error).message}` };
    }
    this.controller = undefined;
    this.running = undefined;
    if (controller.signal.aborted || outcome === STOPPED) return;
    const delay = this.record(outcome);
    const from = this.config.kind === 'MISC_CHECK' ? startedAt : this.clock.now();
    this.schedule(from + delay - this.clock.now());
    this.onResult(this);
  }

  /** Applies keepalived's retry rules to one outcome; returns the delay before the next attempt. */
  private record(outcome: AttemptOutcome): number {
    const c = this.config;
    this.last = { ok: outcome.ok, detail: outcome.detail, at: new Date(this.clock.now()), ...(outcome.weight !== undefined ? { weight: outcome.weight } : {}) };
    const wasDown = !this.up && this.hasRun;
    this.hasRun = true;
    if (outcome.ok) {
      this.failuresInRow = 0;
      this.retryIt = 0;
      this.up = true;
      if (c.kind === 'MISC_CHECK' && c.dynamic) this.weight = outcome.weight;
      return c.delayLoopMs;
    }
    this.failuresInRow++;
    // HTTP_GET/SSL_GET remember the failed url and retry it at max(delay_loop, delay_before_retry)
    const failedUrlDelay = Math.max(c.delayLoopMs, c.delayBeforeRetryMs);
    if (wasDown && c.kind === 'MISC_CHECK') return c.delayLoopMs;
    if (wasDown && c.kind !== 'TCP_CHECK') return failedUrlDelay;
    if (this.retryIt >= c.retry) {
      this.retryIt = 0;
      this.up = false;
      this.weight = undefined;
      return c.kind === 'HTTP_GET' || c.kind === 'SSL_GET' ? failedUrlDelay : c.delayLoopMs;
    }
    this.retryIt++;
    return c.delayBeforeRetryMs;
  }

  health(): CheckerHealth {
    return { kind: this.config.kind, up: this.up, failuresInRow: this.failuresInRow, ...(this.last ? { last: this.last } : {}) };
  }

  stop(): Promise<void> | undefined {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.controller?.abort();
    return this.running;
  }
}

class Monitor extends EventEmitter implements HealthMonitor {
  private readonly runs: CheckerRun[];
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly bootstrapDelayMs: number;
  private started = false;
  private stopped: Promise<void> | undefined;
  private reported: { up: boolean; weight: number | undefined };

  constructor(
    private readonly realServer: RealServer,
    virtualServer: VirtualServer,
    attemptFactory: AttemptFactory,
    options: HealthMonitorOptions,
  ) {
    super();
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.bootstrapDelayMs = options.bootstrapDelayMs ?? 1000;
    this.runs = realServer.checkers.map(
      (config) => new CheckerRun(config, attemptFactory(config, realServer, virtualServer), this.clock, (run) => this.onResult(run)),
    );
    this.reported = { up: this.isUp(), weight: this.dynamicWeight() };
  }

  get state(): HealthState {
    const weight = this.dynamicWeight();
    return { up: this.isUp(), ...(weight !== undefined ? { dynamicWeight: weight } : {}), checkers: this.runs.map((run) => run.health()) };
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    for (const run of this.runs) run.schedule(this.bootstrapDelayMs + Math.floor(this.random() * run.config.warmupMs));
  }

  stop(): Promise<void> {
    this.stopped ??= Promise.all(this.runs.map((run) => run.stop())).then(() => undefined);
    return this.stopped;
  }

  private isUp(): boolean {
    return this.runs.every((run) => run.up);
  }

  private dynamicWeight(): number | undefined {
    const set = this.runs.filter((run) => run.up && run.weight !== undefined);
    if (set.length === 0) return undefined;
    const base = this.realServer.weight;
    return Math.max(0, set.reduce((sum, run) => sum + (run.weight! - base), base));
  }

  private onResult(run: CheckerRun): void {
    if (this.stopped) return;
    this.emit('result', run.health());
    const now = { up: this.isUp(), weight: this.dynamicWeight() };
    if (now.up !== this.reported.up || now.weight !== this.reported.weight) {
      this.reported = now;
      this.emit('change', this.state);
    }
  }
}
