/**
 * `tsipvs drain -t|-u|--sctp-service VIP:PORT | -f MARK [-6]  -r RIP[:PORT] [--timeout S] [--json]`:
 * drains one real server of any service, as kube-proxy's graceful termination does: weight 0 (no
 * new connections, open ones keep going to it), then deleted once it has no active connection left,
 * or once --timeout seconds have passed. SIGINT/SIGTERM/SIGHUP stop the wait: the server stays at
 * weight 0 (exit 130/143/129).
 */
import { drainRealServer, DrainError, type DrainResult } from '@tsipvs/keepalived';
import { AddressFamily, Protocol, type ServiceKey } from '@tsipvs/ipvs-core';
import type { Command } from 'commander';
import type { CommandOf } from '../argv/command';
import { parseHostPort, resolvePort } from '../argv/host-port';
import { parseFwmark } from '../argv/numbers';
import type { CommandContext } from '../environment';
import { CliError, EXIT_KERNEL, EXIT_USAGE } from '../errors';
import { endpointName, portProtocolOf, type Naming } from '../format/endpoint';
import { runCommander } from './subcommand';

interface DrainFlags {
  readonly tcpService?: string;
  readonly udpService?: string;
  readonly sctpService?: string;
  readonly fwmarkService?: string;
  readonly ipv6?: boolean;
  readonly realServer?: string;
  readonly timeout?: string;
  readonly json?: boolean;
}

/** The `drain` command's words and options (also read by shell completion). */
export function defineDrainCommand(program: Command): Command {
  return program
    .command('drain')
    .description('set a real server to weight 0, then delete it when its connections end (or --timeout passes)')
    .option('-t, --tcp-service <service-address>', 'the TCP service, host[:port]')
    .option('-u, --udp-service <service-address>', 'the UDP service, host[:port]')
    .option('--sctp-service <service-address>', 'the SCTP service, host[:port]')
    .option('-f, --fwmark-service <fwmark>', 'the firewall-mark service')
    .option('-6, --ipv6', 'the fwmark service is IPv6')
    .option('-r, --real-server <server-address>', 'the real server, host[:port] (the port only when it is there at several)')
    .option('--timeout <seconds>', 'delete it after this long even with connections left')
    .option('--json', 'print the outcome as JSON');
}

export function run(command: CommandOf<'drain'>, context: CommandContext): Promise<number> {
  return runCommander(command, context, (program, exit) => {
    defineDrainCommand(program).action(async (flags: DrainFlags) => exit(await drain(flags, context)));
  });
}

const SIGNAL_STATUS: Readonly<Record<string, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

async function serviceOf(flags: DrainFlags, context: CommandContext): Promise<ServiceKey> {
  const given = [
    ['tcp', flags.tcpService], ['udp', flags.udpService], ['sctp', flags.sctpService], ['fwmark', flags.fwmarkService],
  ].filter((g): g is [string, string] => g[1] !== undefined);
  if (given.length !== 1) throw new CliError('drain: give one service: -t, -u, --sctp-service or -f', EXIT_USAGE);
  const [kind, word] = given[0]!;
  if (kind === 'fwmark') {
    const fwmark = parseFwmark(word);
    if (fwmark === undefined) throw new CliError(`drain: invalid fwmark value \`${word}' specified`, EXIT_USAGE);
    return { family: flags.ipv6 ? AddressFamily.IPv6 : AddressFamily.IPv4, fwmark };
  }
  if (flags.ipv6) throw new CliError('drain: -6 goes with -f only', EXIT_USAGE);
  const protocol = kind === 'tcp' ? Protocol.TCP : kind === 'udp' ? Protocol.UDP : Protocol.SCTP;
  const { resolver } = context.env;
  const parsed = await parseHostPort(word, resolver);
  const port = parsed?.portText === undefined ? 0 : resolvePort(parsed.portText, portProtocolOf(protocol), resolver);
  if (!parsed || port === undefined) throw new CliError(`drain: illegal virtual server address[:port] \`${word}' specified`, EXIT_USAGE);
  return { family: parsed.family, protocol, address: parsed.address, port };
}

async function drain(flags: DrainFlags, context: CommandContext): Promise<number> {
  const { env, output } = context;
  const service = await serviceOf(flags, context);
  if (flags.realServer === undefined) throw new CliError('drain: give the real server with -r', EXIT_USAGE);
  const protocol = 'fwmark' in service ? undefined : portProtocolOf(service.protocol);
  const server = await parseHostPort(flags.realServer, env.resolver);
  const port = server?.portText === undefined ? undefined : resolvePort(server.portText, protocol, env.resolver);
  if (!server || (server.portText !== undefined && port === undefined)) {
    throw new CliError(`drain: illegal real server address[:port] \`${flags.realServer}' specified`, EXIT_USAGE);
  }
  let timeoutMs: number | undefined;
  if (flags.timeout !== undefined) {
    const seconds = /^\d+(\.\d+)?$/.test(flags.timeout) ? Number(flags.timeout) : Number.NaN;
    if (!Number.isFinite(seconds)) throw new CliError(`drain: invalid --timeout \`${flags.timeout}': seconds, 0 or more`, EXIT_USAGE);
    timeoutMs = seconds * 1000;
  }
  const api = await context.api();
  const naming: Naming = { numeric: true, resolver: env.resolver };
  const serviceName = 'fwmark' in service ? `FWM ${service.fwmark}` : `${protocol!.toUpperCase()} ${endpointName(service.family, service.address, service.port, service.protocol, naming)}`;
  const watch = env.watchSignals();
  try {
    const result = await drainRealServer(api, service, { address: server.address, ...(port !== undefined ? { port } : {}) }, {
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      signal: watch.signal,
      // said at once on a terminal (the output is written when the command is over)
      onWait: (active, waited) => {
        if (waited === 0) env.stderrTerminal?.()?.write(`${env.program} drain: weight 0, waiting for ${active} active connection${active === 1 ? '' : 's'} to end\n`);
      },
    });
    output.out(flags.json ? jsonOf(result, serviceName) : textOf(result, serviceName));
    return 0;
  } catch (error) {
    if (error instanceof DrainError) {
      throw new CliError(`drain: ${error.message}`, error.code === 'ambiguous-server' ? EXIT_USAGE : EXIT_KERNEL);
    }
    if (watch.signal.aborted) {
      const name = String(watch.signal.reason instanceof Error ? watch.signal.reason.message : watch.signal.reason);
      output.err(`drain: stopped (${name}): the real server stays at weight 0\n`);
      return SIGNAL_STATUS[name] ?? 130;
    }
    throw error;
  } finally {
    watch.release();
  }
}

function serverText(result: DrainResult): string {
  const { family, address, port } = result.destination.key;
  return family === AddressFamily.IPv6 ? `[${address}]:${port}` : `${address}:${port}`;
}

function textOf(result: DrainResult, serviceName: string): string {
  const seconds = (result.waitedMs / 1000).toFixed(1);
  const why = result.reason === 'timeout'
    ? `the timeout passed with ${result.activeAtEnd} active connection${result.activeAtEnd === 1 ? '' : 's'} left`
    : 'no active connection left';
  return `drained ${serverText(result)} of ${serviceName}: weight ${result.weightBefore} -> 0, deleted after ${seconds} s (${why})\n`;
}

function jsonOf(result: DrainResult, serviceName: string): string {
  return `${JSON.stringify({
    service: serviceName, server: serverText(result), weightBefore: result.weightBefore, activeAtStart: result.activeAtStart,
    activeAtEnd: result.activeAtEnd, waitedMs: result.waitedMs, reason: result.reason, deleted: true,
  }, null, 2)}\n`;
}
