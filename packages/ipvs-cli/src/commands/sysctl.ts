/** `tsipvs sysctl|realserver|director`: implemented in @tsipvs/sysctl, next to the library it drives. */
import {
  IpvsSysctls,
  SysctlTree,
  sysctlKey,
  treeOf,
  registerDirectorCommand,
  registerRealserverCommand,
  registerSysctlCommand,
  type CommandDeps,
} from '@tsipvs/sysctl';
import type { Command } from 'commander';
import type { CommandOf } from '../argv/command';
import { ipvsUnavailable, loadIpvsModule, type CommandContext } from '../environment';
import { runCommander } from './subcommand';

type SysctlCommandWord = 'sysctl' | 'realserver' | 'director';

const REGISTER: Record<SysctlCommandWord, (program: Command, deps: CommandDeps) => void> = {
  sysctl: registerSysctlCommand,
  realserver: registerRealserverCommand,
  director: registerDirectorCommand,
};

const IPVS_SETTING = /^net[./]ipv4[./]vs(?:$|[./=])/;

/**
 * Whether the command reads or writes net.ipv4.vs.*: `sysctl list` (the IPVS tunables), a name under
 * net.ipv4.vs, or `director --ipvs`. Those need ip_vs loaded; nothing else does.
 */
export function needsIpvsSettings(command: CommandOf<SysctlCommandWord>): boolean {
  const words = command.argv.filter((word) => !word.startsWith('-'));
  if (command.command === 'sysctl' && words[0] === 'list') return words.length === 1 || words.slice(1).some((w) => IPVS_SETTING.test(w));
  if (command.command === 'sysctl') return words.slice(1).some((word) => IPVS_SETTING.test(word));
  return command.command === 'director' && command.argv.some((word) => word === '--ipvs' || word.startsWith('--ipvs='));
}

export async function run(command: CommandOf<SysctlCommandWord>, context: CommandContext): Promise<number> {
  const deps: CommandDeps = { ...context.env.sysctl, clock: context.env.clock };
  if (needsIpvsSettings(command)) await ensureIpvsSettings(treeOf(deps), context);
  return runCommander(command, context, (program) => REGISTER[command.command](program, deps));
}

/** As ipvsadm does when IPVS is missing: modprobe ip_vs, look again, then the one "Can't initialize ipvs" error. */
async function ensureIpvsSettings(tree: SysctlTree, context: CommandContext): Promise<void> {
  const settings = new IpvsSysctls(tree);
  if (settings.isLoaded()) return;
  await loadIpvsModule(context.env, context.output);
  if (!settings.isLoaded()) throw ipvsUnavailable(`${tree.fileOf(sysctlKey(['net', 'ipv4', 'vs']))} does not exist`);
}
