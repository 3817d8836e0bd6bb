/** `tsipvs sysctl get|set|list`: read and write kernel settings, with IPVS tunables checked against their ranges. */
import type { Command } from 'commander';
import { applyPlan } from '../apply';
import { DesiredSysctl, NOTHING_DESIRED } from '../desired';
import { SysctlError } from '../errors';
import { IPVS_PREFIX, IpvsSysctls, ipvsKnobOf } from '../ipvs';
import { canonicalKnobText } from '../knob-values';
import { describeRange } from '../knobs';
import { SysctlKey, parseSysctlName } from '../names';
import { planSettings } from '../plan';
import { SysctlTree } from '../tree';
import { CommandDeps, networkOf, printJson, printLines, runAction, treeOf } from './command-support';
import { planJson, planLines } from './plan-text';

interface GetOptions {
  readonly values?: boolean;
  readonly json?: boolean;
}

interface SetOptions {
  readonly dryRun?: boolean;
  readonly json?: boolean;
}

export function registerSysctlCommand(program: Command, deps: CommandDeps = {}): void {
  const tree = (): SysctlTree => treeOf(deps);
  const sysctl = program
    .command('sysctl')
    .description('read and write kernel settings (net.ipv4.vs.* and the rest of /proc/sys)');

  sysctl
    .command('get')
    .description('print settings, by dotted name (net.ipv4.conf.eth0/100.rp_filter) or path (net/ipv4/conf/eth0.100/rp_filter)')
    .argument('<names...>', 'settings to read')
    .option('-n, --values', 'print only the values')
    .option('--json', 'print a JSON object name -> value')
    .action((names: string[], options: GetOptions, command: Command) =>
      runAction(command, () => {
        const entries = names.map((name) => {
          const key = parseSysctlName(name);
          return { name: key.dotted, value: readChecked(tree(), key) };
        });
        if (options.json) printJson(command, Object.fromEntries(entries.map((e) => [e.name, e.value])));
        else printLines(command, entries.map((e) => (options.values ? e.value : `${e.name} = ${e.value}`)));
      }),
    );

  sysctl
    .command('set')
    .description('write settings, all or nothing (IPVS tunables are range-checked first)')
    .argument('<assignments...>', 'NAME=VALUE pairs, e.g. net.ipv4.vs.sync_threshold="3 50"')
    .option('--dry-run', 'print what would change, change nothing')
    .option('--json', 'print the plan as JSON')
    .action((assignments: string[], options: SetOptions, command: Command) =>
      runAction(command, async () => {
        const { network, close } = networkOf(deps);
        try {
          const env = { tree: tree(), network };
          const sysctls = assignments.map(parseAssignment);
          const plan = await planSettings('sysctl set', { ...NOTHING_DESIRED, sysctls }, env);
          if (!options.dryRun) await applyPlan(plan, env);
          if (options.json) printJson(command, planJson(plan, options.dryRun === true));
          else printLines(command, planLines(plan, options.dryRun === true));
        } finally {
          close();
        }
      }),
    );

  sysctl
    .command('list')
    .description(`list the IPVS tunables (${IPVS_PREFIX}.*) with value, range and meaning, or every setting under a prefix`)
    .argument('[prefix]', 'list every setting under this prefix instead, e.g. net.ipv4.conf.lo')
    .option('--json', 'print JSON')
    .action((prefix: string | undefined, options: { readonly json?: boolean }, command: Command) =>
      runAction(command, () => {
        if (prefix !== undefined) {
          const entries = tree().list(parseSysctlName(prefix));
          if (options.json) printJson(command, Object.fromEntries(entries.map((e) => [e.key.dotted, e.value])));
          else printLines(command, entries.map((e) => `${e.key.dotted} = ${e.value}`));
          return;
        }
        const knobs = new IpvsSysctls(tree()).readAll().map((r) => ({
          name: `${IPVS_PREFIX}.${r.name}`,
          value: r.text ?? null,
          range: describeRange(r.spec),
          meaning: r.spec.meaning,
          ...(r.spec.availability ? { availability: r.spec.availability } : {}),
        }));
        if (options.json) {
          printJson(command, knobs);
          return;
        }
        const width = Math.max(...knobs.map((k) => k.name.length));
        printLines(
          command,
          knobs.map((k) => `${k.name.padEnd(width)}  ${(k.value ?? '-').padEnd(6)}  ${k.meaning}${k.value === null ? ` [absent; exists on ${k.availability ?? 'other kernels'}]` : ''} (range: ${k.range})`),
        );
      }),
    );
}

/** `NAME=VALUE` → desired setting; IPVS tunables are checked and written in canonical form. */
function parseAssignment(assignment: string): DesiredSysctl {
  const equals = assignment.indexOf('=');
  if (equals <= 0) throw new SysctlError('invalid-value', `expected NAME=VALUE, got ${JSON.stringify(assignment)}`);
  const key = parseSysctlName(assignment.slice(0, equals).trim());
  // Not trimmed here: the value is checked for control characters as typed, then normalized.
  const text = assignment.slice(equals + 1);
  const knob = ipvsKnobOf(key);
  return { key, value: knob === undefined ? text : canonicalKnobText(knob, text), reason: 'requested' };
}

/** Reads a setting; for an IPVS tunable, says so when IPVS is not loaded or the kernel lacks it. */
function readChecked(tree: SysctlTree, key: SysctlKey): string {
  const knob = ipvsKnobOf(key);
  if (knob !== undefined) new IpvsSysctls(tree).requireKnob(knob);
  return tree.read(key);
}
