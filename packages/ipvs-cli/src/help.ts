/**
 * -h and -v: ipvsadm 1.31's texts, with our program name where ipvsadm names itself; -h then lists
 * what tsipvs adds.
 */

/** The values -h names for some options; completion offers the same. */
export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'] as const;
export const PERSISTENCE_ENGINES = ['sip'] as const;
export const TUNNEL_TYPES = ['ipip', 'gue', 'gre'] as const;
export const DAEMON_STATES = ['master', 'backup'] as const;

export function versionText(program: string): string {
  return `${program} v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n`;
}

/** -h: ipvsadm's text, unchanged, then our additions. */
export function helpText(program: string): string {
  return ipvsadmHelpText(program) + additionsHelpText(program);
}

function ipvsadmHelpText(program: string): string {
  return `${versionText(program)}Usage:
  ${program} -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]
  ${program} -D virtual-service
  ${program} -C
  ${program} -R
  ${program} -S [-n]
  ${program} -a|e virtual-service -r server-address [options]
  ${program} -d virtual-service -r server-address
  ${program} -L|l [virtual-service] [options]
  ${program} -Z [virtual-service]
  ${program} --set tcp tcpfin udp
  ${program} --start-daemon {${DAEMON_STATES.join('|')}} [daemon-options]
  ${program} --stop-daemon {${DAEMON_STATES.join('|')}}
  ${program} -h

Commands:
Either long or short options are allowed.
  --add-service     -A        add virtual service with options
  --edit-service    -E        edit virtual service with options
  --delete-service  -D        delete virtual service
  --clear           -C        clear the whole table
  --restore         -R        restore rules from stdin
  --save            -S        save rules to stdout
  --add-server      -a        add real server with options
  --edit-server     -e        edit real server with options
  --delete-server   -d        delete real server
  --list            -L|-l     list the table
  --zero            -Z        zero counters in a service or all services
  --set tcp tcpfin udp        set connection timeout values
  --start-daemon              start connection sync daemon
  --stop-daemon               stop connection sync daemon
  --help            -h        display this help message

virtual-service:
  --tcp-service|-t  service-address   service-address is host[:port]
  --udp-service|-u  service-address   service-address is host[:port]
  --sctp-service    service-address   service-address is host[:port]
  --fwmark-service|-f fwmark          fwmark is an integer greater than zero

Options:
  --ipv6         -6                   fwmark entry uses IPv6
  --scheduler    -s scheduler         one of ${SCHEDULERS.join('|')},
                                      the default scheduler is wlc.
  --pe            engine              alternate persistence engine may be ${PERSISTENCE_ENGINES.join('|')},
                                      not set by default.
  --persistent   -p [timeout]         persistent service
  --netmask      -M netmask           persistent granularity mask
  --real-server  -r server-address    server-address is host (and port)
  --gatewaying   -g                   gatewaying (direct routing) (default)
  --ipip         -i                   ipip encapsulation (tunneling)
  --masquerading -m                   masquerading (NAT)
  --tun-type      type                one of ${TUNNEL_TYPES.join('|')},
                                      the default tunnel type is ipip.
  --tun-port      port                tunnel destination port
  --tun-nocsum                        tunnel encapsulation without checksum
  --tun-csum                          tunnel encapsulation with checksum
  --tun-remcsum                       tunnel encapsulation with remote checksum
  --weight       -w weight            capacity of real server
  --u-threshold  -x uthreshold        upper threshold of connections
  --l-threshold  -y lthreshold        lower threshold of connections
  --connection   -c                   output of current IPVS connections
  --timeout                           output of timeout (tcp tcpfin udp)
  --daemon                            output of daemon information
  --stats                             output of statistics information
  --rate                              output of rate information
  --exact                             expand numbers (display exact values)
  --thresholds                        output of thresholds information
  --persistent-conn                   output of persistent connection info
  --tun-info                          output of tunnel information
  --nosort                            disable sorting output of service/server entries
  --sort                              does nothing, for backwards compatibility
  --ops          -o                   one-packet scheduling
  --numeric      -n                   numeric output of addresses and ports
  --sched-flags  -b flags             scheduler flags (comma-separated)
Daemon Options:
  --syncid sid                        syncid for connection sync (default=255)
  --sync-maxlen length                Max sync message length (default=1472)
  --mcast-interface interface         multicast interface for connection sync
  --mcast-group address               IPv4/IPv6 group (default=224.0.0.81)
  --mcast-port port                   UDP port (default=8848)
  --mcast-ttl ttl                     Multicast TTL (default=1)
`;
}

/** A line of -h: what is typed, then from column 38 (ipvsadm's Options column) what it does. */
function helpRow(typed: string, does: string): string {
  const column = 36;
  return typed.length < column - 1 ? `  ${typed.padEnd(column)}${does}\n` : `  ${typed}\n${' '.repeat(column + 2)}${does}\n`;
}

/** The section -h adds after ipvsadm's text (ours, not ipvsadm's: a deliberate difference). */
export function additionsHelpText(program: string): string {
  return [
    `\nAdditions of ${program} (not in ipvsadm):\n`,
    helpRow('--json', 'listings (-L) as JSON'),
    helpRow('--pretty', 'listings (-L) as a bordered table'),
    helpRow('--wait[=SECONDS]', 'with -R: wait for another bulk change of the table'),
    helpRow('--netns NAME|PATH', 'any command: act on that network namespace'),
    helpRow(`${program} apply [--dry-run] [--json] FILE`, 'make the table equal to FILE, all or nothing'),
    helpRow(`${program} recover [--rollback|--forget]`, 'what a killed -R or apply left; put the table back'),
    helpRow(`${program} sysctl get|set|list`, 'read and write kernel settings'),
    helpRow(`${program} realserver setup|teardown`, 'prepare a DR or TUN real server'),
    helpRow(`${program} director setup|teardown`, 'prepare a director'),
    helpRow(`${program} completion bash|zsh|fish`, 'print a shell completion script'),
    helpRow(`${program} version`, `versions of ${program}, the kernel's IPVS and Node.js`),
    helpRow(`${program} keepalived [-f FILE] [-t] [-D]`, 'health checks keep the table of keepalived.conf'),
    helpRow(`${program} keepalived status [--json]`, 'what the running keepalived daemon sees'),
    helpRow(`${program} exporter --listen ADDR:PORT`, 'serve Prometheus metrics of the table'),
    helpRow(`${program} drain -t|-u|-f SERVICE -r RIP[:PORT]`, 'weight 0, then delete once its connections end'),
    `\`${program} COMMAND --help' and \`man ${program}' tell more.\n`,
  ].join('');
}

/**
 * What the help text says about each long option, by name ("scheduler" → "one of rr|wrr|..."): the
 * text after the last wide gap of its line. Completion shows these next to the options.
 */
export function optionSummaries(): ReadonlyMap<string, string> {
  const summaries = new Map<string, string>();
  for (const line of `${helpText('')}${additionsHelpText('')}`.split('\n')) {
    const long = /^ {2}--([a-z0-9-]+)/.exec(line)?.[1];
    const gap = line.lastIndexOf('  ');
    if (long !== undefined) summaries.set(long, line.slice(gap + 2).replace(/,$/, ''));
  }
  return summaries;
}
