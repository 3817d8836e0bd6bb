/**
 * @tsipvs/ipvs-core: what a user of the library needs. `openIpvs` returns an `IpvsApi`; the class
 * behind it stays private. Test doubles live in `@tsipvs/ipvs-core/testing`, the byte-level codec in
 * `@tsipvs/ipvs-core/wire`.
 */
export type { IpvsApi, Operation, OperationList, BatchResult, BatchOptions, BlockingReads } from './api';
export { openIpvs, openIpvsSync, type OpenOptions } from './client';
export { readTableSync, type SyncOpenOptions } from './sync-read';
// Aliases compile to plain properties (`export { X } from` would make getters, read on every use).
import * as enums from './model/enums';
export import AddressFamily = enums.AddressFamily;
export import Protocol = enums.Protocol;
export import ForwardingMethod = enums.ForwardingMethod;
export import TunnelType = enums.TunnelType;
export import TunnelFlags = enums.TunnelFlags;
export import ServiceFlags = enums.ServiceFlags;
export import DaemonState = enums.DaemonState;
export type {
  Daemon, DaemonConfig, Destination, DestinationKey, DestinationOptions, DestinationSettings, Info, Service, ServiceKey,
  ServiceOptions, ServiceSettings, Stats, Timeouts,
} from './model';
export { serviceSettings, destinationSettings } from './model/defaults';
export { IpvsError, IpvsProtocolError, IpvsTransportError, IpvsValidationError, type IpvsOperation } from './errors';
export { strerror } from './errno';
export {
  openNetns, enterNetns, withNetns, netnsInode, netnsPath, NetnsError, NETNS_RUN_DIRECTORY,
  type NetnsSpec, type NetnsHandle, type NetnsEnter, type NetnsErrorCode,
} from './libc/netns';
export { lockIpvsTable, IpvsTableBusyError, type IpvsTableLock, type LockOptions } from './table-lock';
export { journalFile, writeIntent, readIntent, removeIntent, JournalError, JOURNAL_DIRECTORY, type ChangeIntent } from './journal';
export {
  planChanges, applyRuleset, listDestinations, readEachService, destinationOptionsPool, applyAllOrNothing, prepareTransaction, readRuleset, readPriorState,
  restorePrior, readCurrentState, differences, describeDifference, serviceId, destinationId, TransactionError, TransactionScope,
  type ListedService, type DestinationOptionsPool, type ChangePlan, type PlanSummary, type Ruleset, type RuleService, type RuleDestination, type TransactionResult,
  type TransactionFailure, type PriorState, type ApplyOptions, type ApplyOutcome, type Change, type ChangeList, type ChangeOutcome, type FailureReason,
  type PreparedTransaction, type PrepareOptions, type RunOptions, type RollbackReport, type Difference,
} from './rules';
