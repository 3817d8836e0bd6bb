export {
  destinationOptionsPool, ruleServiceOf, ruleDestinationOf, sameServiceOptions, sameDestinationOptions,
  type Ruleset, type RuleService, type RuleDestination, type DestinationOptionsPool,
} from './ruleset';
export { planChanges, type ChangePlan, type PlanSummary } from './plan';
export { applyAllOrNothing, readPriorState, type TransactionResult, type TransactionFailure } from './transaction';
export { needsPriorState, planUndo, priorStateOf, type OperationOutcome, type PriorState, type UndoPlan } from './undo';
export { applyRuleset, TransactionError, type ApplyOptions, type ApplyOutcome } from './apply';
export { readRuleset, listDestinations, type ListedService } from './read-table';
export { serviceId, destinationId } from '../identity';
