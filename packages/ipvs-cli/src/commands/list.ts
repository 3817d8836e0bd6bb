import { listDestinations, readEachService, type Destination, type IpvsApi, type Service } from '@tsipvs/ipvs-core';
import type { CommandOf } from '../argv/command';
import type { CommandContext } from '../environment';
import { EXIT_LIST, messageOf } from '../errors';
import { connectionLine, connectionTitle, parseConnections } from '../format/connections';
import { daemonLine, timeoutsLine } from '../format/daemons';
import type { Naming } from '../format/endpoint';
import { connectionsJson, daemonsJson, servicesJson, timeoutsJson } from '../format/json';
import { prettyConnections, prettyDaemons, prettyServices, prettyTimeouts } from '../format/pretty';
import { endpointSortKey, sortByEndpoint, sortDestinations, sortServices, type EndpointSortKey } from '../format/sort';
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
    const blocks = readEachService(services, (service) => serviceBlock(
      api, service, serviceLine(service, format, naming), (d) => destinationLine(d, service, format, naming), format.sort,
    ));
    for await (const block of blocks) out(block);
    return 0;
  } catch (error) {
    return failed(context, error);
  }
}

/**
 * One service's text: `head`, then `line` of each real server, in ipvsadm's order when `sorted`.
 * The real servers are read through the library's view (`visitDestinations`): only their lines and
 * sort keys are made. One flat string per service: kept until the end, its many small pieces (each
 * line is a tree of them) would all survive into the old generation.
 */
export async function serviceBlock(
  api: IpvsApi, service: Service, head: string, line: (destination: Destination) => string, sorted: boolean,
): Promise<string> {
  const lines = [head];
  if (!sorted) {
    await api.visitDestinations(service.key, (d) => { lines.push(line(d)); });
    return lines.join('');
  }
  const rows: Array<{ readonly text: string; readonly sortKey: EndpointSortKey }> = [];
  await api.visitDestinations(service.key, (d) => { rows.push({ text: line(d), sortKey: endpointSortKey(d.key) }); });
  for (const row of sortByEndpoint(rows)) lines.push(row.text);
  return lines.join('');
}
