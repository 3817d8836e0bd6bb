export type * from './config/model';
export type * from './check/health';
export type * from './director/types';
export { createDirector, type DirectorOptions } from './director/director';
export {
  wantedTable, virtualServerId, virtualServerName, realServerId, servicesOf, liveWeight, effectiveWeight,
  type WantedInput, type WantedTable, type WantedVirtualServer, type WantedRealServer, type ServerHealth, type DrainingServer,
} from './director/wanted';
export { initialQuorum, nextQuorum, type QuorumSettings } from './director/quorum';
export { drainRealServer, drainVerdict, DrainError, type DrainOptions, type DrainResult, type DrainTarget } from './director/drain';
