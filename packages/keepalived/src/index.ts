export type * from './config/model';
export type * from './check/health';
export type * from './director/types';
export {
  createHealthMonitor,
  createHealthMonitorFactory,
  realAttemptFactory,
  systemClock,
  type HealthMonitorOptions,
  type Clock,
  type Attempt,
  type AttemptFactory,
} from './check/monitor';
export type { AttemptOutcome } from './check/attempt';
