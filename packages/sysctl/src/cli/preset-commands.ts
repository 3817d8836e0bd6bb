/** The setup/teardown pair shared by `tsipvs realserver` and `tsipvs director`. */
import type { Command } from 'commander';
import { defaultDropinFile } from '../dropin';
import { Preset, Role } from '../presets';
import { setupPreset, teardownPreset } from '../setup';
import { defaultStateFile } from '../state';
import { CommandDeps, printJson, printLines, runAction } from './command-support';
import { planJson, planLines, teardownLines } from './plan-text';

export interface CommonPresetOptions {
  readonly dryRun?: boolean;
  readonly json?: boolean;
  readonly stateFile?: string;
}

export interface SetupCommandOptions extends CommonPresetOptions {
  /** `--persist` alone (true) or with a file. */
  readonly persist?: boolean | string;
}

/** Adds the options every setup and teardown command has. */
export function withCommonOptions(command: Command, role: Role, deps: CommandDeps): Command {
  return command
    .option('--dry-run', 'print the plan, change nothing')
    .option('--json', 'print JSON')
    .option('--state-file <file>', 'where the previous values are recorded', defaultStateFile(role, deps.netns));
}

export function addSetupAction<O extends SetupCommandOptions>(
  command: Command,
  role: Role,
  presetOf: (options: O) => Preset,
  deps: CommandDeps,
): Command {
  return withCommonOptions(command, role, deps)
    .option('--persist [file]', `also write the settings to a sysctl.d drop-in (default ${defaultDropinFile(role)})`)
    .action((options: O, cmd: Command) =>
      runAction(cmd, async () => {
        const dropinFile = options.persist === true ? defaultDropinFile(role) : options.persist || undefined;
        const outcome = await setupPreset(presetOf(options), {
          ...deps,
          ...(options.stateFile ? { stateFile: options.stateFile } : {}),
          ...(dropinFile ? { dropinFile } : {}),
          dryRun: options.dryRun === true,
        });
        const dryRun = !outcome.applied;
        if (options.json) {
          printJson(cmd, planJson(outcome.plan, dryRun, dryRun ? {} : { stateFile: outcome.stateFile }));
        } else {
          const footer = dryRun ? [] : [`previous values recorded in ${outcome.stateFile}; "tsipvs ${role} teardown" restores them`];
          printLines(cmd, [...planLines(outcome.plan, dryRun), ...footer]);
        }
      }),
    );
}

export interface TeardownCommandOptions extends CommonPresetOptions {
  readonly mode?: string;
  readonly vip?: readonly string[];
  readonly dev?: string;
}

export function addTeardownAction(command: Command, role: Role, deps: CommandDeps): Command {
  return withCommonOptions(command, role, deps).action((options: TeardownCommandOptions, cmd: Command) =>
    runAction(cmd, async () => {
      const outcome = await teardownPreset(role, {
        ...deps,
        ...(options.stateFile ? { stateFile: options.stateFile } : {}),
        ...(options.mode ? { expectMode: options.mode } : {}),
        ...(options.vip && options.vip.length > 0 ? { expectVips: options.vip } : {}),
        ...(options.dev ? { expectDev: options.dev } : {}),
        dryRun: options.dryRun === true,
      });
      if (options.json) {
        printJson(cmd, { role, mode: outcome.record.mode, dryRun: !outcome.report, stateFile: outcome.stateFile, undo: [...outcome.record.steps].reverse(), report: outcome.report ?? null });
      } else {
        printLines(cmd, teardownLines(outcome.record, outcome.stateFile, outcome.report));
      }
    }),
  );
}
