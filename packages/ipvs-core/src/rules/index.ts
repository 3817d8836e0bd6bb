export {
  destinationOptionsPool, ruleServiceOf, ruleDestinationOf, sameServiceOptions, sameDestinationOptions,
  type Ruleset, type RuleService, type RuleDestination, type DestinationOptionsPool,
} from './ruleset';
export { planChanges, type ChangePlan, type PlanSummary } from './plan';
export { isOperation, operationRange, TransactionScope, type Change, type ChangeList } from './change';
export { readPriorState, readCurrentState, type PriorState, type ReadPriorOptions } from './prior-state';
export {
  differences, planRestore, describeDifference, restorePrior, type Difference, type UndoPlan, type RollbackReport, type RestoreOptions,
} from './undo';
export {
  applyAllOrNothing, prepareTransaction, type ChangeOutcome, type FailureReason, type PreparedTransaction, type PrepareOptions, type RunOptions,
  type TransactionResult, type TransactionFailure,
} from './transaction';
export { applyRuleset, transactionMessage, TransactionError, type ApplyOptions, type ApplyOutcome } from './apply';
export { readRuleset, listDestinations, readEachService, type ListedService } from './read-table';
export { serviceId, destinationId } from '../identity';
