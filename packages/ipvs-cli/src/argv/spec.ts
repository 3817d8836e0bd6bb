/**
 * The ipvsadm command line as data: commands, options (short/long spelling, argument arity and the
 * name ipvsadm uses for the option in messages). Anything not listed here is an unknown option.
 */

export type CommandName =
  | 'add-service' | 'edit-service' | 'delete-service' | 'flush' | 'list' | 'add-server' | 'delete-server'
  | 'edit-server' | 'set' | 'restore' | 'save' | 'zero' | 'start-daemon' | 'stop-daemon';

/** The option names of ipvsadm's compatibility matrix (plus our additions json, pretty and wait). */
export type OptionName =
  | 'numeric' | 'connection' | 'service-address' | 'scheduler' | 'persistent' | 'netmask' | 'real-server'
  | 'forwarding-method' | 'weight' | 'u-threshold' | 'l-threshold' | 'mcast-interface' | 'timeout' | 'daemon'
  | 'stats' | 'rate' | 'thresholds' | 'persistent-conn' | 'nosort' | 'syncid' | 'exact' | 'ops' | 'pe'
  | 'sched-flags' | 'mcast-group' | 'mcast-port' | 'mcast-ttl' | 'sync-maxlen' | 'tun-info' | 'tun-type'
  | 'tun-port' | 'tun-nocsum' | 'tun-csum' | 'tun-remcsum' | 'json' | 'pretty' | 'wait';

export type Arity = 'none' | 'required' | 'optional';

/** What an option word means: a command, -h/-v, or an option (`key` tells the handler which one). */
export type Meaning =
  | { readonly kind: 'command'; readonly command: CommandName }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'option'; readonly key: OptionKey; readonly name?: OptionName };

export type OptionKey =
  | 'tcp-service' | 'udp-service' | 'sctp-service' | 'fwmark-service' | 'ipv6' | 'scheduler' | 'persistent'
  | 'netmask' | 'pe' | 'sched-flags' | 'ops' | 'real-server' | 'gatewaying' | 'ipip' | 'masquerading'
  | 'tun-type' | 'tun-port' | 'tun-nocsum' | 'tun-csum' | 'tun-remcsum' | 'weight' | 'u-threshold'
  | 'l-threshold' | 'connection' | 'timeout' | 'daemon' | 'stats' | 'rate' | 'thresholds' | 'persistent-conn'
  | 'tun-info' | 'nosort' | 'sort' | 'exact' | 'numeric' | 'syncid' | 'mcast-interface' | 'mcast-group'
  | 'mcast-port' | 'mcast-ttl' | 'sync-maxlen' | 'json' | 'pretty' | 'wait';

export interface OptionSpec {
  readonly short?: string;
  readonly long: string;
  readonly arity: Arity;
  readonly meaning: Meaning;
}

const command = (command: CommandName): Meaning => ({ kind: 'command', command });
const option = (key: OptionKey, name?: OptionName): Meaning => (name ? { kind: 'option', key, name } : { kind: 'option', key });

export const OPTIONS: readonly OptionSpec[] = [
  { short: 'A', long: 'add-service', arity: 'none', meaning: command('add-service') },
  { short: 'E', long: 'edit-service', arity: 'none', meaning: command('edit-service') },
  { short: 'D', long: 'delete-service', arity: 'none', meaning: command('delete-service') },
  { short: 'C', long: 'clear', arity: 'none', meaning: command('flush') },
  { short: 'L', long: 'list', arity: 'none', meaning: command('list') },
  { short: 'l', long: 'list', arity: 'none', meaning: command('list') },
  { short: 'a', long: 'add-server', arity: 'none', meaning: command('add-server') },
  { short: 'd', long: 'delete-server', arity: 'none', meaning: command('delete-server') },
  { short: 'e', long: 'edit-server', arity: 'none', meaning: command('edit-server') },
  { long: 'set', arity: 'none', meaning: command('set') },
  { short: 'R', long: 'restore', arity: 'none', meaning: command('restore') },
  { short: 'S', long: 'save', arity: 'none', meaning: command('save') },
  { short: 'Z', long: 'zero', arity: 'none', meaning: command('zero') },
  { long: 'start-daemon', arity: 'required', meaning: command('start-daemon') },
  { long: 'stop-daemon', arity: 'required', meaning: command('stop-daemon') },
  { short: 'h', long: 'help', arity: 'none', meaning: { kind: 'help' } },
  { short: 'v', long: 'version', arity: 'none', meaning: { kind: 'version' } },

  { short: 't', long: 'tcp-service', arity: 'required', meaning: option('tcp-service', 'service-address') },
  { short: 'u', long: 'udp-service', arity: 'required', meaning: option('udp-service', 'service-address') },
  { long: 'sctp-service', arity: 'required', meaning: option('sctp-service', 'service-address') },
  { short: 'f', long: 'fwmark-service', arity: 'required', meaning: option('fwmark-service', 'service-address') },
  { short: '6', long: 'ipv6', arity: 'none', meaning: option('ipv6') },
  { short: 's', long: 'scheduler', arity: 'required', meaning: option('scheduler', 'scheduler') },
  { short: 'p', long: 'persistent', arity: 'optional', meaning: option('persistent', 'persistent') },
  { short: 'M', long: 'netmask', arity: 'required', meaning: option('netmask', 'netmask') },
  { long: 'pe', arity: 'required', meaning: option('pe', 'pe') },
  { short: 'b', long: 'sched-flags', arity: 'required', meaning: option('sched-flags', 'sched-flags') },
  { short: 'o', long: 'ops', arity: 'none', meaning: option('ops', 'ops') },
  { short: 'r', long: 'real-server', arity: 'required', meaning: option('real-server', 'real-server') },
  { short: 'g', long: 'gatewaying', arity: 'none', meaning: option('gatewaying', 'forwarding-method') },
  { short: 'i', long: 'ipip', arity: 'none', meaning: option('ipip', 'forwarding-method') },
  { short: 'm', long: 'masquerading', arity: 'none', meaning: option('masquerading', 'forwarding-method') },
  { long: 'tun-type', arity: 'required', meaning: option('tun-type', 'tun-type') },
  { long: 'tun-port', arity: 'required', meaning: option('tun-port', 'tun-port') },
  { long: 'tun-nocsum', arity: 'none', meaning: option('tun-nocsum', 'tun-nocsum') },
  { long: 'tun-csum', arity: 'none', meaning: option('tun-csum', 'tun-csum') },
  { long: 'tun-remcsum', arity: 'none', meaning: option('tun-remcsum', 'tun-remcsum') },
  { short: 'w', long: 'weight', arity: 'required', meaning: option('weight', 'weight') },
  { short: 'x', long: 'u-threshold', arity: 'required', meaning: option('u-threshold', 'u-threshold') },
  { short: 'y', long: 'l-threshold', arity: 'required', meaning: option('l-threshold', 'l-threshold') },
  { short: 'c', long: 'connection', arity: 'none', meaning: option('connection', 'connection') },
  { long: 'timeout', arity: 'none', meaning: option('timeout', 'timeout') },
  { long: 'daemon', arity: 'none', meaning: option('daemon', 'daemon') },
  { long: 'stats', arity: 'none', meaning: option('stats', 'stats') },
  { long: 'rate', arity: 'none', meaning: option('rate', 'rate') },
  { long: 'thresholds', arity: 'none', meaning: option('thresholds', 'thresholds') },
  { long: 'persistent-conn', arity: 'none', meaning: option('persistent-conn', 'persistent-conn') },
  { long: 'tun-info', arity: 'none', meaning: option('tun-info', 'tun-info') },
  { long: 'nosort', arity: 'none', meaning: option('nosort', 'nosort') },
  { long: 'sort', arity: 'none', meaning: option('sort') },
  { short: 'X', long: 'exact', arity: 'none', meaning: option('exact', 'exact') },
  { short: 'n', long: 'numeric', arity: 'none', meaning: option('numeric', 'numeric') },
  { long: 'syncid', arity: 'required', meaning: option('syncid', 'syncid') },
  { long: 'mcast-interface', arity: 'required', meaning: option('mcast-interface', 'mcast-interface') },
  { long: 'mcast-group', arity: 'required', meaning: option('mcast-group', 'mcast-group') },
  { long: 'mcast-port', arity: 'required', meaning: option('mcast-port', 'mcast-port') },
  { long: 'mcast-ttl', arity: 'required', meaning: option('mcast-ttl', 'mcast-ttl') },
  { long: 'sync-maxlen', arity: 'required', meaning: option('sync-maxlen', 'sync-maxlen') },
  { long: 'json', arity: 'none', meaning: option('json', 'json') },
  { long: 'pretty', arity: 'none', meaning: option('pretty', 'pretty') },
  // ours: -R waits for another bulk change of the table to finish (--wait=SECONDS, or without end)
  { long: 'wait', arity: 'optional', meaning: option('wait', 'wait') },
];

export function findShort(letter: string): OptionSpec | undefined {
  return OPTIONS.find((o) => o.short === letter);
}

export function findLong(name: string): OptionSpec | undefined {
  return OPTIONS.find((o) => o.long === name);
}
