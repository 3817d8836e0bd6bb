/** `tsipvs realserver setup|teardown --mode dr|tun --vip ADDR [--dev IF]`: ARP settings and the VIP on a real server. */
import type { Command } from 'commander';
import { RealserverMode, realserverPreset } from '../presets';
import { CommandDeps, collect } from './command-support';
import { SetupCommandOptions, addSetupAction, addTeardownAction } from './preset-commands';

interface RealserverSetupOptions extends SetupCommandOptions {
  readonly mode: string;
  readonly vip: readonly string[];
  readonly dev?: string;
}

export function registerRealserverCommand(program: Command, deps: CommandDeps = {}): void {
  const realserver = program
    .command('realserver')
    .description('prepare a DR or TUN real server: arp_ignore/arp_announce, the VIP on lo or tunl0 (and rp_filter for TUN)');

  const setup = realserver
    .command('setup')
    .description('apply the real server settings and record the previous values')
    .requiredOption('--mode <mode>', 'dr or tun')
    .option('--vip <address>', 'virtual IPv4 address (required; repeat for several)', collect, [])
    .option('--dev <interface>', 'interface for the VIPs (default lo for dr, tunl0 for tun)');
  addSetupAction(
    setup,
    'realserver',
    (o: RealserverSetupOptions) => realserverPreset({ mode: o.mode as RealserverMode, vips: o.vip, ...(o.dev ? { dev: o.dev } : {}) }),
    deps,
  );

  const teardown = realserver
    .command('teardown')
    .description('restore exactly what setup changed')
    .option('--mode <mode>', 'refuse unless the recorded setup has this mode')
    .option('--vip <address>', 'refuse unless the recorded setup has these VIPs (repeatable)', collect, [])
    .option('--dev <interface>', 'refuse unless the recorded setup used this interface');
  addTeardownAction(teardown, 'realserver', deps);
}
