export * from './ruleset';
export { planChanges, type ChangePlan, type PlanSummary } from './plan';
export { applyAllOrNothing, readPriorState, type TransactionResult, type TransactionFailure } from './transaction';
export { needsPriorState, planUndo, priorStateOf, type OperationOutcome, type PriorState, type UndoPlan } from './undo';
export { applyRuleset, TransactionError, type ApplyOptions, type ApplyOutcome } from './apply';
export { readRuleset } from './read-table';
