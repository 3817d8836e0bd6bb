export type * from './config/model';
export type * from './check/health';
export type * from './director/types';
export {
  createHealthMonitor,
  createHealthMonitorFactory,
  realAttemptFactory,
  type HealthMonitorOptions,
  type Attempt,
  type AttemptFactory,
} from './check/monitor';
export type { AttemptOutcome } from './check/attempt';
export { systemClock, type Clock } from './clock';
export { loadKeepalivedConfig, parseKeepalivedText, parseJsonText, checkKeepalivedConfig, formatConfigMessage } from './config/load';
export { ConfigError } from './config/errors';
export { nodeFileSystem, memoryFileSystem, type ConfigFileSystem } from './config/reader';
export { virtualServerName } from './config/finalize';
export { VRRP_DEFAULTS } from './vrrp/config';
export type {
  VrrpConfig, VrrpInstanceConfig, VrrpScriptConfig, VrrpSyncGroupConfig, VrrpNotify, VirtualAddress, TrackedInterface, TrackedScript, LvsSyncDaemonConfig,
} from './vrrp/config';
