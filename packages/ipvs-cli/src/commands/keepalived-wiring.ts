/** The real parser, checkers and director of `tsipvs keepalived` (process.ts loads this lazily). */
import { createDirector, createHealthMonitor, formatConfigMessage, loadKeepalivedConfig, startVrrp } from '@tsipvs/keepalived';
import type { KeepalivedDaemonDeps } from '../environment';

export const KEEPALIVED_DEPS: KeepalivedDaemonDeps = {
  loadConfig: loadKeepalivedConfig,
  formatMessage: formatConfigMessage,
  createDirector,
  monitorFactory: createHealthMonitor,
  startVrrp,
};
