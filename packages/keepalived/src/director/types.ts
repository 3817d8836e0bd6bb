/**
 * The contract of the director (the reconciler): what the daemon, the status socket and the metrics
 * see of it. Implemented in this folder; `createDirector` builds one.
 */
import type { EventEmitter } from 'node:events';
import type { ServiceKey } from '@tsipvs/ipvs-core';
import type { HealthState } from '../check/health';
import type { KeepalivedConfig, SourceRef } from '../config/model';

export interface RealServerStatus {
  readonly address: string;
  readonly port: number;
  readonly at: SourceRef;
  readonly configuredWeight: number;
  /** The weight wanted in the kernel now; undefined when the server is wanted out of the table. */
  readonly wantedWeight?: number;
  /** 'draining': weight 0 until its active connections reach 0 or the drain timeout passes. */
  readonly state: 'up' | 'down' | 'draining';
  readonly health: HealthState;
}

export interface VirtualServerStatus {
  /** As keepalived logs it: "10.0.0.100:80", "FWM 50", "group web". */
  readonly name: string;
  readonly at: SourceRef;
  /** The kernel services it owns (a group gives several). */
  readonly services: readonly ServiceKey[];
  readonly quorum: { readonly required: number; readonly hysteresis: number; readonly upWeight: number; readonly met: boolean };
  readonly sorryServer?: { readonly address: string; readonly port: number; readonly active: boolean };
  readonly realServers: readonly RealServerStatus[];
}

export interface ReconcileReport {
  readonly at: Date;
  /** Changes applied (0: the kernel already matched). */
  readonly changes: number;
  /** Set when the apply failed; nothing of it stayed (all-or-nothing). */
  readonly error?: string;
}

export interface DirectorStatus {
  readonly configFile: string;
  readonly startedAt: Date;
  readonly lastReconcile?: ReconcileReport;
  readonly virtualServers: readonly VirtualServerStatus[];
}

/**
 * Events: 'reconcile' (ReconcileReport), 'health' ({ virtualServer, realServer, state }),
 * 'quorum' ({ virtualServer, met }), 'log' ({ level: 'info' | 'detail' | 'warning' | 'error', text }).
 */
export interface Director extends EventEmitter {
  /** Adopts what the kernel has, starts the monitors, reconciles once; resolves after that first reconcile. */
  start(): Promise<void>;
  /** Replaces the configuration: monitors of unchanged real servers keep their state; only the difference is applied. */
  reload(config: KeepalivedConfig): Promise<void>;
  /** Reconciles now (also run on every health change and every delay_loop). */
  reconcile(): Promise<ReconcileReport>;
  /** Stops monitors and timers; with `flush`, deletes the services the configuration names. */
  stop(options?: { readonly flush?: boolean }): Promise<void>;
  status(): DirectorStatus;
}
