export * from './ruleset';
export { planChanges, type ChangePlan, type PlanSummary } from './plan';
export { applyAllOrNothing, restoreTable, type TransactionResult, type TransactionFailure } from './transaction';
export { readRuleset } from './read-table';
