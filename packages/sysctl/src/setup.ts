/**
 * Setting up and tearing down a preset: plan, apply all-or-nothing, record what was there before in
 * a state file, and on teardown restore it exactly.
 */
import * as path from 'node:path';
import type { NetnsSpec } from '@tsipvs/ipvs-core/netns';
import { applyPlan, revertSteps, RevertReport } from './apply';
import { SysctlError, errorText } from './errors';
import { dropinFor } from './dropin';
import { NetworkInterfaces } from './interfaces';
import { Plan, planSettings } from './plan';
import { Preset, Role } from './presets';
import { RtnetlinkInterfaces } from './rtnetlink';
import { recordOf, SetupRecord } from './record';
import { createRecord, defaultStateFile, readRecord, removeRecord, writeRecord } from './state';
import { Environment, describeStep, fileStepProgress } from './steps';
import { PROC_SYS, SysctlTree } from './tree';

export interface SetupContext {
  /** Sysctl tree (default /proc/sys). */
  readonly tree?: SysctlTree;
  /** Links and addresses (default rtnetlink; closed afterwards only when created here). */
  readonly network?: NetworkInterfaces;
  /** State file (default /run/tsipvs/<role>-netns<inode>.json, one per network namespace). */
  readonly stateFile?: string;
  /**
   * The network namespace to set up (a name under /run/netns, a path, a descriptor or a handle): the
   * default tree, network and state file are that namespace's. Default: the caller's.
   */
  readonly netns?: NetnsSpec;
}

/** Where the time recorded by a setup comes from. */
export interface Clock {
  now(): Date;
}

export interface SetupOptions extends SetupContext {
  /** The time recorded as `appliedAt` (default the system clock). */
  readonly clock?: Clock;
  /** Also write the settings to this /etc/sysctl.d drop-in. */
  readonly dropinFile?: string;
  /** Only compute the plan. */
  readonly dryRun?: boolean;
}

export interface SetupOutcome {
  readonly plan: Plan;
  readonly applied: boolean;
  readonly stateFile: string;
}

export async function setupPreset(preset: Preset, options: SetupOptions = {}): Promise<SetupOutcome> {
  const stateFile = options.stateFile ?? defaultStateFile(preset.role, options.netns);
  const existing = readRecord(stateFile);
  if (existing) {
    throw new SysctlError(
      'state',
      `${preset.role} is already set up (${existing.mode}, ${existing.appliedAt}, recorded in ${stateFile}); run "tsipvs ${preset.role} teardown" first`,
    );
  }
  // Absolute, so that teardown from another directory finds the same file.
  const desired = options.dropinFile
    ? { ...preset.desired, files: [dropinFor(path.resolve(options.dropinFile), preset.title, preset.role, preset.desired.sysctls)] }
    : preset.desired;

  return withEnvironment(options, async (env) => {
    const plan = await planSettings(preset.title, desired, env, preset.notes);
    if (options.dryRun) return { plan, applied: false, stateFile };
    // Recorded before applying, so that even a crash mid-way leaves something teardown can undo
    // (undoing a step that was never made restores the value it already has).
    createRecord(stateFile, recordOf(preset, (options.clock?.now() ?? new Date()).toISOString(), plan.steps));
    try {
      await applyPlan(plan, env);
    } catch (error) {
      // Rolled back completely: nothing to record. Otherwise the record lets teardown finish the job.
      if (error instanceof SysctlError && error.code === 'rollback-failed') {
        throw new SysctlError('rollback-failed', `${error.message}; kept in ${stateFile}: run "tsipvs ${preset.role} teardown" to retry`);
      }
      removeRecord(stateFile);
      throw error;
    }
    return { plan, applied: true, stateFile };
  });
}

export interface TeardownOptions extends SetupContext {
  /** Only show what would be restored. */
  readonly dryRun?: boolean;
  /** Refuse unless the recorded setup has this mode. */
  readonly expectMode?: string;
  /** Refuse unless the recorded setup has exactly these VIPs. */
  readonly expectVips?: readonly string[];
  /** Refuse unless the recorded setup used this interface. */
  readonly expectDev?: string;
}

export interface TeardownOutcome {
  readonly record: SetupRecord;
  readonly stateFile: string;
  /** Undefined for a dry run. */
  readonly report?: RevertReport;
}

export async function teardownPreset(role: Role, options: TeardownOptions = {}): Promise<TeardownOutcome> {
  const stateFile = options.stateFile ?? defaultStateFile(role, options.netns);
  const record = readRecord(stateFile);
  if (!record) throw new SysctlError('state', `${role} is not set up: no state file ${stateFile}`);
  if (record.role !== role) throw new SysctlError('state', `${stateFile} records a ${record.role} setup, not a ${role} one`);
  checkExpected(record, options);
  checkFilesUntouched(record, stateFile);
  if (options.dryRun) return { record, stateFile };

  return withEnvironment(options, async (env) => {
    const report = await revertSteps(record.steps, env);
    if (report.failed.length > 0) {
      // Keep what could not be undone on record, so that teardown can be retried.
      writeRecord(stateFile, { ...record, steps: record.steps.filter((s) => report.failed.some((f) => f.step === s)) });
      const failures = report.failed.map((f) => `${describeStep(f.step)}: ${f.error}`).join('; ');
      throw new SysctlError('revert-failed', `could not restore: ${failures} (kept in ${stateFile}; fix and run teardown again)`);
    }
    removeRecord(stateFile);
    return { record, stateFile, report };
  });
}

function checkExpected(record: SetupRecord, options: TeardownOptions): void {
  if (options.expectMode !== undefined && options.expectMode !== record.mode) {
    throw new SysctlError('state', `the recorded ${record.role} setup is mode ${record.mode}, not ${options.expectMode}`);
  }
  if (options.expectDev !== undefined && options.expectDev !== record.dev) {
    throw new SysctlError('state', `the recorded ${record.role} setup used interface ${record.dev ?? '(none)'}, not ${options.expectDev}`);
  }
  if (options.expectVips !== undefined) {
    const recorded = [...(record.vips ?? [])].sort();
    const expected = [...new Set(options.expectVips)].sort();
    if (recorded.join(',') !== expected.join(',')) {
      throw new SysctlError('state', `the recorded ${record.role} setup has VIPs ${recorded.join(', ') || '(none)'}, not ${expected.join(', ')}`);
    }
  }
}

/** Refuses the whole teardown, before any change, when a file of the record no longer holds what setup left there. */
function checkFilesUntouched(record: SetupRecord, stateFile: string): void {
  record.steps.forEach((step, index) => {
    if (step.kind !== 'file') return;
    try {
      fileStepProgress(step);
    } catch (error) {
      throw new SysctlError('state', `state file ${stateFile}, step ${index + 1} (${describeStep(step)}): ${errorText(error)}; nothing was changed`);
    }
  });
}

async function withEnvironment<T>(context: SetupContext, body: (env: Environment) => Promise<T>): Promise<T> {
  const netns = context.netns === undefined ? {} : { netns: context.netns };
  const network = context.network ?? new RtnetlinkInterfaces(netns);
  try {
    return await body({ tree: context.tree ?? new SysctlTree(PROC_SYS, netns), network });
  } finally {
    if (!context.network) network.close();
  }
}
