/**
 * The JSON form: the ruleset JSON of `tsipvs -L --json` / `tsipvs apply` (docs/cli.md), with the
 * checker half's settings beside each service and a `check` (object or array) on each real server.
 * It fills the same drafts as keepalived.conf, so finalize.ts gives it the same defaults. Times are
 * seconds (fractions allowed), as in keepalived.conf. Every problem names its JSON path.
 */
import { AddressFamily } from '@tsipvs/ipvs-core';
import type { MessageLog } from './errors';
import type { Forwarding, Protocol, SourceRef } from './model';
import {
  SECOND, newChecker, newRealServer, newVirtualServer,
  type DraftChecker, type DraftTarget, type DraftUrl, type DraftVirtualServer, type Drafts,
} from './drafts';
import { splitQuotedEscaped } from './reader';
import { SCHEDULERS, readAddress } from './values';

type Json = Record<string, unknown>;

/** Fields of `tsipvs -L --json` that describe the kernel's state, not the wanted one: skipped quietly. */
const OUTPUT_ONLY = new Set(['version', 'connectionTableSize', 'stats', 'flags', 'activeConnections', 'inactiveConnections', 'persistentConnections']);

const SERVICE_FIELDS = new Set([
  'family', 'protocol', 'address', 'port', 'fwmark', 'scheduler', 'schedulerFlags', 'persistent', 'timeout', 'netmask', 'persistenceEngine',
  'onePacket', 'destinations', 'delayLoop', 'connectTimeout', 'retry', 'delayBeforeRetry', 'warmup', 'quorum', 'hysteresis', 'quorumUp',
  'quorumDown', 'alpha', 'omega', 'inhibitOnFailure', 'haSuspend', 'virtualhost', 'weight', 'sorryServer',
]);
const DESTINATION_FIELDS = new Set([
  'family', 'address', 'port', 'forwarding', 'weight', 'upperThreshold', 'lowerThreshold', 'tunnel', 'inhibitOnFailure', 'alpha', 'notifyUp',
  'notifyDown', 'connectTimeout', 'retry', 'delayBeforeRetry', 'warmup', 'delayLoop', 'virtualhost', 'check',
]);
const SORRY_FIELDS = new Set(['family', 'address', 'port', 'forwarding', 'tunnel', 'inhibit']);
const CHECK_FIELDS = new Set([
  'type', 'connectIp', 'connectPort', 'bindTo', 'bindPort', 'connectTimeout', 'retry', 'delayBeforeRetry', 'warmup', 'delayLoop', 'alpha',
  'url', 'virtualhost', 'httpProtocol', 'enableSni', 'miscPath', 'miscTimeout', 'miscDynamic', 'user', 'group',
]);
const URL_FIELDS = new Set(['path', 'statusCode', 'digest', 'virtualhost']);

const FORWARDING: Record<string, Forwarding['method']> = { masq: 'NAT', route: 'DR', tunnel: 'TUN', NAT: 'NAT', DR: 'DR', TUN: 'TUN' };
const CHECKSUM: Record<string, Forwarding['tunnelChecksum']> = { none: 'nocsum', checksum: 'csum', 'remote-checksum': 'remcsum', nocsum: 'nocsum', csum: 'csum', remcsum: 'remcsum' };
const FLAGS: Record<string, keyof DraftVirtualServer['flags']> = {
  'sh-port': 'shPort', 'sh-fallback': 'shFallback', 'mh-port': 'mhPort', 'mh-fallback': 'mhFallback', 'flag-1': 'flag1', 'flag-2': 'flag2', 'flag-3': 'flag3',
};

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseJsonConfig(text: string, file: string, log: MessageLog): Drafts | undefined {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    log.error({ file, line: 0 }, `not valid JSON: ${(error as Error).message}`);
    return undefined;
  }
  const list = Array.isArray(document) ? document : isObject(document) ? document.services : undefined;
  if (!Array.isArray(list)) {
    log.error({ file, line: 0 }, 'the JSON form holds a "services" array (as tsipvs -L --json prints it)');
    return undefined;
  }
  const reader = new JsonReader(file, log);
  const drafts: Drafts = { virtualServers: [], groups: [] };
  list.forEach((entry, i) => {
    const vs = reader.service(entry, `services[${i}]`);
    if (vs) drafts.virtualServers.push(vs);
  });
  return drafts;
}

class JsonReader {
  constructor(private readonly file: string, private readonly log: MessageLog) {}

  private at(path: string): SourceRef {
    return { file: this.file, line: 0, path };
  }

  private fail(path: string, text: string): undefined {
    this.log.error(this.at(path), text);
    return undefined;
  }

  private fields(o: Json, path: string, known: Set<string>): void {
    for (const key of Object.keys(o)) if (!known.has(key) && !OUTPUT_ONLY.has(key)) this.log.warning(this.at(`${path}.${key}`), 'unknown field: ignored');
  }

  private present(o: Json, key: string): boolean {
    return o[key] !== undefined && o[key] !== null;
  }

  private integer(o: Json, key: string, path: string, min: number, max: number): number | undefined {
    if (!this.present(o, key)) return undefined;
    const v = o[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return this.fail(`${path}.${key}`, `expected a whole number within ${min}-${max}`);
    return v;
  }

  /** Seconds (fractions allowed) as microseconds. */
  private seconds(o: Json, key: string, path: string, minUs: number): number | undefined {
    if (!this.present(o, key)) return undefined;
    const v = o[key];
    const us = typeof v === 'number' ? Math.round(v * SECOND) : NaN;
    if (!(us >= minUs)) return this.fail(`${path}.${key}`, `expected a time in seconds${minUs > 0 ? ' above 0' : ''}`);
    return us;
  }

  private bool(o: Json, key: string, path: string): boolean | undefined {
    if (!this.present(o, key)) return undefined;
    if (typeof o[key] !== 'boolean') return this.fail(`${path}.${key}`, 'expected true or false');
    return o[key] as boolean;
  }

  private string(o: Json, key: string, path: string): string | undefined {
    if (!this.present(o, key)) return undefined;
    if (typeof o[key] !== 'string' || o[key] === '') return this.fail(`${path}.${key}`, 'expected a non-empty string');
    return o[key] as string;
  }

  private address(o: Json, path: string): { family: AddressFamily; address: string } | undefined {
    const text = this.string(o, 'address', path);
    if (text === undefined) return this.fail(`${path}.address`, 'expected an address');
    const parsed = readAddress(text);
    if (!parsed) return this.fail(`${path}.address`, `invalid address '${text}'`);
    const family = o.family;
    if (family !== undefined && family !== null && family !== (parsed.family === AddressFamily.IPv6 ? 'ipv6' : 'ipv4')) {
      return this.fail(`${path}.family`, `"${String(family)}" does not match the address ${parsed.address}`);
    }
    return parsed;
  }

  private forwarding(o: Json, path: string): Forwarding | undefined {
    if (!this.present(o, 'forwarding')) return undefined;
    const method = FORWARDING[String(o.forwarding)];
    if (typeof o.forwarding !== 'string' || !method) return this.fail(`${path}.forwarding`, 'expected "masq", "route" or "tunnel" (or NAT, DR, TUN)');
    if (method !== 'TUN') return { method };
    const tunnel = o.tunnel;
    if (tunnel === undefined || tunnel === null) return { method, tunnelType: 'ipip' };
    if (!isObject(tunnel)) return this.fail(`${path}.tunnel`, 'expected an object { type, port, checksum }');
    const type = tunnel.type ?? 'ipip';
    if (type !== 'ipip' && type !== 'gue' && type !== 'gre') return this.fail(`${path}.tunnel.type`, 'expected "ipip", "gue" or "gre"');
    const port = this.integer(tunnel, 'port', `${path}.tunnel`, 0, 65535) ?? 0;
    const checksum = tunnel.checksum === undefined || tunnel.checksum === null ? 'nocsum' : CHECKSUM[String(tunnel.checksum)];
    if (!checksum) return this.fail(`${path}.tunnel.checksum`, 'expected "none", "checksum" or "remote-checksum"');
    if ((type === 'gue') !== (port !== 0)) return this.fail(`${path}.tunnel`, 'gue tunnels need a port, other tunnel types cannot have one');
    if (type === 'ipip' && checksum !== 'nocsum') return this.fail(`${path}.tunnel.checksum`, 'ipip tunnels have no checksum option');
    if (type === 'gre' && checksum === 'remcsum') return this.fail(`${path}.tunnel.checksum`, 'gre tunnels do not support remote-checksum');
    return { method, tunnelType: type, ...(type === 'gue' ? { tunnelPort: port } : {}), ...(type !== 'ipip' ? { tunnelChecksum: checksum } : {}) };
  }

  /** A service, or undefined when it has errors (they are logged; finalize.ts would only add noise about it). */
  service(entry: unknown, path: string): DraftVirtualServer | undefined {
    const errors = this.log.errorCount;
    const vs = this.serviceOf(entry, path);
    return this.log.errorCount === errors ? vs : undefined;
  }

  private serviceOf(entry: unknown, path: string): DraftVirtualServer | undefined {
    if (!isObject(entry)) return this.fail(path, 'expected an object');
    this.fields(entry, path, SERVICE_FIELDS);
    let target: DraftTarget;
    let family: AddressFamily | undefined;
    if (this.present(entry, 'fwmark')) {
      const mark = this.integer(entry, 'fwmark', path, 0, 0xffffffff);
      if (mark === undefined) return undefined;
      target = { kind: 'fwmark', mark };
      if (this.present(entry, 'family')) {
        if (entry.family !== 'ipv4' && entry.family !== 'ipv6') return this.fail(`${path}.family`, 'expected "ipv4" or "ipv6"');
        family = entry.family === 'ipv6' ? AddressFamily.IPv6 : AddressFamily.IPv4;
      }
    } else {
      const address = this.address(entry, path);
      const port = this.integer(entry, 'port', path, 0, 65535) ?? 0;
      if (!address) return undefined;
      target = { kind: 'address', ...address, port };
    }
    const vs = newVirtualServer(this.at(path), target);
    if (family !== undefined) vs.family = family;
    if (this.present(entry, 'protocol')) {
      const protocol = String(entry.protocol).toUpperCase();
      if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP') this.fail(`${path}.protocol`, 'expected "tcp", "udp" or "sctp"');
      else vs.protocol = protocol as Protocol;
    }
    const scheduler = this.string(entry, 'scheduler', path);
    if (scheduler !== undefined) {
      if (!(SCHEDULERS as readonly string[]).includes(scheduler)) this.fail(`${path}.scheduler`, `unknown scheduler '${scheduler}' (${SCHEDULERS.join(', ')})`);
      else vs.scheduler = scheduler;
    }
    if (this.present(entry, 'schedulerFlags')) {
      const flags = entry.schedulerFlags;
      if (!Array.isArray(flags)) this.fail(`${path}.schedulerFlags`, 'expected an array of flag names');
      else flags.forEach((f, i) => {
        const flag = FLAGS[String(f)];
        if (!flag) this.fail(`${path}.schedulerFlags[${i}]`, `unknown flag '${String(f)}' (${Object.keys(FLAGS).join(', ')})`);
        else vs.flags[flag] = true;
      });
    }
    // -L --json prints a timeout for every service; it counts when the service is persistent
    const timeout = this.integer(entry, 'timeout', path, 0, 86400 * 31);
    if (this.bool(entry, 'persistent', path) ?? (timeout ?? 0) > 0) vs.persistenceTimeout = timeout || 360;
    if (this.present(entry, 'netmask') && vs.persistenceTimeout !== undefined) {
      const netmask = entry.netmask;
      if (typeof netmask === 'number' && Number.isInteger(netmask) && netmask >= 1 && netmask <= 128) {
        if (netmask !== 128) vs.persistenceGranularity = String(netmask);
      } else if (typeof netmask === 'string' && readAddress(netmask)?.family === AddressFamily.IPv4) {
        if (netmask !== '255.255.255.255') vs.persistenceGranularity = netmask;
      } else this.fail(`${path}.netmask`, 'expected an IPv4 netmask or an IPv6 prefix length');
    }
    const engine = this.string(entry, 'persistenceEngine', path);
    if (engine !== undefined) vs.persistenceEngine = engine;
    vs.onePacket = this.bool(entry, 'onePacket', path) ?? false;
    vs.delayLoop = this.seconds(entry, 'delayLoop', path, 1) ?? vs.delayLoop;
    vs.connectTimeout = this.seconds(entry, 'connectTimeout', path, 1) ?? vs.connectTimeout;
    vs.retry = this.integer(entry, 'retry', path, 1, 0xffffffff);
    vs.delayBeforeRetry = this.seconds(entry, 'delayBeforeRetry', path, 0);
    vs.warmup = this.seconds(entry, 'warmup', path, 0);
    vs.quorum = this.integer(entry, 'quorum', path, 1, 0xffffffff) ?? 1;
    vs.hysteresis = this.integer(entry, 'hysteresis', path, 0, 0xffffffff) ?? 0;
    vs.quorumUp = this.string(entry, 'quorumUp', path);
    vs.quorumDown = this.string(entry, 'quorumDown', path);
    vs.alpha = this.bool(entry, 'alpha', path) ?? false;
    vs.omega = this.bool(entry, 'omega', path) ?? false;
    vs.inhibit = this.bool(entry, 'inhibitOnFailure', path) ?? false;
    vs.haSuspend = this.bool(entry, 'haSuspend', path) ?? false;
    vs.virtualhost = this.string(entry, 'virtualhost', path);
    vs.weight = this.integer(entry, 'weight', path, 1, 0x7fffffff) ?? 1;
    const destinations = entry.destinations ?? [];
    if (!Array.isArray(destinations)) return this.fail(`${path}.destinations`, 'expected an array');
    destinations.forEach((d, i) => this.destination(d, `${path}.destinations[${i}]`, vs));
    if (this.present(entry, 'sorryServer')) this.sorry(entry.sorryServer, `${path}.sorryServer`, vs);
    // the ruleset JSON has no method per service: the one all its real servers share, if they do
    const methods = new Set(vs.realServers.map((rs) => JSON.stringify(rs.forwarding)));
    if (methods.size === 1 && vs.realServers[0]!.forwarding) vs.forwarding = vs.realServers[0]!.forwarding;
    if (vs.family === undefined) {
      const families = new Set(vs.realServers.filter((rs) => rs.forwarding?.method !== 'TUN').map((rs) => rs.family));
      if (families.size === 1) vs.family = [...families][0];
    }
    return vs;
  }

  private sorry(entry: unknown, path: string, vs: DraftVirtualServer): void {
    if (!isObject(entry)) return void this.fail(path, 'expected an object { address, port }');
    this.fields(entry, path, SORRY_FIELDS);
    const address = this.address(entry, path);
    const port = this.integer(entry, 'port', path, 0, 65535) ?? 0;
    const forwarding = this.forwarding(entry, path);
    if (!address) return;
    vs.sorry = { at: this.at(path), ...address, port, forwarding: forwarding ?? vs.forwarding, inhibit: this.bool(entry, 'inhibit', path) ?? false };
    if (vs.sorry.forwarding?.method !== 'TUN' && vs.family !== undefined && vs.family !== address.family) this.fail(path, "the sorry server's address family differs from the virtual server's");
  }

  private destination(entry: unknown, path: string, vs: DraftVirtualServer): void {
    if (!isObject(entry)) return void this.fail(path, 'expected an object');
    this.fields(entry, path, DESTINATION_FIELDS);
    const address = this.address(entry, path);
    const port = this.integer(entry, 'port', path, 0, 65535) ?? 0;
    if (!address) return;
    const rs = newRealServer(this.at(path), address.family, address.address, port, vs);
    const forwarding = this.forwarding(entry, path);
    if (forwarding) rs.forwarding = forwarding;
    rs.weight = this.integer(entry, 'weight', path, 0, 0x7fffffff);
    rs.upperThreshold = this.integer(entry, 'upperThreshold', path, 0, 0xffffffff) ?? 0;
    rs.lowerThreshold = this.integer(entry, 'lowerThreshold', path, 0, 0xffffffff) ?? 0;
    rs.inhibit = this.bool(entry, 'inhibitOnFailure', path);
    rs.alpha = this.bool(entry, 'alpha', path);
    rs.notifyUp = this.string(entry, 'notifyUp', path);
    rs.notifyDown = this.string(entry, 'notifyDown', path);
    Object.assign(rs, this.checkTimings(entry, path, 1));
    rs.virtualhost = this.string(entry, 'virtualhost', path);
    const check = entry.check;
    const checks = check === undefined || check === null ? [] : Array.isArray(check) ? check.map((c, i) => [c, `${path}.check[${i}]`] as const) : [[check, `${path}.check`] as const];
    for (const [c, where] of checks) {
      const checker = this.check(c, where);
      if (checker) rs.checkers.push(checker);
    }
    if (rs.forwarding?.method !== 'TUN' && vs.family !== undefined && vs.family !== rs.family) {
      return void this.fail(path, "the real server's address family differs from the virtual server's (only tunnel servers may differ)");
    }
    vs.realServers.push(rs);
  }

  /** The timings a real server gives its checkers and a checker may override (retry from `retryMin`). */
  private checkTimings(entry: Record<string, unknown>, path: string, retryMin: number): Pick<DraftChecker, 'connectTimeout' | 'retry' | 'delayBeforeRetry' | 'warmup' | 'delayLoop'> {
    return {
      connectTimeout: this.seconds(entry, 'connectTimeout', path, 1),
      retry: this.integer(entry, 'retry', path, retryMin, 0xffffffff),
      delayBeforeRetry: this.seconds(entry, 'delayBeforeRetry', path, 0),
      warmup: this.seconds(entry, 'warmup', path, 0),
      delayLoop: this.seconds(entry, 'delayLoop', path, 1),
    };
  }

  private check(entry: unknown, path: string): DraftChecker | undefined {
    if (!isObject(entry)) return this.fail(path, 'expected an object { "type": "TCP_CHECK" | "HTTP_GET" | "SSL_GET" | "MISC_CHECK", ... }');
    this.fields(entry, path, CHECK_FIELDS);
    const type = entry.type;
    if (type !== 'TCP_CHECK' && type !== 'HTTP_GET' && type !== 'SSL_GET' && type !== 'MISC_CHECK') {
      return this.fail(`${path}.type`, 'expected "TCP_CHECK", "HTTP_GET", "SSL_GET" or "MISC_CHECK"');
    }
    const c = newChecker(this.at(path), type);
    const connectIp = this.string(entry, 'connectIp', path);
    if (connectIp !== undefined) {
      const parsed = readAddress(connectIp);
      if (!parsed) this.fail(`${path}.connectIp`, `invalid address '${connectIp}'`);
      else [c.connectIp, c.connectIpFamily] = [parsed.address, parsed.family];
    }
    const bindTo = this.string(entry, 'bindTo', path);
    if (bindTo !== undefined) {
      const parsed = readAddress(bindTo);
      if (!parsed) this.fail(`${path}.bindTo`, `invalid address '${bindTo}'`);
      else [c.bindTo, c.bindToFamily] = [parsed.address, parsed.family];
    }
    if (c.connectIpFamily !== undefined && c.bindToFamily !== undefined && c.connectIpFamily !== c.bindToFamily) this.fail(path, 'connectIp and bindTo are of different address families');
    c.connectPort = this.integer(entry, 'connectPort', path, 1, 65535);
    c.bindPort = this.integer(entry, 'bindPort', path, 1, 65535);
    Object.assign(c, this.checkTimings(entry, path, 0));
    c.alpha = this.bool(entry, 'alpha', path);
    if (type === 'HTTP_GET' || type === 'SSL_GET') {
      const urls = entry.url;
      const list = Array.isArray(urls) ? urls : urls === undefined || urls === null ? [] : [urls];
      list.forEach((u, i) => {
        const url = this.url(u, Array.isArray(urls) ? `${path}.url[${i}]` : `${path}.url`);
        if (url) c.urls.push(url);
      });
      if (c.urls.length === 0) return this.fail(`${path}.url`, 'expected at least one { "path": ... }');
      c.virtualhost = this.string(entry, 'virtualhost', path);
      const protocol = entry.httpProtocol;
      if (protocol !== undefined && protocol !== null) {
        if (protocol === '1.0' || protocol === '1.1' || protocol === '1.0C') c.httpProtocol = protocol;
        else this.fail(`${path}.httpProtocol`, 'expected "1.0", "1.1" or "1.0C"');
      }
      c.enableSni = this.bool(entry, 'enableSni', path) ?? false;
    }
    if (type === 'MISC_CHECK') {
      const command = this.string(entry, 'miscPath', path);
      if (command === undefined) return this.fail(`${path}.miscPath`, 'expected the command to run');
      c.miscArgs = splitQuotedEscaped(command);
      c.miscTimeout = this.integer(entry, 'miscTimeout', path, 0, 4294) ?? 0;
      c.miscDynamic = this.bool(entry, 'miscDynamic', path) ?? false;
      c.user = this.string(entry, 'user', path);
      c.group = this.string(entry, 'group', path);
    }
    return c;
  }

  private url(entry: unknown, path: string): DraftUrl | undefined {
    if (!isObject(entry)) return this.fail(path, 'expected an object { "path": ... }');
    this.fields(entry, path, URL_FIELDS);
    const urlPath = this.string(entry, 'path', path);
    if (urlPath === undefined) return this.fail(`${path}.path`, 'expected the path to get');
    const url: DraftUrl = { at: this.at(path), path: urlPath, statusCodes: [] };
    const codes = entry.statusCode;
    const list = Array.isArray(codes) ? codes : codes === undefined || codes === null ? [] : [codes];
    list.forEach((code, i) => {
      const where = Array.isArray(codes) ? `${path}.statusCode[${i}]` : `${path}.statusCode`;
      const m = /^(\d+)(?:-(\d+))?$/.exec(String(code));
      const min = m && (typeof code === 'number' || typeof code === 'string') ? Number(m[1]) : NaN;
      const max = m?.[2] !== undefined ? Number(m[2]) : min;
      if (!(min >= 100 && max <= 599 && min <= max)) return void this.fail(where, 'expected a status code or a range "200-299" within 100-599');
      for (let n = min; n <= max; n++) if (!url.statusCodes.includes(n)) url.statusCodes.push(n);
    });
    const digest = this.string(entry, 'digest', path);
    if (digest !== undefined) {
      if (!/^[0-9a-fA-F]{32}$/.test(digest)) this.fail(`${path}.digest`, 'expected an MD5 digest (32 hexadecimal digits)');
      else url.digest = digest.toLowerCase();
    }
    url.virtualhost = this.string(entry, 'virtualhost', path);
    return url;
  }
}
