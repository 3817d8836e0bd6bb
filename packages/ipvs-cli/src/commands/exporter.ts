/**
 * `tsipvs exporter --listen ADDR:PORT`: the Prometheus exporter of `tsipvs keepalived` alone, for any
 * IPVS table (however it is managed). Runs until SIGTERM/SIGINT.
 */
import { IpvsExporter, startMetricsServer } from '@tsipvs/keepalived';
import type { Command } from 'commander';
import type { CommandOf } from '../argv/command';
import type { CommandContext } from '../environment';
import { CliError, messageOf } from '../errors';
import { daemonHooks, listenOption, makeLog, secondsOption, stopSignal } from './long-running';
import { runCommander } from './subcommand';

interface ExporterFlags {
  readonly listen: string;
  readonly scrapeTimeout: string;
}

export function defineExporterCommand(program: Command): Command {
  return program
    .command('exporter')
    .description('serve Prometheus metrics of the IPVS table (counters, connections, weights) on /metrics')
    .requiredOption('--listen <address>', 'where to listen: ADDR:PORT, [ADDR]:PORT for IPv6, :PORT for every address')
    .option('--scrape-timeout <seconds>', 'how long a scrape may read the kernel before it fails with HTTP 500', '10');
}

export function run(command: CommandOf<'exporter'>, context: CommandContext): Promise<number> {
  return runCommander(command, context, (program, exit) => {
    defineExporterCommand(program).action(async (flags: ExporterFlags) => exit(await serve(flags, context)));
  });
}

async function serve(flags: ExporterFlags, context: CommandContext): Promise<number> {
  const { env } = context;
  const listen = listenOption('--listen', flags.listen);
  const scrapeTimeoutMs = secondsOption('--scrape-timeout', flags.scrapeTimeout) * 1000;
  const hooks = daemonHooks(env, 'exporter');
  const log = makeLog(hooks, env.clock, false);
  const signals = stopSignal(hooks, () => log('info', 'SIGHUP: nothing to reload'));
  try {
    context.runsOn();
    const exporter = new IpvsExporter(await context.api(), { scrapeTimeoutMs });
    const server = await startMetricsServer(exporter, listen).catch((error: unknown) => {
      throw new CliError(`--listen ${flags.listen}: cannot listen: ${messageOf(error)}`, 1);
    });
    log('info', `serving metrics on http://${server.address}/metrics`);
    const signal = await signals.stopped;
    log('info', `${signal}: stopping`);
    await server.close();
    return 0;
  } finally {
    signals.release();
  }
}
