/**
 * keepalived.conf's grammar, keepalived 2.2.7's (check/check_parser.c, check_api.c, check_http.c,
 * check_misc.c; for the VRRP half vrrp/vrrp_parser.c, vrrp_ipaddress.c and core/global_parser.c):
 * the item tree of reader.ts becomes drafts (drafts.ts). Where keepalived reports a
 * value it then ignores or a server it drops, this is an error (nothing half-understood runs);
 * unknown keywords are warnings, as in keepalived. Defaults are applied later, by finalize.ts.
 */
import { AddressFamily } from '@tsipvs/ipvs-core';
import type { MessageLog } from './errors';
import type { Block, Item, Word } from './reader';
import { splitQuotedEscaped } from './reader';
import type { Forwarding, Protocol, SourceRef, TunnelType } from './model';
import {
  SECOND, newChecker, newRealServer, newVirtualServer, newVrrpInstance,
  type DraftChecker, type DraftGroup, type DraftNotify, type DraftRealServer, type DraftSyncGroup, type DraftUrl, type DraftVirtualServer,
  type DraftVrrp, type DraftVrrpInstance, type DraftVrrpScript, type Drafts,
} from './drafts';
import { scopeNumber, type VirtualAddress } from './vrrp-model';
import { SCHEDULERS, addressRange, prefixEnd, readAddress, shellCommand } from './values';

/** One keyword with the words that belong to it and its block. */
interface Statement {
  readonly keyword: Word;
  readonly args: readonly Word[];
  readonly block?: Block;
}

interface KeywordSpec<C> {
  /** [min, max] words after the keyword; 'line': every word of the keepalived line (scripts). */
  readonly args: readonly [number, number] | 'line';
  readonly block?: 'required' | 'optional';
  readonly run: (st: Statement, ctx: C) => void;
}

type Level<C> = Readonly<Record<string, KeywordSpec<C>>>;

/** The largest group range expanded into single addresses. */
const MAX_RANGE = 65536;

export function parseTree(items: readonly Item[], log: MessageLog): Drafts {
  return new Grammar(log).parse(items);
}

class Grammar {
  private readonly drafts: Drafts = { virtualServers: [], groups: [], vrrp: { instances: [], scripts: [], syncGroups: [] } };
  constructor(private readonly log: MessageLog) {}

  parse(items: readonly Item[]): Drafts {
    this.block(items, this.top, undefined, 'top level');
    return this.drafts;
  }

  // ---- generic block walking ----

  private block<C>(items: readonly Item[], level: Level<C>, ctx: C, where: string): void {
    for (let i = 0; i < items.length; ) {
      const item = items[i]!;
      if (item.kind === 'block') {
        this.log.error(item.at, `unexpected '{' in ${where}: no keyword opens this block`);
        i++;
        continue;
      }
      const spec = Object.hasOwn(level, item.text) ? level[item.text] : undefined;
      const previous = items[i - 1];
      if (spec && previous?.kind === 'word' && previous.segment === item.segment) {
        this.log.warning(item.at, `'${item.text}' follows another keyword on its line: keepalived reads only the first keyword of a line and would ignore it`);
      }
      let j = i + 1;
      const args: Word[] = [];
      const sameLine = (k: number): Word | undefined => {
        const next = items[k];
        return next?.kind === 'word' && next.segment === item.segment ? next : undefined;
      };
      if (!spec || spec.args === 'line') {
        for (let w = sameLine(j); w; w = sameLine(++j)) args.push(w);
      } else {
        const [min, max] = spec.args;
        for (let w = sameLine(j); w && args.length < max && !(args.length >= min && Object.hasOwn(level, w.text)); w = sameLine(++j)) args.push(w);
        const extra: Word[] = [];
        for (let w = sameLine(j); w && !Object.hasOwn(level, w.text); w = sameLine(++j)) extra.push(w);
        if (extra.length > 0) this.log.warning(extra[0]!.at, `${item.text}: extra words ignored: ${extra.map((w) => w.text).join(' ')}`);
      }
      const next = items[j];
      const block = next?.kind === 'block' ? next : undefined;
      if (block) j++;
      i = j;
      if (!spec) {
        this.log.warning(item.at, `unknown keyword '${item.text}' in ${where}${block ? ' (its block is skipped)' : ''}`);
        continue;
      }
      if (block && !spec.block) {
        this.log.error(block.at, `'${item.text}' takes no block`);
        continue;
      }
      if (!block && spec.block === 'required') {
        this.log.error(item.at, `'${item.text}' needs a block: ${item.text} ... { ... }`);
        continue;
      }
      if (spec.args !== 'line' && args.length < spec.args[0]) {
        this.log.error(item.at, `${item.text}: missing value`);
        continue;
      }
      spec.run({ keyword: item, args, ...(block ? { block } : {}) }, ctx);
    }
  }

  // ---- values ----

  private unsigned(word: Word, what: string, min: number, max: number): number | undefined {
    const text = word.text.replace(/^[ \t\f\n\r\v]+/, '');
    if (!/^\+?\d+$/.test(text)) {
      this.log.error(word.at, `${what}: invalid number '${word.text}'`);
      return undefined;
    }
    const value = Number(text);
    if (value < min || value > max) {
      this.log.error(word.at, `${what}: ${word.text} is outside ${min}-${max}`);
      return undefined;
    }
    return value;
  }

  /** keepalived's <TIMER>: seconds with up to 6 decimals, as microseconds. */
  private timer(word: Word, what: string, minUs: number): number | undefined {
    const m = /^(\d*)(?:\.(\d*))?$/.exec(word.text);
    if (!m || (m[1] === '' && !m[2])) {
      this.log.error(word.at, `${what}: invalid time '${word.text}' (seconds, e.g. 3 or 1.5)`);
      return undefined;
    }
    const decimals = m[2] ?? '';
    if (decimals.length > 6) this.log.warning(word.at, `${what}: '${word.text}' has more than 6 decimal places: rounded to microseconds`);
    let us = Number(m[1] || '0') * SECOND + Number(decimals.slice(0, 6).padEnd(6, '0'));
    if (decimals.length > 6 && decimals[6]! >= '5') us++;
    if (us < minUs) {
      this.log.error(word.at, `${what}: must be more than 0 (got ${word.text})`);
      return undefined;
    }
    return us;
  }

  /** keepalived's optional <BOOL> (on|off|true|false|yes|no); the keyword alone means true. */
  private flag(st: Statement): boolean | undefined {
    const word = st.args[0];
    if (!word) return true;
    if (['true', 'on', 'yes'].includes(word.text)) return true;
    if (['false', 'off', 'no'].includes(word.text)) return false;
    this.log.error(word.at, `${st.keyword.text}: '${word.text}' is not one of on|off|true|false|yes|no`);
    return undefined;
  }

  /** An address, with what keepalived drops after '-' or '/' dropped too (with a warning). */
  private address(word: Word, what: string): { family: AddressFamily; address: string } | undefined {
    const cut = word.text.search(/[-/]/);
    const text = cut >= 0 ? word.text.slice(0, cut) : word.text;
    const parsed = readAddress(text);
    if (!parsed) {
      this.log.error(word.at, `${what}: invalid address '${word.text}'`);
      return undefined;
    }
    if (cut >= 0) this.log.warning(word.at, `${what}: '${word.text.slice(cut)}' after the address is ignored (as keepalived does)`);
    return parsed;
  }

  /** A port word: all zeros means none (keepalived's legacy form), else 1-65535. */
  private port(word: Word | undefined, what: string): number | undefined {
    if (!word || /^0+$/.test(word.text)) return 0;
    return this.unsigned(word, `${what} port`, 1, 65535);
  }

  /** `IP [PORT]` of virtual_server, real_server and sorry_server. */
  private server(st: Statement, what: string): { family: AddressFamily; address: string; port: number } | undefined {
    const address = this.address(st.args[0]!, what);
    const port = this.port(st.args[1], what);
    return address && port !== undefined ? { ...address, port } : undefined;
  }

  /** `NAT|DR|TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]` (svr_forwarding_handler). */
  private forwarding(st: Statement): Forwarding | undefined {
    const [method, ...options] = st.args;
    const name = st.keyword.text;
    if (!method || !['NAT', 'DR', 'TUN'].includes(method.text)) {
      this.log.error((method ?? st.keyword).at, `${name}: unknown forwarding method '${method?.text ?? ''}' (NAT, DR or TUN)`);
      return undefined;
    }
    let tunnelType: TunnelType = 'ipip';
    let tunnelPort = 0;
    let checksum: Forwarding['tunnelChecksum'] = 'nocsum';
    for (let i = 0; i < options.length; i++) {
      const option = options[i]!;
      const value = options[i + 1];
      if (option.text === 'type' || option.text === 'port') {
        if (!value) {
          this.log.error(option.at, `${name}: '${option.text}' needs a value`);
          return undefined;
        }
        i++;
        if (option.text === 'type') {
          if (value.text !== 'ipip' && value.text !== 'gue' && value.text !== 'gre') {
            this.log.error(value.at, `${name}: unknown tunnel type '${value.text}' (ipip, gue or gre)`);
            return undefined;
          }
          tunnelType = value.text;
        } else {
          const port = this.unsigned(value, `${name} gue tunnel port`, 1, 65535);
          if (port === undefined) return undefined;
          tunnelPort = port;
        }
      } else if (option.text === 'nocsum' || option.text === 'csum' || option.text === 'remcsum') checksum = option.text;
      else {
        this.log.error(option.at, `${name}: invalid tunnel option '${option.text}'`);
        return undefined;
      }
    }
    if (method.text !== 'TUN') {
      if (options.length > 0) this.log.error(options[0]!.at, `${name}: tunnel options apply to TUN only`);
      return options.length > 0 ? undefined : { method: method.text as 'NAT' | 'DR' };
    }
    if ((tunnelType === 'gue') !== (tunnelPort !== 0)) {
      this.log.error(st.keyword.at, `${name}: gue tunnels need 'port N', other tunnel types cannot have a port`);
      return undefined;
    }
    if (tunnelType === 'ipip' && checksum !== 'nocsum') {
      this.log.error(st.keyword.at, `${name}: ipip tunnels have no checksum option`);
      return undefined;
    }
    if (tunnelType === 'gre' && checksum === 'remcsum') {
      this.log.error(st.keyword.at, `${name}: gre tunnels do not support remcsum`);
      return undefined;
    }
    return {
      method: 'TUN', tunnelType,
      ...(tunnelType === 'gue' ? { tunnelPort } : {}),
      ...(tunnelType !== 'ipip' ? { tunnelChecksum: checksum } : {}),
    };
  }

  /** A script line as keepalived reads it: `KEYWORD COMMAND [USER [GROUP]]`, COMMAND quoted when it has arguments. */
  private script(st: Statement): { args: string[]; user?: string; group?: string } | undefined {
    const words = splitQuotedEscaped(st.keyword.segmentText.slice(st.keyword.offset));
    const args = words[1] === undefined ? [] : splitQuotedEscaped(words[1]);
    if (args.length === 0) {
      this.log.error(st.keyword.at, `${st.keyword.text}: missing script`);
      return undefined;
    }
    return { args, ...(words[2] !== undefined ? { user: words[2] } : {}), ...(words[3] !== undefined ? { group: words[3] } : {}) };
  }

  private notifyScript(st: Statement): string | undefined {
    const script = this.script(st);
    if (script?.user !== undefined) this.log.warning(st.keyword.at, `${st.keyword.text}: the user '${script.user}' is not supported: the script runs as tsipvs keepalived's user`);
    return script && shellCommand(script.args);
  }

  private set<T>(value: T | undefined, assign: (v: T) => void): void {
    if (value !== undefined) assign(value);
  }

  // ---- top level ----

  private skipped(text: string): KeywordSpec<unknown> {
    return { args: 'line', block: 'optional', run: (st) => this.log.note(st.keyword.at, `${st.keyword.text}: ${text}`) };
  }

  private readonly top: Level<undefined> = (() => {
    const level: Record<string, KeywordSpec<undefined>> = {
      virtual_server: { args: [1, 2], block: 'required', run: (st) => this.virtualServer(st) },
      virtual_server_group: { args: [1, 1], block: 'required', run: (st) => this.group(st) },
      SSL: this.skipped('not used: SSL_GET checks connect without a client certificate'),
    };
    level.global_defs = { args: [0, 0], block: 'required', run: (st) => {
      this.unusedGlobals = [];
      this.block(st.block!.items, this.globalLevel, undefined, 'global_defs');
      if (this.unusedGlobals.length > 0) this.log.note(st.keyword.at, `global_defs: ${this.unusedGlobals.join(', ')}: not used by tsipvs keepalived: ignored`);
    } };
    level.vrrp_instance = { args: [1, 1], block: 'required', run: (st) => this.vrrpInstance(st) };
    level.vrrp_script = { args: [1, 1], block: 'required', run: (st) => this.vrrpScript(st) };
    level.vrrp_sync_group = { args: [1, 1], block: 'required', run: (st) => this.syncGroup(st) };
    for (const k of ['vrrp_track_process', 'garp_group', 'static_ipaddress', 'static_routes', 'static_rules', 'track_group', 'linkbeat_interfaces', 'interface_up_down_delays']) {
      level[k] = this.unsupported('not supported by tsipvs keepalived: ignored', 'warning');
    }
    for (const k of ['linkbeat_use_polling', 'net_namespace', 'net_namespace_ipvs', 'namespace_with_ipsets', 'use_pid_dir', 'instance', 'child_wait_time']) level[k] = this.skipped('not used by tsipvs keepalived: ignored');
    for (const k of ['bfd_instance', 'track_file', 'vrrp_track_file']) level[k] = this.skipped('not used by the checker half (BFD_CHECK and FILE_CHECK are not supported): ignored');
    return level;
  })();

  // ---- VRRP (keepalived 2.2.7's vrrp/vrrp_parser.c, core/global_parser.c, vrrp/vrrp_ipaddress.c) ----

  /** The keywords of the current global_defs that we accept and do not use (one note for all of them). */
  private unusedGlobals: string[] = [];

  private get vrrp(): DraftVrrp {
    return this.drafts.vrrp!;
  }

  /** The lines of a block of lines (`virtual_ipaddress`, `unicast_peer`, `track_*`, `group`), each as its words. */
  private lines(st: Statement): Word[][] {
    const lines = new Map<number, Word[]>();
    for (const item of st.block!.items) {
      if (item.kind === 'block') {
        this.log.error(item.at, `${st.keyword.text}: unexpected block`);
        continue;
      }
      const line = lines.get(item.segment) ?? [];
      line.push(item);
      lines.set(item.segment, line);
    }
    return [...lines.values()];
  }

  /** A signed integer within [min, max]. */
  private integer(word: Word, what: string, min: number, max: number): number | undefined {
    if (!/^[-+]?\d+$/.test(word.text)) {
      this.log.error(word.at, `${what}: invalid number '${word.text}'`);
      return undefined;
    }
    const value = Number(word.text);
    if (value < min || value > max) {
      this.log.error(word.at, `${what}: ${word.text} is outside ${min} to ${max}`);
      return undefined;
    }
    return value;
  }

  /** An IPv4 address; IPv6 is refused (not supported yet), anything else is an error. */
  private ipv4(word: Word, what: string): string | undefined {
    const parsed = readAddress(word.text);
    if (!parsed) this.log.error(word.at, `${what}: invalid address '${word.text}'`);
    else if (parsed.family === AddressFamily.IPv6) this.log.error(word.at, `${what}: ${word.text}: IPv6 VRRP is not supported yet`);
    else return parsed.address;
    return undefined;
  }

  private multicast4(word: Word, what: string): string | undefined {
    const address = this.ipv4(word, what);
    if (address === undefined) return undefined;
    const first = Number(address.split('.')[0]);
    if (first < 224 || first > 239) {
      this.log.error(word.at, `${what}: ${address} is not a multicast address`);
      return undefined;
    }
    return address;
  }

  /** keepalived's `repeat` settings: 0 is taken as 1, with its warning. */
  private repeats(st: Statement, what: string): number | undefined {
    const value = this.unsigned(st.args[0]!, what, 0, 0xffffffff);
    if (value === 0) {
      this.log.warning(st.args[0]!.at, `${what} must be greater than 0, setting to 1 (as keepalived does)`);
      return 1;
    }
    return value;
  }

  private unsupported(text: string, severity: 'error' | 'warning' = 'error'): KeywordSpec<unknown> {
    return {
      args: 'line', block: 'optional',
      run: (st) => (severity === 'error'
        ? this.log.error(st.keyword.at, `${st.keyword.text}: ${text}`)
        : this.log.warning(st.keyword.at, `${st.keyword.text}: ${text}`)),
    };
  }

  private notifyLevel<C extends { notify: DraftNotify }>(): Level<C> {
    const one = (key: keyof DraftNotify): KeywordSpec<C> => ({
      args: 'line',
      run: (st, ctx) => this.set(this.notifyScript(st), (v) => (ctx.notify[key] = v)),
    });
    return { notify_master: one('master'), notify_backup: one('backup'), notify_fault: one('fault'), notify_stop: one('stop'), notify: one('any') };
  }

  private readonly globalLevel: Level<undefined> = (() => {
    // keepalived: delays up to UINT_MAX microseconds (4294 s), refresh periods up to UINT_MAX seconds
    const seconds = (key: 'garpDelay' | 'garpRefresh' | 'garpLowerPrioDelay'): KeywordSpec<undefined> => ({
      args: [1, 1], run: (st) => this.set(this.unsigned(st.args[0]!, st.keyword.text, 0, key === 'garpRefresh' ? 0xffffffff : 4294), (v) => (this.vrrp[key] = v)),
    });
    const level: Record<string, KeywordSpec<undefined>> = {
      router_id: { args: [1, 1], run: (st) => (this.vrrp.routerId = st.args[0]!.text) },
      vrrp_mcast_group4: { args: [1, 1], run: (st) => this.set(this.multicast4(st.args[0]!, 'vrrp_mcast_group4'), (v) => (this.vrrp.mcastGroup4 = v)) },
      vrrp_mcast_group6: this.unsupported('IPv6 VRRP is not supported yet: ignored', 'warning'),
      vrrp_version: { args: [1, 1], run: (st) => this.set(this.unsigned(st.args[0]!, 'vrrp_version', 2, 3), (v) => (this.vrrp.version = v as 2 | 3)) },
      vrrp_skip_check_adv_addr: { args: [0, 1], run: (st) => this.set(this.flag(st), (v) => (this.vrrp.skipCheckAdvAddr = v)) },
      vrrp_lower_prio_no_advert: { args: [0, 1], run: (st) => this.set(this.flag(st), (v) => (this.vrrp.lowerPrioNoAdvert = v)) },
      vrrp_garp_master_delay: seconds('garpDelay'),
      vrrp_garp_master_refresh: seconds('garpRefresh'),
      vrrp_garp_lower_prio_delay: seconds('garpLowerPrioDelay'),
      vrrp_garp_master_repeat: { args: [1, 1], run: (st) => this.set(this.repeats(st, 'vrrp_garp_master_repeat'), (v) => (this.vrrp.garpRepeat = v)) },
      vrrp_garp_master_refresh_repeat: { args: [1, 1], run: (st) => this.set(this.repeats(st, 'vrrp_garp_master_refresh_repeat'), (v) => (this.vrrp.garpRefreshRepeat = v)) },
      vrrp_garp_lower_prio_repeat: { args: [1, 1], run: (st) => this.set(this.unsigned(st.args[0]!, 'vrrp_garp_lower_prio_repeat', 0, 0x7fffffff), (v) => (this.vrrp.garpLowerPrioRepeat = v)) },
      lvs_sync_daemon: { args: 'line', run: (st) => this.lvsSyncDaemon(st) },
    };
    // change how VRRP behaves in ways tsipvs keepalived does not follow
    for (const k of ['vrrp_strict', 'vrrp_check_unicast_src', 'vrrp_garp_interval', 'vrrp_gna_interval', 'vrrp_min_garp', 'vrrp_higher_prio_send_advert', 'vrrp_down_timer_adverts', 'vrrp_garp_extra_if', 'vrrp_vmac_garp_intvl', 'vrrp_iptables', 'vrrp_ipsets', 'nftables', 'vmac_prefix', 'vmac_addr_prefix', 'dynamic_interfaces', 'default_interface', 'max_auto_priority', 'vrrp_startup_delay', 'log_unknown_vrids']) {
      level[k] = this.unsupported('not supported by tsipvs keepalived: ignored', 'warning');
    }
    // process, e-mail, SNMP, D-Bus and FIFO settings keepalived has and we have no use for
    for (const k of [
      'process_names', 'process_name', 'vrrp_process_name', 'checker_process_name', 'lvs_process_name', 'bfd_process_name', 'notification_email_from', 'smtp_server',
      'smtp_helo_name', 'smtp_connect_timeout', 'notification_email', 'smtp_alert', 'smtp_alert_vrrp', 'smtp_alert_checker', 'no_email_faults', 'startup_script',
      'startup_script_timeout', 'shutdown_script', 'shutdown_script_timeout', 'min_auto_priority_delay', 'checker_log_all_failures', 'disable_local_igmp', 'lvs_timeouts',
      'lvs_flush', 'lvs_flush_on_stop', 'lvs_flush_onstop', 'nftables_priority', 'nftables_ifindex', 'nftables_ipvs', 'nftables_ipvs_priority', 'nftables_ipvs_start_fwmark',
      'nftables_counters', 'vrrp_priority', 'vrrp_no_swap', 'vrrp_rt_priority', 'vrrp_cpu_affinity', 'vrrp_rlimit_rttime', 'vrrp_rlimit_rtime', 'notify_fifo', 'notify_fifo_script',
      'vrrp_notify_fifo', 'vrrp_notify_fifo_script', 'vrrp_notify_priority_changes', 'fifo_write_vrrp_states_on_reload', 'lvs_notify_fifo', 'lvs_notify_fifo_script',
      'checker_priority', 'checker_no_swap', 'checker_rt_priority', 'checker_cpu_affinity', 'checker_rlimit_rttime', 'checker_rlimit_rtime', 'bfd_priority', 'bfd_no_swap',
      'bfd_rt_priority', 'bfd_cpu_affinity', 'bfd_rlimit_rttime', 'bfd_rlimit_rtime', 'snmp_socket', 'enable_traps', 'enable_snmp_vrrp', 'enable_snmp_keepalived', 'enable_snmp_rfc',
      'enable_snmp_rfcv2', 'enable_snmp_rfcv3', 'enable_snmp_checker', 'enable_dbus', 'dbus_service_name', 'script_user', 'enable_script_security', 'vrrp_netlink_cmd_rcv_bufs',
      'vrrp_netlink_cmd_rcv_bufs_force', 'vrrp_netlink_monitor_rcv_bufs', 'vrrp_netlink_monitor_rcv_bufs_force', 'process_monitor_rcv_bufs', 'process_monitor_rcv_bufs_force',
      'lvs_netlink_cmd_rcv_bufs', 'lvs_netlink_cmd_rcv_bufs_force', 'lvs_netlink_monitor_rcv_bufs', 'lvs_netlink_monitor_rcv_bufs_force', 'rs_init_notifies', 'no_checker_emails',
      'vrrp_rx_bufs_policy', 'vrrp_rx_bufs_multiplier', 'umask', 'random_seed', 'reload_check_config', 'reload_time_file', 'reload_repeat', 'reload_file', 'include_check',
      'config_save_dir', 'tmp_config_directory', 'data_use_instance',
    ]) level[k] = { args: 'line', block: 'optional', run: (st) => this.unusedGlobals.push(st.keyword.text) };
    return level;
  })();

  /** `lvs_sync_daemon IFACE [INSTANCE [SYNCID]] | [inst INSTANCE] [id SYNCID]` (lvs_syncd_handler). */
  private lvsSyncDaemon(st: Statement): void {
    const words = st.args;
    if (this.vrrp.lvsSync) return this.log.error(st.keyword.at, `lvs_sync_daemon: already given (at ${this.vrrp.lvsSync.at.file}:${this.vrrp.lvsSync.at.line})`);
    if (words.length === 0) return this.log.error(st.keyword.at, 'lvs_sync_daemon requires interface');
    const sync: NonNullable<DraftVrrp['lvsSync']> = { at: st.keyword.at, interface: words[0]!.text };
    if (sync.interface.length >= 16) return this.log.error(words[0]!.at, `lvs_sync_daemon: interface name '${sync.interface}' is too long`);
    for (let i = 1; i < words.length; i++) {
      const word = words[i]!;
      const value = words[i + 1];
      if (word.text === 'inst' || word.text === 'id') {
        if (!value) return this.log.error(word.at, `lvs_sync_daemon: no value after '${word.text}'`);
        i++;
        if (word.text === 'inst') sync.instance = value.text;
        else {
          sync.syncId = this.unsigned(value, 'lvs_sync_daemon id', 0, 255);
          if (sync.syncId === undefined) return;
        }
      } else if (['maxlen', 'port', 'ttl', 'group'].includes(word.text)) {
        return this.log.error(word.at, `lvs_sync_daemon: '${word.text}' is not supported by tsipvs keepalived yet`);
      } else if (i === 1) sync.instance = word.text;
      else if (i === 2) {
        sync.syncId = this.unsigned(word, 'lvs_sync_daemon id', 0, 255);
        if (sync.syncId === undefined) return;
      } else return this.log.error(word.at, `lvs_sync_daemon: unknown option '${word.text}'`);
    }
    this.vrrp.lvsSync = sync;
  }

  private vrrpInstance(st: Statement): void {
    const name = st.args[0]!.text;
    const first = this.vrrp.instances.find((i) => i.name === name);
    if (first) return this.log.error(st.keyword.at, `vrrp_instance ${name} is defined twice (first at ${first.at.file}:${first.at.line})`);
    const instance = newVrrpInstance(st.keyword.at, name);
    const errors = this.log.errorCount;
    this.block(st.block!.items, this.instanceLevel, instance, `vrrp_instance ${name}`);
    if (this.log.errorCount === errors) this.vrrp.instances.push(instance);
  }

  private readonly instanceLevel: Level<DraftVrrpInstance> = (() => {
    const seconds = (key: 'garpDelay' | 'garpRefresh' | 'garpLowerPrioDelay'): KeywordSpec<DraftVrrpInstance> => ({
      args: [1, 1], run: (st, v) => this.set(this.unsigned(st.args[0]!, st.keyword.text, 0, key === 'garpRefresh' ? 0xffffffff : 4294), (x) => (v[key] = x)),
    });
    const source: KeywordSpec<DraftVrrpInstance> = {
      args: [1, 1], run: (st, v) => this.set(this.ipv4(st.args[0]!, st.keyword.text), (x) => {
        v.source = x;
        if (st.keyword.text === 'unicast_src_ip') v.unicast = true;
      }),
    };
    const level: Record<string, KeywordSpec<DraftVrrpInstance>> = {
      ...this.notifyLevel<DraftVrrpInstance>(),
      state: { args: [1, 1], run: (st, v) => {
        const text = st.args[0]!.text;
        if (text === 'MASTER') v.state = 'MASTER';
        else if (text === 'BACKUP') {
          if (v.state === 'MASTER') this.log.warning(st.keyword.at, `(${v.name}) state previously set as MASTER - ignoring BACKUP (as keepalived does)`);
          else v.state = 'BACKUP';
        } else {
          this.log.warning(st.args[0]!.at, `(${v.name}) unknown state '${text}', defaulting to BACKUP (as keepalived does)`);
          v.state = 'BACKUP';
        }
      } },
      interface: { args: [1, 1], run: (st, v) => {
        const text = st.args[0]!.text;
        if (text.length >= 16) return this.log.error(st.args[0]!.at, `interface: name '${text}' is too long (at most 15 characters)`);
        v.interface = text;
      } },
      virtual_router_id: { args: [1, 1], run: (st, v) => this.set(this.unsigned(st.args[0]!, 'virtual_router_id', 1, 255), (x) => (v.vrid = x)) },
      priority: { args: [1, 1], run: (st, v) => this.set(this.unsigned(st.args[0]!, 'priority', 1, 255), (x) => (v.priority = x)) },
      advert_int: { args: [1, 1], run: (st, v) => this.set(this.timer(st.args[0]!, 'advert_int', 1), (x) => {
        if (x < 10_000 || x > 255 * SECOND) this.log.error(st.args[0]!.at, `advert_int: ${st.args[0]!.text} is outside 0.01-255 seconds`);
        else v.advertInt = x;
      }) },
      version: { args: [1, 1], run: (st, v) => this.set(this.unsigned(st.args[0]!, 'version', 2, 3), (x) => (v.version = x as 2 | 3)) },
      nopreempt: { args: [0, 0], run: (_st, v) => (v.nopreempt = true) },
      preempt: { args: [0, 0], run: (_st, v) => (v.nopreempt = false) },
      preempt_delay: { args: [1, 1], run: (st, v) => this.set(this.timer(st.args[0]!, 'preempt_delay', 0), (x) => {
        if (x > 1000 * SECOND) this.log.error(st.args[0]!.at, `preempt_delay: ${st.args[0]!.text} is outside 0-1000 seconds`);
        else v.preemptDelay = x;
      }) },
      authentication: { args: [0, 0], block: 'required', run: (st, v) => this.block(st.block!.items, this.authLevel, v, 'authentication') },
      virtual_ipaddress: { args: [0, 0], block: 'required', run: (st, v) => this.virtualAddresses(st, v, v.addresses) },
      virtual_ipaddress_excluded: { args: [0, 0], block: 'required', run: (st, v) => this.virtualAddresses(st, v, v.excluded) },
      unicast_src_ip: source,
      mcast_src_ip: source,
      mcast_dst_ip: { args: [1, 1], run: (st, v) => this.set(this.multicast4(st.args[0]!, 'mcast_dst_ip'), (x) => (v.mcastGroup = x)) },
      unicast_peer: { args: [0, 0], block: 'required', run: (st, v) => {
        v.unicast = true;
        for (const [address, ...rest] of this.lines(st)) {
          if (rest.length > 0) this.log.warning(rest[0]!.at, `unicast_peer: '${rest.map((w) => w.text).join(' ')}' is not supported by tsipvs keepalived: ignored`);
          this.set(this.ipv4(address!, 'unicast_peer'), (x) => {
            if (v.peers.includes(x)) this.log.warning(address!.at, `(${v.name}) duplicate unicast peer ${x} - ignoring`);
            else v.peers.push(x);
          });
        }
      } },
      track_interface: { args: [0, 0], block: 'required', run: (st, v) => {
        for (const [name, ...rest] of this.lines(st)) {
          const weight = this.trackWeight(rest, `track_interface ${name!.text}`);
          if (weight === undefined) continue;
          if (v.trackInterfaces.some((t) => t.name === name!.text)) this.log.warning(name!.at, `(${v.name}) duplicate track_interface ${name!.text} - ignoring`);
          else v.trackInterfaces.push({ at: name!.at, name: name!.text, weight: weight ?? 0 });
        }
      } },
      track_script: { args: [0, 0], block: 'required', run: (st, v) => {
        for (const [name, ...rest] of this.lines(st)) {
          const weight = this.trackWeight(rest, `track_script ${name!.text}`);
          if (weight === undefined) continue;
          if (v.trackScripts.some((t) => t.name === name!.text)) this.log.warning(name!.at, `(${v.name}) duplicate track_script ${name!.text} - ignoring`);
          else v.trackScripts.push({ at: name!.at, name: name!.text, ...(weight !== null ? { weight } : {}) });
        }
      } },
      garp_master_delay: seconds('garpDelay'),
      garp_master_refresh: seconds('garpRefresh'),
      garp_lower_prio_delay: seconds('garpLowerPrioDelay'),
      garp_master_repeat: { args: [1, 1], run: (st, v) => this.set(this.repeats(st, 'garp_master_repeat'), (x) => (v.garpRepeat = x)) },
      garp_master_refresh_repeat: { args: [1, 1], run: (st, v) => this.set(this.repeats(st, 'garp_master_refresh_repeat'), (x) => (v.garpRefreshRepeat = x)) },
      garp_lower_prio_repeat: { args: [1, 1], run: (st, v) => this.set(this.unsigned(st.args[0]!, 'garp_lower_prio_repeat', 0, 0x7fffffff), (x) => (v.garpLowerPrioRepeat = x)) },
      lower_prio_no_advert: { args: [0, 1], run: (st, v) => this.set(this.flag(st), (x) => (v.lowerPrioNoAdvert = x)) },
      skip_check_adv_addr: { args: [0, 1], run: (st, v) => this.set(this.flag(st), (x) => (v.skipCheckAdvAddr = x)) },
      dont_track_primary: { args: [0, 0], run: (_st, v) => (v.dontTrackPrimary = true) },
      lvs_sync_daemon_interface: { args: [1, 1], run: (st, v) => {
        this.log.warning(st.keyword.at, `(${v.name}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global lvs_sync_daemon (as keepalived says)`);
        const sync = this.vrrp.lvsSync;
        if (sync) return this.log.error(st.keyword.at, `(${v.name}) lvs_sync_daemon_interface: the sync daemon is already given (at ${sync.at.file}:${sync.at.line})`);
        this.vrrp.lvsSync = { at: st.keyword.at, interface: st.args[0]!.text, instance: v.name };
      } },
      native_ipv6: this.unsupported('IPv6 VRRP is not supported yet'),
    };
    for (const k of ['use_vmac', 'use_vmac_addr', 'vmac_xmit_base', 'use_ipvlan', 'vrf', 'track_file', 'track_process', 'track_bfd', 'virtual_routes', 'virtual_rules', 'strict_mode', 'unicast_ttl']) {
      level[k] = this.unsupported('not supported by tsipvs keepalived');
    }
    for (const k of ['debug', 'smtp_alert', 'notify_priority_changes', 'notify_deleted', 'notify_master_rx_lower_pri', 'promote_secondaries', 'linkbeat_use_polling', 'kernel_rx_buf_size', 'accept', 'no_accept', 'higher_prio_send_advert', 'down_timer_adverts', 'garp_extra_if', 'vmac_garp_intvl', 'old_unicast_checksum', 'check_unicast_src', 'unicast_fault_no_peer', 'track_src_ip']) {
      level[k] = this.unsupported('not supported by tsipvs keepalived: ignored', 'warning');
    }
    return level;
  })();

  /** `[weight N]` after a tracked name: null when absent, undefined on an error. keepalived takes ±254 as ±253. */
  private trackWeight(rest: readonly Word[], what: string): number | null | undefined {
    if (rest.length === 0) return null;
    if (rest[0]!.text !== 'weight') {
      this.log.error(rest[0]!.at, `${what}: unknown option '${rest[0]!.text}' (weight N)`);
      return undefined;
    }
    if (!rest[1]) {
      this.log.error(rest[0]!.at, `${what}: weight without value`);
      return undefined;
    }
    if (rest[2]) {
      this.log.error(rest[2].at, rest[2].text === 'reverse' ? `${what}: 'weight ... reverse' is not supported by tsipvs keepalived yet` : `${what}: unknown weight option '${rest[2].text}'`);
      return undefined;
    }
    const weight = this.integer(rest[1], `${what} weight`, -254, 254);
    if (weight === -254 || weight === 254) {
      this.log.warning(rest[1].at, `${what}: weight cannot be +/-254, setting to ${weight > 0 ? 253 : -253} (as keepalived does)`);
      return weight > 0 ? 253 : -253;
    }
    return weight;
  }

  private readonly authLevel: Level<DraftVrrpInstance> = {
    auth_type: { args: [1, 1], run: (st, v) => {
      const text = st.args[0]!.text;
      if (text === 'PASS') v.authType = 'PASS';
      else if (text === 'AH') this.log.error(st.args[0]!.at, `(${v.name}) auth_type AH (IPsec authentication header) is not supported by tsipvs keepalived: use PASS or none`);
      else this.log.error(st.args[0]!.at, `(${v.name}) unknown authentication type '${text}' (PASS or AH)`);
    } },
    auth_pass: { args: [1, 1], run: (st, v) => {
      const text = st.args[0]!.text;
      if (Buffer.byteLength(text, 'latin1') > 8) this.log.warning(st.args[0]!.at, `(${v.name}) Truncating auth_pass to 8 characters (as keepalived does)`);
      v.authPass = text.slice(0, 8);
    } },
  };

  /** `ADDR[/PREFIX] [brd ADDR] [dev IF] [scope SCOPE] [label LABEL] ...` (alloc_ipaddress). */
  private virtualAddresses(st: Statement, v: DraftVrrpInstance, into: VirtualAddress[]): void {
    const what = st.keyword.text;
    for (const [first, ...rest] of this.lines(st)) {
      const text = first!.text;
      const slash = text.indexOf('/');
      const address = this.ipv4({ ...first!, text: slash >= 0 ? text.slice(0, slash) : text }, what);
      if (address === undefined) continue;
      let prefixLength = 32;
      if (slash >= 0) {
        const prefix = text.slice(slash + 1);
        if (!/^\d+$/.test(prefix) || Number(prefix) > 32) {
          this.log.error(first!.at, `${what}: invalid prefix length in '${text}' (0-32)`);
          continue;
        }
        prefixLength = Number(prefix);
      }
      const vip: { at: SourceRef; address: string; prefixLength: number; dev?: string; label?: string; broadcast?: string; scope?: string } = { at: first!.at, address, prefixLength };
      let ok = true;
      for (let i = 0; i < rest.length && ok; i++) {
        const option = rest[i]!;
        const value = rest[i + 1];
        if (['dev', 'brd', 'broadcast', 'scope', 'label'].includes(option.text)) {
          if (!value) {
            this.log.error(option.at, `${what}: no ${option.text} value given for ${text}`);
            ok = false;
            break;
          }
          i++;
          if (option.text === 'dev') {
            if (vip.dev !== undefined) {
              this.log.error(option.at, `${what}: cannot specify the device more than once for ${text}`);
              ok = false;
            } else vip.dev = value.text;
          } else if (option.text === 'scope') {
            if (scopeNumber(value.text) === undefined) {
              this.log.error(value.at, `${what}: invalid scope '${value.text}' for ${text} (global, site, link, host or nowhere)`);
              ok = false;
            } else vip.scope = value.text;
          } else if (option.text === 'label') {
            if (value.text.length > 15) {
              this.log.error(value.at, `${what}: label '${value.text}' is longer than 15 characters`);
              ok = false;
            } else vip.label = value.text;
          } else if (value.text === '-' || value.text === '+') {
            this.log.error(value.at, `${what}: 'brd ${value.text}' is not supported by tsipvs keepalived: write the broadcast address`);
            ok = false;
          } else {
            const brd = this.ipv4(value, `${what} brd`);
            if (brd === undefined) ok = false;
            else vip.broadcast = brd;
          }
        } else if (option.text === 'no_track' || option.text === 'preferred_lft' || option.text === 'noprefixroute' || option.text === 'home' || option.text === '-nodad' || option.text === 'mngtmpaddr' || option.text === 'autojoin') {
          if (option.text === 'preferred_lft') i++;
          this.log.warning(option.at, `${what}: '${option.text}' is not supported by tsipvs keepalived: ignored`);
        } else if (option.text === 'peer' || option.text === 'use_vmac') {
          this.log.error(option.at, `${what}: '${option.text}' is not supported by tsipvs keepalived`);
          ok = false;
        } else this.log.warning(option.at, `${what}: unknown option '${option.text}' for ${text} - ignoring (as keepalived does)`);
      }
      if (!ok) continue;
      if (v.addresses.some((a) => a.address === address) || v.excluded.some((a) => a.address === address)) {
        this.log.warning(first!.at, `(${v.name}) ${address} is listed twice - ignoring this one`);
        continue;
      }
      into.push(vip);
    }
  }

  private vrrpScript(st: Statement): void {
    const name = st.args[0]!.text;
    const first = this.vrrp.scripts.find((s) => s.name === name);
    if (first) return this.log.error(st.keyword.at, `vrrp_script ${name} is defined twice (first at ${first.at.file}:${first.at.line})`);
    const script: DraftVrrpScript = { at: st.keyword.at, name, initFail: false };
    const errors = this.log.errorCount;
    this.block(st.block!.items, this.scriptLevel, script, `vrrp_script ${name}`);
    if (this.log.errorCount !== errors) return;
    if (script.script === undefined) return this.log.error(st.keyword.at, `vrrp_script ${name}: no script given (keepalived would remove it)`);
    this.vrrp.scripts.push(script);
  }

  private readonly scriptLevel: Level<DraftVrrpScript> = {
    script: { args: 'line', run: (st, s) => {
      const script = this.script(st);
      if (!script) return;
      s.script = shellCommand(script.args);
      if (script.user !== undefined) s.user = script.user;
    } },
    interval: { args: [1, 1], run: (st, s) => this.set(this.unsigned(st.args[0]!, 'interval', 0, 4294), (v) => {
      if (v === 0) this.log.warning(st.args[0]!.at, `(${s.name}): vrrp script interval must be greater than 0, setting to 1 (as keepalived does)`);
      s.interval = Math.max(1, v);
    }) },
    timeout: { args: [1, 1], run: (st, s) => this.set(this.unsigned(st.args[0]!, 'timeout', 0, 4294), (v) => {
      if (v === 0) this.log.warning(st.args[0]!.at, `(${s.name}): vrrp script timeout must be greater than 0, setting to 1 (as keepalived does)`);
      s.timeout = Math.max(1, v);
    }) },
    weight: { args: [1, 2], run: (st, s) => {
      if (st.args[1]) {
        return this.log.error(st.args[1].at, st.args[1].text === 'reverse' ? `vrrp_script ${s.name}: 'weight ... reverse' is not supported by tsipvs keepalived yet` : `vrrp_script ${s.name}: unknown weight option '${st.args[1].text}'`);
      }
      this.set(this.integer(st.args[0]!, `vrrp_script ${s.name} weight`, -253, 253), (v) => (s.weight = v));
    } },
    rise: { args: [1, 1], run: (st, s) => this.set(this.unsigned(st.args[0]!, 'rise', 1, 0x7fffffff), (v) => (s.rise = v)) },
    fall: { args: [1, 1], run: (st, s) => this.set(this.unsigned(st.args[0]!, 'fall', 1, 0x7fffffff), (v) => (s.fall = v)) },
    user: { args: [1, 2], run: (st, s) => {
      if (st.args[1]) this.log.warning(st.args[1].at, `vrrp_script ${s.name}: the group '${st.args[1].text}' is not supported: the script runs with the user's group`);
      s.user = st.args[0]!.text;
    } },
    init_fail: { args: [0, 0], run: (_st, s) => (s.initFail = true) },
  };

  private syncGroup(st: Statement): void {
    const name = st.args[0]!.text;
    const first = this.vrrp.syncGroups.find((g) => g.name === name);
    if (first) return this.log.error(st.keyword.at, `vrrp_sync_group ${name} is defined twice (first at ${first.at.file}:${first.at.line})`);
    const group: DraftSyncGroup = { at: st.keyword.at, name, members: [], notify: {} };
    const errors = this.log.errorCount;
    this.block(st.block!.items, this.syncGroupLevel, group, `vrrp_sync_group ${name}`);
    if (this.log.errorCount === errors) this.vrrp.syncGroups.push(group);
  }

  private readonly syncGroupLevel: Level<DraftSyncGroup> = (() => {
    const level: Record<string, KeywordSpec<DraftSyncGroup>> = {
      ...this.notifyLevel<DraftSyncGroup>(),
      group: { args: [0, 0], block: 'required', run: (st, g) => {
        for (const words of this.lines(st)) {
          for (const word of words) {
            if (g.members.some((m) => m.name === word.text)) this.log.warning(word.at, `vrrp_sync_group ${g.name}: ${word.text} is listed twice - ignoring`);
            else g.members.push({ at: word.at, name: word.text });
          }
        }
      } },
    };
    for (const k of ['track_interface', 'track_script', 'track_file', 'track_process', 'track_bfd', 'global_tracking', 'sync_group_tracking_weight']) level[k] = this.unsupported('on a sync group is not supported by tsipvs keepalived (track in each vrrp_instance)');
    for (const k of ['smtp_alert', 'notify_priority_changes']) level[k] = this.unsupported('not supported by tsipvs keepalived: ignored', 'warning');
    return level;
  })();

  // ---- virtual_server_group ----

  private group(st: Statement): void {
    const name = st.args[0]!.text;
    const group: DraftGroup = { name, at: st.keyword.at, members: [] };
    const lines = new Map<number, Word[]>();
    for (const item of st.block!.items) {
      if (item.kind === 'block') {
        this.log.error(item.at, `virtual_server_group ${name}: unexpected block`);
        continue;
      }
      const line = lines.get(item.segment) ?? [];
      line.push(item);
      lines.set(item.segment, line);
    }
    for (const words of lines.values()) this.groupEntry(group, words);
    if (this.drafts.groups.some((g) => g.name === name)) {
      const first = this.drafts.groups.find((g) => g.name === name)!;
      this.log.error(st.keyword.at, `virtual_server_group ${name} is defined twice (first at ${first.at.file}:${first.at.line})`);
      return;
    }
    this.drafts.groups.push(group);
  }

  private groupEntry(group: DraftGroup, words: Word[]): void {
    const [first, second, third] = words;
    const what = `virtual_server_group ${group.name}`;
    if (words.length > 3 || (first!.text !== 'fwmark' && words.length > 2)) this.log.warning(words[words.length - 1]!.at, `${what}: extra words ignored`);
    if (first!.text === 'fwmark') {
      if (!second) return this.log.error(first!.at, `${what}: fwmark needs a number`);
      const mark = this.unsigned(second, `${what} fwmark`, 0, 0xffffffff);
      if (mark === undefined) return;
      if (third && third.text !== 'inet' && third.text !== 'inet6') return this.log.error(third.at, `${what}: unknown family '${third.text}' (inet or inet6)`);
      group.members.push(third ? { kind: 'fwmark', family: third.text === 'inet6' ? AddressFamily.IPv6 : AddressFamily.IPv4, mark } : { kind: 'fwmark', mark });
      return;
    }
    const port = this.port(second, what);
    if (port === undefined) return;
    const text = first!.text;
    const slash = text.indexOf('/');
    const dash = text.indexOf('-');
    const start = readAddress(text.slice(0, slash >= 0 ? slash : dash >= 0 ? dash : text.length));
    if (!start) return this.log.error(first!.at, `${what}: invalid address '${text}'`);
    let last = start.address;
    if (slash >= 0) {
      const prefix = /^\d+$/.test(text.slice(slash + 1)) ? Number(text.slice(slash + 1)) : NaN;
      if (!(prefix >= 1 && prefix <= (start.family === AddressFamily.IPv6 ? 128 : 32))) return this.log.error(first!.at, `${what}: invalid netmask in '${text}'`);
      const end = prefixEnd(start.family, start.address, prefix);
      if (!end.clean) return this.log.error(first!.at, `${what}: '${text}' has address bits set below the mask`);
      last = end.last;
    } else if (dash >= 0) {
      const tail = text.slice(dash + 1);
      const full = readAddress(tail);
      if (full && (start.family === AddressFamily.IPv6 ? tail.includes(':') : tail.includes('.'))) {
        if (full.family !== start.family) return this.log.error(first!.at, `${what}: the ends of '${text}' are of different families`);
        last = full.address;
      } else {
        const v6 = start.family === AddressFamily.IPv6;
        if (!(v6 ? /^[0-9a-fA-F]+$/ : /^\d+$/).test(tail)) return this.log.error(first!.at, `${what}: invalid range end in '${text}'`);
        const end = parseInt(tail, v6 ? 16 : 10);
        if (end > (v6 ? 0xffff : 255)) return this.log.error(first!.at, `${what}: range end '${tail}' is too large`);
        const bytes = start.address;
        last = v6 ? lastGroup(bytes, end) : `${bytes.slice(0, bytes.lastIndexOf('.'))}.${end}`;
        const startLow = v6 ? lowGroup(bytes) : Number(bytes.slice(bytes.lastIndexOf('.') + 1));
        if (startLow >= end) return this.log.error(first!.at, `${what}: the range end of '${text}' is not above its start`);
      }
    }
    const addresses = addressRange(start.family, start.address, last, MAX_RANGE);
    if (addresses === undefined) return this.log.error(first!.at, `${what}: '${text}' holds more than ${MAX_RANGE} addresses`);
    if (addresses.length === 0) return this.log.error(first!.at, `${what}: the range end of '${text}' is below its start`);
    for (const address of addresses) group.members.push({ kind: 'address', family: start.family, address, port });
  }

  // ---- virtual_server ----

  private virtualServer(st: Statement): void {
    const [first, second] = st.args as [Word, Word | undefined];
    let vs: DraftVirtualServer;
    if ((first.text === 'group' || first.text === 'fwmark') && !second) return this.log.error(first.at, `virtual_server ${first.text}: missing its ${first.text === 'group' ? 'name' : 'mark'}`);
    if (first.text === 'group' && second) vs = newVirtualServer(st.keyword.at, { kind: 'group', name: second.text });
    else if (first.text === 'fwmark') {
      const mark = this.unsigned(second!, 'virtual_server fwmark', 0, 0xffffffff);
      if (mark === undefined) return;
      vs = newVirtualServer(st.keyword.at, { kind: 'fwmark', mark });
    } else {
      const server = this.server(st, 'virtual_server');
      if (!server) return;
      vs = newVirtualServer(st.keyword.at, { kind: 'address', ...server });
    }
    const errors = this.log.errorCount;
    this.block(st.block!.items, this.vsLevel, vs, 'virtual_server');
    // vs_end_handler: a sorry server that is not tunnelled sets or must match the family
    if (vs.sorry && vs.sorry.forwarding?.method !== 'TUN') {
      if (vs.family === undefined) vs.family = vs.sorry.family;
      else if (vs.family !== vs.sorry.family) this.log.error(vs.sorry.at, "sorry_server: its address family differs from the virtual server's");
    }
    // one with errors is left out: what finalize.ts would say about it would only be noise
    if (this.log.errorCount === errors) this.drafts.virtualServers.push(vs);
  }

  private readonly vsLevel: Level<DraftVirtualServer> = {
    ip_family: { args: [1, 1], run: (st, vs) => {
      const text = st.args[0]!.text;
      if (text !== 'inet' && text !== 'inet6') return this.log.error(st.args[0]!.at, `ip_family: unknown family '${text}' (inet or inet6)`);
      const family = text === 'inet6' ? AddressFamily.IPv6 : AddressFamily.IPv4;
      if (vs.family !== undefined && vs.family !== family) return this.log.error(st.args[0]!.at, `ip_family ${text} conflicts with the family of the servers`);
      vs.family = family;
    } },
    delay_loop: { args: [1, 1], run: (st, vs) => this.set(this.timer(st.args[0]!, 'delay_loop', 1), (v) => (vs.delayLoop = v)) },
    connect_timeout: { args: [1, 1], run: (st, vs) => this.set(this.timer(st.args[0]!, 'connect_timeout', 1), (v) => (vs.connectTimeout = v)) },
    delay_before_retry: { args: [1, 1], run: (st, vs) => this.set(this.timer(st.args[0]!, 'delay_before_retry', 0), (v) => (vs.delayBeforeRetry = v)) },
    warmup: { args: [1, 1], run: (st, vs) => this.set(this.timer(st.args[0]!, 'warmup', 0), (v) => (vs.warmup = v)) },
    retry: { args: [1, 1], run: (st, vs) => this.set(this.unsigned(st.args[0]!, 'retry', 1, 0xffffffff), (v) => (vs.retry = v)) },
    inhibit_on_failure: { args: [0, 0], run: (_st, vs) => (vs.inhibit = true) },
    lb_algo: { args: [1, 1], run: (st, vs) => this.scheduler(st, vs) },
    lvs_sched: { args: [1, 1], run: (st, vs) => this.scheduler(st, vs) },
    hashed: { args: [0, 0], run: (st) => this.log.note(st.keyword.at, 'hashed: has no effect (as in keepalived)') },
    ops: { args: [0, 0], run: (_st, vs) => (vs.onePacket = true) },
    'flag-1': { args: [0, 0], run: (_st, vs) => (vs.flags.flag1 = true) },
    'flag-2': { args: [0, 0], run: (_st, vs) => (vs.flags.flag2 = true) },
    'flag-3': { args: [0, 0], run: (_st, vs) => (vs.flags.flag3 = true) },
    'sh-port': { args: [0, 0], run: (st, vs) => this.schedulerFlag(st, vs, 'sh', 'shPort') },
    'sh-fallback': { args: [0, 0], run: (st, vs) => this.schedulerFlag(st, vs, 'sh', 'shFallback') },
    'mh-port': { args: [0, 0], run: (st, vs) => this.schedulerFlag(st, vs, 'mh', 'mhPort') },
    'mh-fallback': { args: [0, 0], run: (st, vs) => this.schedulerFlag(st, vs, 'mh', 'mhFallback') },
    lb_kind: { args: [1, 6], run: (st, vs) => this.set(this.forwarding(st), (v) => (vs.forwarding = v)) },
    lvs_method: { args: [1, 6], run: (st, vs) => this.set(this.forwarding(st), (v) => (vs.forwarding = v)) },
    persistence_engine: { args: [1, 1], run: (st, vs) => (vs.persistenceEngine = st.args[0]!.text) },
    persistence_timeout: { args: [0, 1], run: (st, vs) => {
      const word = st.args[0];
      if (!word) vs.persistenceTimeout = 360;
      else this.set(this.unsigned(word, 'persistence_timeout', 1, 86400 * 31), (v) => (vs.persistenceTimeout = v));
    } },
    persistence_granularity: { args: [1, 1], run: (st, vs) => this.granularity(st, vs) },
    protocol: { args: [1, 1], run: (st, vs) => {
      const text = st.args[0]!.text.toUpperCase();
      if (text !== 'TCP' && text !== 'UDP' && text !== 'SCTP') return this.log.error(st.args[0]!.at, `protocol: unknown protocol '${st.args[0]!.text}' (TCP, UDP or SCTP)`);
      vs.protocol = text as Protocol;
    } },
    ha_suspend: { args: [0, 0], run: (_st, vs) => (vs.haSuspend = true) },
    smtp_alert: { args: [0, 1], run: (st) => this.log.note(st.keyword.at, 'smtp_alert: e-mail alerts are not sent by tsipvs keepalived: ignored') },
    snmp_name: { args: [1, 1], run: (st) => this.log.note(st.keyword.at, 'snmp_name: there is no SNMP agent: ignored') },
    virtualhost: { args: [1, 1], run: (st, vs) => (vs.virtualhost = st.args[0]!.text) },
    alpha: { args: [0, 0], run: (_st, vs) => (vs.alpha = true) },
    omega: { args: [0, 0], run: (_st, vs) => (vs.omega = true) },
    quorum_up: { args: 'line', run: (st, vs) => this.set(this.notifyScript(st), (v) => (vs.quorumUp = v)) },
    quorum_down: { args: 'line', run: (st, vs) => this.set(this.notifyScript(st), (v) => (vs.quorumDown = v)) },
    quorum: { args: [1, 1], run: (st, vs) => this.set(this.unsigned(st.args[0]!, 'quorum', 1, 0xffffffff), (v) => (vs.quorum = v)) },
    hysteresis: { args: [1, 1], run: (st, vs) => this.set(this.unsigned(st.args[0]!, 'hysteresis', 0, 0xffffffff), (v) => (vs.hysteresis = v)) },
    weight: { args: [1, 1], run: (st, vs) => this.set(this.unsigned(st.args[0]!, 'weight', 1, 0x7fffffff), (v) => (vs.weight = v)) },
    sorry_server: { args: [1, 2], run: (st, vs) => {
      const server = this.server(st, 'sorry_server');
      if (server) vs.sorry = { at: st.keyword.at, ...server, forwarding: vs.forwarding, inhibit: false };
    } },
    sorry_server_inhibit: { args: [0, 0], run: (st, vs) => {
      if (vs.sorry) vs.sorry.inhibit = true;
      else this.log.error(st.keyword.at, 'sorry_server_inhibit: no sorry_server before it');
    } },
    sorry_server_lvs_method: { args: [1, 6], run: (st, vs) => {
      if (!vs.sorry) return this.log.error(st.keyword.at, 'sorry_server_lvs_method: no sorry_server before it');
      const sorry = vs.sorry;
      this.set(this.forwarding(st), (v) => (sorry.forwarding = v));
    } },
    real_server: { args: [1, 2], block: 'required', run: (st, vs) => this.realServer(st, vs) },
  };

  private scheduler(st: Statement, vs: DraftVirtualServer): void {
    const name = st.args[0]!.text;
    if (!(SCHEDULERS as readonly string[]).includes(name)) return this.log.error(st.args[0]!.at, `${st.keyword.text}: unknown scheduler '${name}' (${SCHEDULERS.join(', ')})`);
    vs.scheduler = name;
  }

  /** sh-port and friends count only after `lb_algo sh|mh` (keepalived checks the scheduler when it reads them). */
  private schedulerFlag(st: Statement, vs: DraftVirtualServer, scheduler: string, flag: 'shPort' | 'shFallback' | 'mhPort' | 'mhFallback'): void {
    if (vs.scheduler === scheduler) vs.flags[flag] = true;
    else this.log.warning(st.keyword.at, `${st.keyword.text} applies to the ${scheduler} scheduler only (write it after 'lb_algo ${scheduler}'): ignored`);
  }

  private granularity(st: Statement, vs: DraftVirtualServer): void {
    const word = st.args[0]!;
    const family = vs.family ?? (word.text.includes('.') ? AddressFamily.IPv4 : AddressFamily.IPv6);
    if (family === AddressFamily.IPv6) {
      const prefix = this.unsigned(word, 'persistence_granularity', 1, 128);
      if (prefix === undefined) return;
      vs.persistenceGranularity = String(prefix);
    } else {
      const mask = readAddress(word.text);
      if (mask?.family !== AddressFamily.IPv4) return this.log.error(word.at, `persistence_granularity: invalid IPv4 netmask '${word.text}'`);
      vs.persistenceGranularity = mask.address;
    }
    vs.family ??= family;
    vs.persistenceTimeout ??= 360;
  }

  // ---- real_server ----

  private realServer(st: Statement, vs: DraftVirtualServer): void {
    const server = this.server(st, 'real_server');
    if (!server) return;
    const rs = newRealServer(st.keyword.at, server.family, server.address, server.port, vs);
    const errors = this.log.errorCount;
    this.block(st.block!.items, this.rsLevel, { vs, rs }, 'real_server');
    if (this.log.errorCount !== errors) return;
    // rs_end_handler: a server that is not tunnelled sets or must match the virtual server's family
    if (rs.forwarding?.method !== 'TUN') {
      if (vs.family === undefined) vs.family = rs.family;
      else if (vs.family !== rs.family) return this.log.error(rs.at, "real_server: its address family differs from the virtual server's (only TUN servers may differ)");
    }
    vs.realServers.push(rs);
  }

  private readonly rsLevel: Level<{ vs: DraftVirtualServer; rs: DraftRealServer }> = {
    weight: { args: [1, 1], run: (st, { rs }) => this.set(this.unsigned(st.args[0]!, 'weight', 0, 0x7fffffff), (v) => (rs.weight = v)) },
    lvs_method: { args: [1, 6], run: (st, { rs }) => this.set(this.forwarding(st), (v) => (rs.forwarding = v)) },
    uthreshold: { args: [1, 1], run: (st, { rs }) => this.set(this.unsigned(st.args[0]!, 'uthreshold', 0, 0xffffffff), (v) => (rs.upperThreshold = v)) },
    lthreshold: { args: [1, 1], run: (st, { rs }) => this.set(this.unsigned(st.args[0]!, 'lthreshold', 0, 0xffffffff), (v) => (rs.lowerThreshold = v)) },
    inhibit_on_failure: { args: [0, 1], run: (st, { rs }) => this.set(this.flag(st), (v) => (rs.inhibit = v)) },
    notify_up: { args: 'line', run: (st, { rs }) => this.once(st, rs.notifyUp, () => this.set(this.notifyScript(st), (v) => (rs.notifyUp = v))) },
    notify_down: { args: 'line', run: (st, { rs }) => this.once(st, rs.notifyDown, () => this.set(this.notifyScript(st), (v) => (rs.notifyDown = v))) },
    alpha: { args: [0, 1], run: (st, { rs }) => this.set(this.flag(st), (v) => (rs.alpha = v)) },
    retry: { args: [1, 1], run: (st, { rs }) => this.set(this.unsigned(st.args[0]!, 'retry', 1, 0xffffffff), (v) => (rs.retry = v)) },
    delay_before_retry: { args: [1, 1], run: (st, { rs }) => this.set(this.timer(st.args[0]!, 'delay_before_retry', 0), (v) => (rs.delayBeforeRetry = v)) },
    warmup: { args: [1, 1], run: (st, { rs }) => this.set(this.timer(st.args[0]!, 'warmup', 0), (v) => (rs.warmup = v)) },
    connect_timeout: { args: [1, 1], run: (st, { rs }) => this.set(this.timer(st.args[0]!, 'connect_timeout', 1), (v) => (rs.connectTimeout = v)) },
    delay_loop: { args: [1, 1], run: (st, { rs }) => this.set(this.timer(st.args[0]!, 'delay_loop', 1), (v) => (rs.delayLoop = v)) },
    smtp_alert: { args: [0, 1], run: (st) => this.log.note(st.keyword.at, 'smtp_alert: e-mail alerts are not sent by tsipvs keepalived: ignored') },
    snmp_name: { args: [1, 1], run: (st) => this.log.note(st.keyword.at, 'snmp_name: there is no SNMP agent: ignored') },
    virtualhost: { args: [1, 1], run: (st, { rs }) => (rs.virtualhost = st.args[0]!.text) },
    TCP_CHECK: { args: [0, 0], block: 'optional', run: (st, ctx) => this.checker(st, ctx.rs, 'TCP_CHECK', this.connectionLevel) },
    HTTP_GET: { args: [0, 0], block: 'required', run: (st, ctx) => this.checker(st, ctx.rs, 'HTTP_GET', this.httpLevel) },
    SSL_GET: { args: [0, 0], block: 'required', run: (st, ctx) => this.checker(st, ctx.rs, 'SSL_GET', this.httpLevel) },
    MISC_CHECK: { args: [0, 0], block: 'required', run: (st, ctx) => this.checker(st, ctx.rs, 'MISC_CHECK', this.miscLevel) },
    ...Object.fromEntries(['SMTP_CHECK', 'DNS_CHECK', 'UDP_CHECK', 'PING_CHECK', 'FILE_CHECK', 'BFD_CHECK'].map((k) => [k, {
      args: 'line' as const, block: 'optional' as const,
      run: (st: Statement) => this.log.error(st.keyword.at, `${k} is not supported by tsipvs keepalived (TCP_CHECK, HTTP_GET, SSL_GET and MISC_CHECK are)`),
    }])),
  };

  private once(st: Statement, existing: string | undefined, run: () => void): void {
    if (existing !== undefined) this.log.error(st.keyword.at, `${st.keyword.text}: given twice for this real server`);
    else run();
  }

  // ---- checkers ----

  private checker(st: Statement, rs: DraftRealServer, kind: DraftChecker['kind'], level: Level<DraftChecker>): void {
    const checker = newChecker(st.keyword.at, kind);
    this.block(st.block?.items ?? [], level, checker, kind);
    const urlWritten = st.block?.items.some((item) => item.kind === 'word' && item.text === 'url') ?? false;
    if ((kind === 'HTTP_GET' || kind === 'SSL_GET') && checker.urls.length === 0) {
      if (urlWritten) return; // each bad url is reported
      return this.log.error(st.keyword.at, `${kind}: no url { path ... } given (keepalived would drop this checker)`);
    }
    if (kind === 'MISC_CHECK' && !checker.miscArgs) return this.log.error(st.keyword.at, 'MISC_CHECK: no misc_path given (keepalived would drop this checker)');
    if (checker.connectIpFamily !== undefined && checker.bindToFamily !== undefined && checker.connectIpFamily !== checker.bindToFamily) {
      return this.log.error(st.keyword.at, `${kind}: connect_ip and bindto are of different address families`);
    }
    rs.checkers.push(checker);
  }

  private readonly commonLevel: Level<DraftChecker> = {
    retry: { args: [1, 1], run: (st, c) => this.set(this.unsigned(st.args[0]!, 'retry', 0, 0xffffffff), (v) => (c.retry = v)) },
    delay_before_retry: { args: [1, 1], run: (st, c) => this.set(this.timer(st.args[0]!, 'delay_before_retry', 0), (v) => (c.delayBeforeRetry = v)) },
    warmup: { args: [1, 1], run: (st, c) => this.set(this.timer(st.args[0]!, 'warmup', 0), (v) => (c.warmup = v)) },
    delay_loop: { args: [1, 1], run: (st, c) => this.set(this.timer(st.args[0]!, 'delay_loop', 1), (v) => (c.delayLoop = v)) },
    alpha: { args: [0, 1], run: (st, c) => this.set(this.flag(st), (v) => (c.alpha = v)) },
    log_all_failures: { args: [0, 1], run: (st) => this.log.note(st.keyword.at, 'log_all_failures: every failure is reported anyway (status, -D): ignored') },
  };

  private readonly connectionLevel: Level<DraftChecker> = {
    ...this.commonLevel,
    connect_ip: { args: [1, 1], run: (st, c) => {
      const address = this.address(st.args[0]!, 'connect_ip');
      if (address) [c.connectIp, c.connectIpFamily] = [address.address, address.family];
    } },
    connect_port: { args: [1, 1], run: (st, c) => this.set(this.unsigned(st.args[0]!, 'connect_port', 1, 65535), (v) => (c.connectPort = v)) },
    bindto: { args: [1, 1], run: (st, c) => {
      const address = this.address(st.args[0]!, 'bindto');
      if (address) [c.bindTo, c.bindToFamily] = [address.address, address.family];
    } },
    bind_port: { args: [1, 1], run: (st, c) => this.set(this.unsigned(st.args[0]!, 'bind_port', 1, 65535), (v) => (c.bindPort = v)) },
    connect_timeout: { args: [1, 1], run: (st, c) => this.set(this.timer(st.args[0]!, 'connect_timeout', 1), (v) => (c.connectTimeout = v)) },
    bind_if: { args: [1, 1], run: (st) => this.log.warning(st.keyword.at, 'bind_if is not supported by tsipvs keepalived: ignored') },
    fwmark: { args: [1, 1], run: (st) => this.log.warning(st.keyword.at, 'fwmark (marking check packets) is not supported by tsipvs keepalived: ignored') },
  };

  private readonly urlLevel: Level<DraftUrl> = {
    path: { args: [1, 1], run: (st, url) => (url.path = st.args[0]!.text) },
    digest: { args: [1, 1], run: (st, url) => {
      const text = st.args[0]!.text;
      if (url.digest !== undefined) return this.log.error(st.keyword.at, 'digest: given twice for this url');
      if (!/^[0-9a-fA-F]{32}$/.test(text)) return this.log.error(st.args[0]!.at, `digest: '${text}' is not an MD5 digest (32 hexadecimal digits)`);
      url.digest = text.toLowerCase();
    } },
    status_code: { args: [1, Infinity], run: (st, url) => {
      for (const word of st.args) {
        const m = /^(\d+)(?:-(\d+))?$/.exec(word.text);
        const min = m ? Number(m[1]) : NaN;
        const max = m?.[2] !== undefined ? Number(m[2]) : min;
        if (!(min >= 100 && max <= 599 && min <= max)) {
          this.log.error(word.at, `status_code: '${word.text}' is not a status code or range within 100-599`);
          continue;
        }
        for (let code = min; code <= max; code++) if (!url.statusCodes.includes(code)) url.statusCodes.push(code);
      }
    } },
    virtualhost: { args: [1, 1], run: (st, url) => (url.virtualhost = st.args[0]!.text) },
    ...Object.fromEntries(['regex', 'regex_no_match', 'regex_options', 'regex_min_offset', 'regex_max_offset', 'regex_stack'].map((k) => [k, {
      args: 'line' as const,
      run: (st: Statement) => this.log.error(st.keyword.at, `${k}: body regular expressions are not supported by tsipvs keepalived`),
    }])),
  };

  private readonly httpLevel: Level<DraftChecker> = {
    ...this.connectionLevel,
    nb_get_retry: { args: [1, 1], run: (st, c) => {
      this.log.warning(st.keyword.at, "nb_get_retry is deprecated - use 'retry' (as keepalived says)");
      this.set(this.unsigned(st.args[0]!, 'nb_get_retry', 0, 0xffffffff), (v) => (c.retry = v));
    } },
    virtualhost: { args: [1, 1], run: (st, c) => (c.virtualhost = st.args[0]!.text) },
    http_protocol: { args: [1, 1], run: (st, c) => {
      const text = st.args[0]!.text;
      if (text === '1.0' || text === '1.1') c.httpProtocol = text;
      else if (text === '1.0C' || text === '1.0c') c.httpProtocol = '1.0C';
      else this.log.error(st.args[0]!.at, `http_protocol: '${text}' is not 1.0, 1.1 or 1.0C`);
    } },
    enable_sni: { args: [0, 1], run: (st, c) => this.set(this.flag(st), (v) => (c.enableSni = v)) },
    fast_recovery: { args: [0, 1], run: (st) => this.log.warning(st.keyword.at, 'fast_recovery is not supported by tsipvs keepalived: ignored (every url is checked in each loop)') },
    url: { args: [0, 0], block: 'required', run: (st, c) => {
      const url: DraftUrl = { at: st.keyword.at, statusCodes: [] };
      this.block(st.block!.items, this.urlLevel, url, 'url');
      if (url.path === undefined) return this.log.error(st.keyword.at, 'url: no path given (keepalived would drop this url)');
      c.urls.push(url);
    } },
  };

  private readonly miscLevel: Level<DraftChecker> = {
    ...this.commonLevel,
    misc_path: { args: 'line', run: (st, c) => {
      const script = this.script(st);
      if (script) c.miscArgs = script.args;
    } },
    misc_timeout: { args: [1, 1], run: (st, c) => this.set(this.unsigned(st.args[0]!, 'misc_timeout', 0, 4294), (v) => (c.miscTimeout = v)) },
    misc_dynamic: { args: [0, 0], run: (_st, c) => (c.miscDynamic = true) },
    user: { args: [1, 2], run: (st, c) => {
      c.user = st.args[0]!.text;
      if (st.args[1]) c.group = st.args[1].text;
    } },
  };
}

/** IPv6 `a::b-ff`: the address with its last 16 bits replaced. */
function lastGroup(address: string, end: number): string {
  const groups = expandV6(address);
  groups[7] = end;
  return readAddress(groups.map((g) => g.toString(16)).join(':'))!.address;
}

function lowGroup(address: string): number {
  return expandV6(address)[7]!;
}

function expandV6(address: string): number[] {
  const [head, tail] = address.includes('::') ? address.split('::') as [string, string] : [address, undefined];
  const parse = (s: string) => (s === '' ? [] : s.split(':').flatMap((g) => (g.includes('.') ? g.split('.').map(Number).reduce<number[]>((acc, b, i) => (i % 2 ? [...acc.slice(0, -1), (acc[acc.length - 1]! << 8) | b] : [...acc, b]), []) : [parseInt(g, 16)])));
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

