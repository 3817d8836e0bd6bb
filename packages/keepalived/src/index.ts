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
