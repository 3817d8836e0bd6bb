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
export { hostPort } from './config/values';
export { IpvsExporter, renderMetrics, readTable, serviceLabels, ScrapeError, METRICS_CONTENT_TYPE, type ExporterOptions, type StatusSource, type TableEntry } from './metrics/exporter';
export { startMetricsServer, parseListenAddress, type MetricsServer, type ListenAddress } from './metrics/server';
export { startStatusServer, DEFAULT_STATUS_SOCKET, type StatusServer, type StatusDocument, type StatusReport, type Jsonified } from './status/server';
export { readStatus, StatusUnavailableError } from './status/client';
export { formatStatus } from './status/format';
export { createDirector, type DirectorOptions } from './director/director';
export {
  wantedTable, virtualServerId, realServerId, servicesOf, liveWeight, effectiveWeight,
  type WantedInput, type WantedTable, type WantedVirtualServer, type WantedRealServer, type ServerHealth, type DrainingServer,
} from './director/wanted';
export { initialQuorum, nextQuorum, type QuorumSettings } from './director/quorum';
export { drainRealServer, drainVerdict, DrainError, type DrainOptions, type DrainResult, type DrainTarget } from './director/drain';
export { VRRP_DEFAULTS } from './config/vrrp-model';
export type {
  VrrpConfig, VrrpInstanceConfig, VrrpScriptConfig, VrrpSyncGroupConfig, VrrpNotify, VirtualAddress, TrackedInterface, TrackedScript, LvsSyncDaemonConfig,
} from './config/vrrp-model';
export { startVrrp, rtnetlinkAddresses, type VrrpRuntime, type VrrpStatus, type VrrpOptions, type VrrpLog } from './vrrp/runtime';
export type { InstanceStatus, Transition } from './vrrp/instance';
export type { VrrpState } from './vrrp/machine';
