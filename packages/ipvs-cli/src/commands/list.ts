import { listDestinations, readEachService, type Destination, type DestinationKey, type IpvsApi, type Service } from '@tsipvs/ipvs-core';
import type { CommandOf } from '../argv/command';
import type { CommandContext } from '../environment';
import { EXIT_LIST, messageOf } from '../errors';
import { connectionLine, connectionTitle, parseConnections } from '../format/connections';
import { daemonLine, timeoutsLine } from '../format/daemons';
import type { Naming } from '../format/endpoint';
import { connectionsJson, daemonsJson, servicesJson, timeoutsJson } from '../format/json';
import { prettyConnections, prettyDaemons, prettyServices, prettyTimeouts } from '../format/pretty';
import { endpointSortKey, sortByEndpoint, sortDestinations, sortServices } from '../format/sort';
import { destinationLine, serviceLine, titleLines, versionLine } from '../format/text';

/** -L / -l: the table, one service, connections (-c), timeouts or sync daemons. */
export async function runList(command: CommandOf<'list'>, context: CommandContext): Promise<number> {
  const format = command.format;
  const naming: Naming = { numeric: format.numeric, resolver: context.env.resolver };
  if (format.connections) return listConnections(command, context, naming);
  if (format.timeouts || format.daemons) return listTimeoutsOrDaemons(command, context);
  return listServices(command, context, naming);
}

/** A listing failure: the message on stderr, exit 1 (output already written stays). */
function failed(context: CommandContext, error: unknown): number {
  context.output.err(`${messageOf(error)}\n`);
  return EXIT_LIST;
}

async function listTimeoutsOrDaemons(command: CommandOf<'list'>, context: CommandContext): Promise<number> {
  const { format } = command;
  const out = (text: string): void => context.output.out(text);
  try {
    const api = await context.api();
    if (format.timeouts) {
      const timeouts = await api.getTimeouts();
      out(format.json ? timeoutsJson(timeouts) : format.pretty ? await prettyTimeouts(timeouts) : timeoutsLine(timeouts));
    } else {
      const daemons = await api.getDaemons();
      out(format.json ? daemonsJson(daemons) : format.pretty ? await prettyDaemons(daemons) : daemons.map(daemonLine).join(''));
    }
    return 0;
  } catch (error) {
    return failed(context, error);
  }
}

async function listConnections(command: CommandOf<'list'>, context: CommandContext, naming: Naming): Promise<number> {
  const text = await context.env.readConnections();
  if (text === undefined) return failed(context, 'cannot open file /proc/net/ip_vs_conn');
  const connections = parseConnections(text);
  if (!connections) return failed(context, 'unexpected input from /proc/net/ip_vs_conn');
  const { format } = command;
  if (format.json) context.output.out(connectionsJson(connections));
  else if (format.pretty) context.output.out(await prettyConnections(connections, naming));
  else {
    context.output.out(connectionTitle(format.persistentConn));
    for (const c of connections) context.output.out(connectionLine(c, format.persistentConn, naming));
  }
  return 0;
}

async function listServices(command: CommandOf<'list'>, context: CommandContext, naming: Naming): Promise<number> {
  const { format } = command;
  const api = await context.api();
  const info = await context.info();
  const out = (text: string): void => context.output.out(text);
  const structured = format.json || format.pretty;
  try {
    if (!command.service && !structured) out(versionLine(info.version, info.connectionTableSize));
    const found = command.service ? [await api.getService(command.service)] : await api.getServices();
    const services = format.sort ? sortServices(found) : found;
    if (structured) {
      const listed = [];
      for await (const { service, destinations } of listDestinations(api, services)) {
        listed.push({ service, destinations: format.sort ? sortDestinations(destinations) : destinations });
      }
      out(format.json ? servicesJson(info.version, info.connectionTableSize, listed) : await prettyServices(listed, format, naming));
      return 0;
    }
    out(titleLines(format));
    await writeServiceBlocks(api, services, {
      head: (service) => serviceLine(service, format, naming),
      line: (d, service) => destinationLine(d, service, format, naming),
      sorted: format.sort,
    }, out);
    return 0;
  } catch (error) {
    return failed(context, error);
  }
}

/** How a service's block of text is made: its first line, a line per real server, their order. */
export interface BlockFormat {
  readonly head: (service: Service) => string;
  readonly line: (destination: Destination, service: Service) => string;
  /** In ipvsadm's order of real servers, instead of the kernel's. */
  readonly sorted: boolean;
}

/**
 * Each service's block, written through `out` in the services' order. The real servers are read
 * through the library's view (`visitDestinations`): only their lines and sort keys are made. A
 * blocking client (`api.blocking`) lists with no promise per service; otherwise up to 16 dumps run
 * ahead (`readEachService`). A failure is thrown when its service's turn comes: the blocks before it
 * are written.
 */
export async function writeServiceBlocks(api: IpvsApi, services: readonly Service[], format: BlockFormat, out: (text: string) => void): Promise<void> {
  const blocking = api.blocking;
  if (blocking) {
    for (const service of services) {
      const block = new ServiceBlock(format, service);
      blocking.visitDestinations(service.key, block.add);
      out(block.text());
    }
    return;
  }
  const blocks = readEachService(services, async (service) => {
    const block = new ServiceBlock(format, service);
    await api.visitDestinations(service.key, block.add);
    return block.text();
  });
  for await (const text of blocks) out(text);
}

/**
 * One service's text, made flat at the end: kept until it is written, its many small pieces (each
 * line is a tree of them) would all survive into the old generation.
 */
class ServiceBlock {
  private readonly lines: string[];
  /** When sorted: each line with what it sorts by (copied: the view is valid only during its visit). */
  private readonly rows: Array<{ readonly text: string } & DestinationKey> = [];

  constructor(private readonly format: BlockFormat, private readonly service: Service) {
    this.lines = [format.head(service)];
  }

  readonly add = (destination: Destination): void => {
    const text = this.format.line(destination, this.service);
    if (!this.format.sorted) {
      this.lines.push(text);
      return;
    }
    const { family, address, port } = destination.key;
    this.rows.push({ text, family, address, port });
  };

  text(): string {
    const rows = this.rows;
    if (rows.length === 1) this.lines.push(rows[0]!.text);
    else if (rows.length > 1) for (const row of sortByEndpoint(rows.map((r) => ({ text: r.text, sortKey: endpointSortKey(r) })))) this.lines.push(row.text);
    return this.lines.join('');
  }
}
