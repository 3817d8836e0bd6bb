import type { CommandName, OptionName } from './spec';

/**
 * ipvsadm's command × option compatibility table (reference §3.2), in its row order, which decides
 * which problem is reported first. '+' required, 'x' illegal, ' ' optional, '1' at most one of the
 * '1' options. Columns follow COLUMNS. json/pretty are our additions (listing only), wait too (restore only).
 */
const COLUMNS: readonly CommandName[] = [
  'add-service', 'edit-service', 'delete-service', 'flush', 'list', 'add-server', 'delete-server',
  'edit-server', 'set', 'start-daemon', 'stop-daemon', 'restore', 'save', 'zero',
];

const ROWS: ReadonlyArray<readonly [OptionName, string]> = [
  ['numeric', 'xxxx xxxxxxx x'],
  ['connection', 'xxxx1xxxxxxxxx'],
  ['service-address', '+++x1+++xxxxx '],
  ['scheduler', '  xxxxxxxxxxxx'],
  ['persistent', '  xxxxxxxxxxxx'],
  ['netmask', '  xxxxxxxxxxxx'],
  ['real-server', 'xxxxx+++xxxxxx'],
  ['forwarding-method', 'xxxxx x xxxxxx'],
  ['weight', 'xxxxx x xxxxxx'],
  ['u-threshold', 'xxxxx x xxxxxx'],
  ['l-threshold', 'xxxxx x xxxxxx'],
  ['mcast-interface', 'xxxxxxxxx xxxx'],
  ['timeout', 'xxxx1xxxxxxxxx'],
  ['daemon', 'xxxx1xxxxxxxxx'],
  ['stats', 'xxxx xxxxxxxxx'],
  ['rate', 'xxxx xxxxxxxxx'],
  ['thresholds', 'xxxx xxxxxxxxx'],
  ['persistent-conn', 'xxxx xxxxxxxxx'],
  ['nosort', 'xxxx xxxxxxxxx'],
  ['syncid', 'xxxx xxxx  xxx'],
  ['exact', 'xxxx xxxxxxxxx'],
  ['ops', '  xxxxxxxxxxxx'],
  ['pe', '  xxxxxxxxxxxx'],
  ['sched-flags', '  xxxxxxxxxxxx'],
  ['mcast-group', 'xxxxxxxxx xxxx'],
  ['mcast-port', 'xxxxxxxxx xxxx'],
  ['mcast-ttl', 'xxxxxxxxx xxxx'],
  ['sync-maxlen', 'xxxxxxxxx xxxx'],
  ['tun-info', 'xxxx xxxxxxxxx'],
  ['tun-type', 'xxxxx x xxxxxx'],
  ['tun-port', 'xxxxx x xxxxxx'],
  ['tun-nocsum', 'xxxxx x xxxxxx'],
  ['tun-csum', 'xxxxx x xxxxxx'],
  ['tun-remcsum', 'xxxxx x xxxxxx'],
  ['json', 'xxxx xxxxxxxxx'],
  ['pretty', 'xxxx xxxxxxxxx'],
  ['wait', 'xxxxxxxxxxx xx'],
];

/** Tunnel-type × tunnel-option table, checked for -a/-e with -i. */
const TUNNEL_COLUMNS = ['ipip', 'gue', 'gre'] as const;
const TUNNEL_ROWS: ReadonlyArray<readonly [OptionName, string]> = [
  ['tun-port', 'x+x'],
  ['tun-nocsum', 'x11'],
  ['tun-csum', 'x11'],
  ['tun-remcsum', 'x1x'],
];

export type TunnelTypeName = (typeof TUNNEL_COLUMNS)[number];

/** Walks a table column; returns ipvsadm's message for the first problem, or undefined. */
function checkColumn(
  rows: ReadonlyArray<readonly [OptionName, string]>,
  column: number,
  given: ReadonlySet<OptionName>,
  subject: string,
): string | undefined {
  let firstExclusive: OptionName | undefined;
  for (const [name, cells] of rows) {
    const cell = cells[column];
    if (!given.has(name)) {
      if (cell === '+') return `You need to supply the '${name}' option for the ${subject}`;
      continue;
    }
    if (cell === 'x') return `Illegal '${name}' option with the ${subject}`;
    if (cell === '1') {
      if (firstExclusive === undefined) firstExclusive = name;
      else return `The option '${name}' conflicts with the '${firstExclusive}' option in the ${subject}`;
    }
  }
  return undefined;
}

export function checkCommandOptions(command: CommandName, given: ReadonlySet<OptionName>): string | undefined {
  return checkColumn(ROWS, COLUMNS.indexOf(command), given, `'${command}' command`);
}

export function checkTunnelOptions(type: TunnelTypeName, given: ReadonlySet<OptionName>): string | undefined {
  return checkColumn(TUNNEL_ROWS, TUNNEL_COLUMNS.indexOf(type), given, `'${type}' tunnel type`);
}
