/**
 * The contract between the checkers and the director: a monitor watches one real server (all its
 * checkers, keepalived's rules) and says when its health changes. The director only sees this
 * interface, so its tests drive health by hand.
 */
import type { EventEmitter } from 'node:events';
import type { CheckerConfig, RealServer, VirtualServer } from '../config/model';

/** The outcome of one check attempt. */
export interface CheckResult {
  readonly ok: boolean;
  /** e.g. "connected", "HTTP status 503", "exit 1", "timeout after 1000 ms". */
  readonly detail: string;
  readonly at: Date;
  /** MISC_CHECK with misc_dynamic: the weight its exit code set. */
  readonly weight?: number;
}

export interface CheckerHealth {
  readonly kind: CheckerConfig['kind'];
  readonly up: boolean;
  /** Failed attempts in a row (reset by a success). */
  readonly failuresInRow: number;
  readonly last?: CheckResult;
}

/** A real server's health: up when every checker is up. */
export interface HealthState {
  readonly up: boolean;
  /** The weight a misc_dynamic checker set, if any. */
  readonly dynamicWeight?: number;
  readonly checkers: readonly CheckerHealth[];
}

/** Emits 'change' (HealthState) when `up` or `dynamicWeight` changes, 'result' (CheckerHealth) after each attempt. */
export interface HealthMonitor extends EventEmitter {
  readonly state: HealthState;
  start(): void;
  /** Stops every timer, socket and child process; resolves when they are gone. */
  stop(): Promise<void>;
}

/** How the director gets a monitor for a real server (tests pass their own). */
export type MonitorFactory = (realServer: RealServer, virtualServer: VirtualServer) => HealthMonitor;
