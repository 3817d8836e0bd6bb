export * from './ruleset';
export { planChanges, type ChangePlan, type PlanSummary } from './plan';
export { applyAllOrNothing, restoreTable, type TransactionResult, type TransactionFailure } from './transaction';
export { applyRuleset, TransactionError, type ApplyOptions, type ApplyOutcome } from './apply';
export { readRuleset } from './read-table';
