/**
 * @tsipvs/ipvs-core: what a user of the library needs. `openIpvs` returns an `IpvsApi`; the class
 * behind it stays private. Test doubles live in `@tsipvs/ipvs-core/testing`, the byte-level codec in
 * `@tsipvs/ipvs-core/wire`.
 */
export type { IpvsApi, Operation, OperationList, BatchResult } from './api';
export { openIpvs, type OpenOptions } from './client';
export {
  AddressFamily, Protocol, ForwardingMethod, TunnelType, TunnelFlags, ServiceFlags, DaemonState,
} from './model/enums';
export type {
  Daemon, DaemonConfig, Destination, DestinationKey, DestinationOptions, Info, Service, ServiceKey, ServiceOptions, Stats,
  Timeouts,
} from './model';
export { IpvsError, IpvsProtocolError, IpvsValidationError, type IpvsOperation } from './errors';
export { strerror } from './errno';
export {
  planChanges, applyRuleset, listDestinations, destinationOptionsPool, applyAllOrNothing, readRuleset, readPriorState, needsPriorState, serviceId, destinationId,
  TransactionError,
  type ListedService, type DestinationOptionsPool, type ChangePlan, type PlanSummary, type Ruleset, type RuleService, type RuleDestination, type TransactionResult,
  type TransactionFailure, type PriorState, type ApplyOptions, type ApplyOutcome,
} from './rules';
