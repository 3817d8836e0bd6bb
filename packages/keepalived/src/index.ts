export type * from './config/model';
export type * from './check/health';
export type * from './director/types';
export { IpvsExporter, renderMetrics, readTable, serviceLabels, ScrapeError, METRICS_CONTENT_TYPE, type ExporterOptions, type StatusSource, type TableEntry } from './metrics/exporter';
export { startMetricsServer, parseListenAddress, type MetricsServer, type ListenAddress } from './metrics/server';
export { startStatusServer, DEFAULT_STATUS_SOCKET, type StatusServer, type StatusDocument, type StatusReport, type Jsonified } from './status/server';
export { readStatus, StatusUnavailableError } from './status/client';
export { formatStatus } from './status/format';
