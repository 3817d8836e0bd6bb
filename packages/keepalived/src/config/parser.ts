/**
 * keepalived.conf's grammar, keepalived 2.2.7's (check/check_parser.c, check_api.c, check_http.c,
 * check_misc.c): the item tree of reader.ts becomes drafts (drafts.ts). Where keepalived reports a
 * value it then ignores or a server it drops, this is an error (nothing half-understood runs);
 * unknown keywords are warnings, as in keepalived. Defaults are applied later, by finalize.ts.
 */
import { AddressFamily } from '@tsipvs/ipvs-core';
import type { MessageLog } from './errors';
import type { Block, Item, Word } from './reader';
import { splitQuotedEscaped } from './reader';
import type { Forwarding, Protocol, TunnelType } from './model';
import {
  SECOND, newChecker, newRealServer, newVirtualServer,
  type DraftChecker, type DraftGroup, type DraftRealServer, type DraftUrl, type DraftVirtualServer, type Drafts,
} from './drafts';
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
  private readonly drafts: Drafts = { virtualServers: [], groups: [] };
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
    const vrrp = 'VRRP is not part of the checker half: ignored';
    for (const k of ['vrrp_instance', 'vrrp_sync_group', 'vrrp_script', 'vrrp_track_process', 'garp_group', 'static_ipaddress', 'static_routes', 'static_rules', 'track_group', 'linkbeat_interfaces', 'interface_up_down_delays']) level[k] = this.skipped(vrrp);
    for (const k of ['global_defs', 'linkbeat_use_polling', 'net_namespace', 'net_namespace_ipvs', 'namespace_with_ipsets', 'use_pid_dir', 'instance', 'child_wait_time']) level[k] = this.skipped('global settings are not used by the checker half: ignored');
    for (const k of ['bfd_instance', 'track_file', 'vrrp_track_file']) level[k] = this.skipped('not used by the checker half (BFD_CHECK and FILE_CHECK are not supported): ignored');
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

