/**
 * Applying a plan all-or-nothing, and reverting what was applied. If a step fails, the steps already
 * made are undone in reverse order before the error is reported.
 */
import { SysctlError, errorText } from './errors';
import { parseSysctlName } from './names';
import { Plan } from './plan';
import { Environment, Step, applyStep, describeStep, fileStepProgress, previousBytes, undoStep } from './steps';
import { normalizeValue } from './tree';

/**
 * Applies every step of the plan. On failure throws `apply-failed` once everything applied was undone,
 * or `rollback-failed` when some of it could not be.
 */
export async function applyPlan(plan: Plan, env: Environment): Promise<void> {
  const applied: Step[] = [];
  for (const step of plan.steps) {
    try {
      await applyStep(step, env);
      applied.push(step);
    } catch (error) {
      const rollback = await revertSteps(applied, env);
      const code = rollback.failed.length === 0 ? 'apply-failed' : 'rollback-failed';
      throw new SysctlError(code, `${describeStep(step)} failed: ${errorText(error)}; ${describeRollback(applied.length, rollback)}`);
    }
  }
}

export interface RevertReport {
  /** Steps undone. */
  readonly restored: readonly Step[];
  /** Settings somebody changed after they were applied (they were restored anyway), with the value found. */
  readonly drifted: readonly { readonly step: Step; readonly found: string }[];
  /** Steps whose object is gone (interface or address removed meanwhile): nothing left to undo. */
  readonly gone: readonly Step[];
  /** Steps that could not be undone. */
  readonly failed: readonly { readonly step: Step; readonly error: string }[];
}

/** Undoes applied steps in reverse order, going on past failures and reporting each outcome. */
export async function revertSteps(steps: readonly Step[], env: Environment): Promise<RevertReport> {
  const restored: Step[] = [];
  const drifted: { step: Step; found: string }[] = [];
  const gone: Step[] = [];
  const failed: { step: Step; error: string }[] = [];
  for (const step of [...steps].reverse()) {
    try {
      if (await isGone(step, env)) {
        gone.push(step);
        continue;
      }
      if (step.kind === 'file' && fileStepProgress(step) === 'not-applied') {
        restored.push(step); // already as before
        continue;
      }
      if (step.kind === 'sysctl') {
        const found = env.tree.readBytes(parseSysctlName(step.key));
        if (found.equals(previousBytes(step))) {
          restored.push(step); // already as before (e.g. a step a crash kept from being made)
          continue;
        }
        const value = normalizeValue(found.toString('utf8'));
        if (value !== step.to) drifted.push({ step, found: value });
      }
      await undoStep(step, env);
      restored.push(step);
    } catch (error) {
      failed.push({ step, error: errorText(error) });
    }
  }
  return { restored, drifted, gone, failed };
}

async function isGone(step: Step, env: Environment): Promise<boolean> {
  switch (step.kind) {
    case 'sysctl':
      return !env.tree.exists(parseSysctlName(step.key));
    case 'link-up':
      return (await env.network.link(step.dev)) === undefined;
    case 'address':
      return (await env.network.link(step.dev)) === undefined || !(await env.network.hasAddress(step.dev, step.address, step.prefixLength));
    case 'file':
      return false; // see fileStepProgress
  }
}

function describeRollback(count: number, rollback: RevertReport): string {
  if (rollback.failed.length === 0) return `rolled back the ${count} change${count === 1 ? '' : 's'} already made`;
  const failures = rollback.failed.map((f) => `${describeStep(f.step)} (${f.error})`).join('; ');
  return `rolling back failed for: ${failures}`;
}
