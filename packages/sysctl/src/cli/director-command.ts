/** `tsipvs director setup|teardown --mode nat|dr|tun [--dev IF] [--vip ADDR]`: forwarding, redirects and VIPs of a director. */
import type { Command } from 'commander';
import { SysctlError } from '../errors';
import { DirectorMode, directorPreset } from '../presets';
import { CommandDeps, collect } from './command-support';
import { SetupCommandOptions, addSetupAction, addTeardownAction } from './preset-commands';

interface DirectorSetupOptions extends SetupCommandOptions {
  readonly mode: string;
  readonly dev?: string;
  readonly ipvs: readonly string[];
  readonly vip: readonly string[];
}

export function registerDirectorCommand(program: Command, deps: CommandDeps = {}): void {
  const director = program
    .command('director')
    .description('prepare a director: ip_forward for NAT, no ICMP redirects, VIPs, optional IPVS tunables');

  const setup = director
    .command('setup')
    .description('apply the director settings and record the previous values')
    .requiredOption('--mode <mode>', 'nat, dr or tun')
    .option('--dev <interface>', 'interface facing clients and real servers (gets send_redirects=0 too)')
    .option('--ipvs <name=value>', 'also set an IPVS tunable, e.g. expire_nodest_conn=1 (repeatable)', collect, [])
    .option('--vip <address>', 'add this virtual IPv4 address as /32 on --dev (repeatable)', collect, []);
  addSetupAction(
    setup,
    'director',
    (o: DirectorSetupOptions) =>
      directorPreset({
        mode: o.mode as DirectorMode,
        ...(o.dev ? { dev: o.dev } : {}),
        ipvs: Object.fromEntries(o.ipvs.map(splitAssignment)),
        vips: o.vip,
      }),
    deps,
  );

  const teardown = director
    .command('teardown')
    .description('restore exactly what setup changed')
    .option('--mode <mode>', 'refuse unless the recorded setup has this mode')
    .option('--dev <interface>', 'refuse unless the recorded setup used this interface');
  addTeardownAction(teardown, 'director', deps);
}

function splitAssignment(assignment: string): [string, string] {
  const equals = assignment.indexOf('=');
  if (equals <= 0) throw new SysctlError('invalid-value', `--ipvs expects NAME=VALUE, got ${JSON.stringify(assignment)}`);
  // The value is not trimmed: it is checked for control characters as typed, then normalized.
  return [assignment.slice(0, equals).trim(), assignment.slice(equals + 1)];
}
