/** Text and JSON renderings of plans and revert reports for the CLI. */
import { RevertReport } from '../apply';
import { Plan } from '../plan';
import { SetupRecord } from '../record';
import { Step, describeStep } from '../steps';

export function planLines(plan: Plan, dryRun: boolean): string[] {
  const lines = [`${plan.title}${dryRun ? ' (dry run: nothing is changed)' : ''}`];
  for (const step of plan.steps) lines.push(`  ${dryRun ? 'would change' : 'changed'} ${describeStep(step)}    # ${step.reason}`);
  for (const { item, value } of plan.unchanged) lines.push(`  unchanged ${item}: ${value}`);
  if (plan.steps.length === 0) lines.push('  nothing to change');
  for (const note of plan.notes) lines.push(`  note: ${note}`);
  return lines;
}

export function planJson(plan: Plan, dryRun: boolean, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { title: plan.title, dryRun, changes: plan.steps, unchanged: plan.unchanged, notes: plan.notes, ...extra };
}

/** How undoing a step reads, e.g. `net.ipv4.conf.all.arp_ignore: 1 -> 0`. */
export function describeUndo(step: Step): string {
  switch (step.kind) {
    case 'sysctl':
      return `${step.key}: ${step.to} -> ${step.from}`;
    case 'link-up':
      return `link ${step.dev}: up -> down`;
    case 'address':
      return `address ${step.address}/${step.prefixLength} on ${step.dev}: present -> absent`;
    case 'file':
      return `file ${step.path}: ${step.created ? 'removed' : 'previous content restored'}`;
  }
}

export function teardownLines(record: SetupRecord, stateFile: string, report: RevertReport | undefined): string[] {
  const title = `${record.role} ${record.mode} teardown (set up ${record.appliedAt}, recorded in ${stateFile})`;
  const nothing = record.steps.length === 0 ? ['  nothing to restore'] : [];
  if (!report) {
    const undo = [...record.steps].reverse().map((s) => `  would restore ${describeUndo(s)}`);
    return [`${title} (dry run: nothing is changed)`, ...undo, ...nothing];
  }
  return [
    title,
    ...report.restored.map((s) => `  restored ${describeUndo(s)}`),
    ...report.drifted.map(({ step, found }) => `  note: ${describeStep(step)} had been changed to ${found} after setup; restored anyway`),
    ...report.gone.map((s) => `  note: ${describeStep(s)}: no longer exists, nothing to restore`),
    ...nothing,
  ];
}
