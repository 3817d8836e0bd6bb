/**
 * keepalived's validate_check_config() and the inheritance of settings (check/check_data.c): drafts
 * of either configuration form become the model, with keepalived's defaults (virtual server → real
 * server → checker), its corrections (reported as warnings, as keepalived reports them) and the
 * checks it makes (reported as errors).
 */
import { AddressFamily } from '@tsipvs/ipvs-core';
import type { MessageLog } from './errors';
import type {
  CheckerConfig, Forwarding, GroupMember, KeepalivedConfig, RealServer, SorryServer, VirtualServer, VirtualServerGroup, VirtualServerTarget,
} from './model';
import { SECOND, type DraftChecker, type DraftGroup, type DraftRealServer, type DraftVirtualServer, type Drafts, type DraftServer } from './drafts';
import { hostPort, shellCommand } from './values';
import { finalizeVrrp } from './finalize-vrrp';

const NAT: Forwarding = { method: 'NAT' };
const ms = (us: number) => us / 1000;

/** keepalived's name of a virtual server in its messages: `10.0.0.1:80`, `FWM 50`, `group web`. */
export function virtualServerName(vs: Pick<DraftVirtualServer, 'target'>): string {
  const t = vs.target;
  return t.kind === 'address' ? hostPort(t.address, t.port) : t.kind === 'fwmark' ? `FWM ${t.mark}` : `group ${t.name}`;
}

export function finalize(drafts: Drafts, file: string, log: MessageLog): KeepalivedConfig {
  const groups = new Map<string, DraftGroup>(drafts.groups.map((g) => [g.name, g]));
  for (const group of drafts.groups) {
    if (group.members.length === 0) log.warning(group.at, `virtual_server_group ${group.name} has no entries`);
  }
  const virtualServers: VirtualServer[] = [];
  const seen = new Map<string, DraftVirtualServer>();
  const familyOfGroup = new Map<string, AddressFamily>();
  for (const vs of drafts.virtualServers) {
    const name = virtualServerName(vs);
    const group = vs.target.kind === 'group' ? groups.get(vs.target.name) : undefined;
    if (vs.target.kind === 'group') {
      if (!group) {
        log.error(vs.at, `virtual_server group ${vs.target.name}: no virtual_server_group of that name`);
        continue;
      }
      if (group.members.length === 0) {
        log.error(vs.at, `virtual_server group ${vs.target.name}: the group has no entries`);
        continue;
      }
    }
    if (vs.realServers.length === 0) {
      log.warning(vs.at, `virtual server ${name} has no real servers - ignored (as keepalived does)`);
      continue;
    }
    const built = finalizeVirtualServer(vs, name, group, log);
    const key = `${vs.target.kind === 'group' ? `group ${vs.target.name}` : name} ${vs.target.kind === 'fwmark' ? built.target.kind === 'fwmark' && built.target.family : built.protocol}`;
    const first = seen.get(key);
    if (first) {
      log.error(vs.at, `virtual server ${name} is defined twice (first at ${first.at.file}:${first.at.line})`);
      continue;
    }
    seen.set(key, vs);
    if (group && vs.family !== undefined && !familyOfGroup.has(group.name)) familyOfGroup.set(group.name, vs.family);
    virtualServers.push(built);
  }
  const vrrp = finalizeVrrp(drafts.vrrp, log);
  if (drafts.virtualServers.length === 0 && vrrp.instances.length === 0 && !log.failed) log.warning({ file, line: 0 }, 'no virtual_server: the checker half has nothing to do');
  const finished = new Map<string, VirtualServerGroup>();
  for (const group of drafts.groups) {
    const family = familyOfGroup.get(group.name) ?? AddressFamily.IPv4;
    const members = group.members.map((m): GroupMember => (m.kind === 'fwmark' && m.family === undefined ? { kind: 'fwmark', family, mark: m.mark } : (m as GroupMember)));
    finished.set(group.name, { name: group.name, at: group.at, members });
  }
  return { file, virtualServers, groups: finished, vrrp, messages: log.messages.filter((m) => m.severity !== 'error') };
}

function finalizeVirtualServer(vs: DraftVirtualServer, name: string, group: DraftGroup | undefined, log: MessageLog): VirtualServer {
  const target = vs.target;
  const groupMarks = group?.members.some((m) => m.kind === 'fwmark') ?? false;
  const groupAddresses = group?.members.filter((m) => m.kind === 'address') ?? [];
  const byMark = target.kind === 'fwmark' || groupMarks;
  const byAddress = target.kind === 'address' || groupAddresses.length > 0;
  // vs_end_handler: a fwmark service whose servers are all tunnelled takes their family, else IPv4
  if (vs.family === undefined && target.kind !== 'group') {
    const families = new Set([...(vs.sorry ? [vs.sorry.family] : []), ...vs.realServers.map((rs) => rs.family)]);
    vs.family = families.size === 1 ? [...families][0]! : AddressFamily.IPv4;
  }
  let haSuspend = vs.haSuspend;
  if (haSuspend && byMark) {
    log.warning(vs.at, `virtual server ${name}: cannot use ha_suspend with fwmarks - cleared`);
    haSuspend = false;
  }
  let protocol = vs.protocol;
  let onePacket = vs.onePacket;
  let persistenceTimeout = vs.persistenceTimeout;
  if (byAddress) {
    if (protocol === undefined) {
      log.warning(vs.at, `virtual server ${name}: no protocol set - defaulting to UDP (as keepalived does)`);
      protocol = 'UDP';
    }
    if (onePacket && protocol !== 'UDP') {
      log.warning(vs.at, `virtual server ${name}: one packet scheduling (ops) requires UDP - cleared`);
      onePacket = false;
    }
    if (persistenceTimeout === undefined && target.kind === 'address' && target.port === 0) {
      log.warning(vs.at, `virtual server ${name}: a zero port is only valid for persistent services - persistence_timeout set to 360`);
      persistenceTimeout = 360;
    }
  }
  if (persistenceTimeout === undefined && groupAddresses.some((m) => m.kind === 'address' && m.port === 0)) {
    log.warning(vs.at, `virtual server ${name}: a zero port is only valid for persistent services - persistence_timeout set to 360`);
    persistenceTimeout = 360;
  }
  if (vs.protocol !== undefined && byMark && !byAddress) {
    log.warning(vs.at, `virtual server ${name}: protocol specified for fwmark - protocol will be ignored`);
  }
  if (vs.scheduler === undefined) log.warning(vs.at, `virtual server ${name}: no scheduler set, setting default 'wlc'`);

  let defaultForwarding = vs.forwarding;
  const forwardingOf = (own: Forwarding | undefined): Forwarding => {
    if (own) return own;
    if (!defaultForwarding) {
      log.warning(vs.at, `virtual server ${name}: no forwarding method set, setting default NAT`);
      defaultForwarding = NAT;
    }
    return defaultForwarding;
  };

  const realServers: RealServer[] = [];
  const taken = new Map<string, DraftRealServer>();
  let weightSum = 0;
  for (const rs of vs.realServers) {
    const id = `${rs.address} ${rs.port}`;
    const first = taken.get(id);
    if (first) {
      log.error(rs.at, `real server ${hostPort(rs.address, rs.port)} is listed twice in ${name} (first at ${first.at.file}:${first.at.line})`);
      continue;
    }
    taken.set(id, rs);
    const forwarding = forwardingOf(rs.forwarding);
    const weight = rs.weight ?? vs.weight;
    const inhibit = rs.inhibit ?? vs.inhibit;
    weightSum += weight;
    const port = serverPort(vs, name, rs, forwarding, `real server ${hostPort(rs.address, rs.port)}`, true, log);
    const checkers = rs.checkers.flatMap((c) => finalizeChecker(c, vs, rs, log));
    realServers.push({
      at: rs.at, family: rs.family, address: rs.address, port, weight, forwarding, inhibitOnFailure: inhibit,
      upperThreshold: rs.upperThreshold, lowerThreshold: rs.lowerThreshold,
      ...(rs.notifyUp !== undefined ? { notifyUp: rs.notifyUp } : {}),
      ...(rs.notifyDown !== undefined ? { notifyDown: rs.notifyDown } : {}),
      checkers,
    });
  }

  let sorryServer: SorryServer | undefined;
  if (vs.sorry) {
    const s = vs.sorry;
    const forwarding = forwardingOf(s.forwarding);
    let inhibit = s.inhibit;
    const twin = realServers.find((rs) => rs.address === s.address && rs.port === s.port);
    if (twin && twin.inhibitOnFailure !== inhibit) {
      log.warning(s.at, `virtual server ${name}: the sorry server is also real server ${hostPort(twin.address, twin.port)} with another inhibit_on_failure setting - ${twin.inhibitOnFailure ? 'setting' : 'clearing'} it on the sorry server`);
      inhibit = twin.inhibitOnFailure;
    }
    const port = serverPort(vs, name, s, forwarding, 'sorry server', false, log);
    sorryServer = { at: s.at, family: s.family, address: s.address, port, forwarding, inhibit };
  }

  let quorum = vs.quorum;
  let hysteresis = vs.hysteresis;
  if (quorum > weightSum) {
    log.warning(vs.at, `virtual server ${name}: quorum ${quorum} exceeds the total weight of its real servers ${weightSum} - reduced to ${weightSum}`);
    quorum = weightSum;
  }
  if (hysteresis >= quorum && hysteresis > 0) {
    const reduced = Math.max(0, quorum - 1);
    log.warning(vs.at, `virtual server ${name}: hysteresis ${hysteresis} >= quorum ${quorum} - set to ${reduced}`);
    hysteresis = reduced;
  }
  if (group) {
    for (const m of groupAddresses) {
      if (m.kind === 'address' && vs.family !== undefined && m.family !== vs.family && realServers.some((rs) => rs.forwarding.method !== 'TUN')) {
        log.error(vs.at, `virtual server ${name}: group address ${m.address} is not of the family of its real servers`);
        break;
      }
    }
  }

  const built: VirtualServerTarget =
    target.kind === 'address' ? target
    : target.kind === 'fwmark' ? { kind: 'fwmark', family: vs.family ?? AddressFamily.IPv4, mark: target.mark }
    : { kind: 'group', name: target.name };
  return {
    at: vs.at, target: built, delayLoopMs: ms(vs.delayLoop), scheduler: vs.scheduler ?? 'wlc',
    forwarding: vs.forwarding ?? defaultForwarding ?? NAT,
    protocol: byAddress ? protocol! : 'TCP',
    ...(persistenceTimeout !== undefined ? { persistenceTimeout } : {}),
    ...(vs.persistenceGranularity !== undefined ? { persistenceGranularity: vs.persistenceGranularity } : {}),
    ...(vs.persistenceEngine !== undefined ? { persistenceEngine: vs.persistenceEngine } : {}),
    onePacketScheduling: onePacket, schedulerFlags: { ...vs.flags }, quorum, hysteresis,
    ...(vs.quorumUp !== undefined ? { quorumUp: vs.quorumUp } : {}),
    ...(vs.quorumDown !== undefined ? { quorumDown: vs.quorumDown } : {}),
    alpha: vs.alpha, omega: vs.omega, inhibitOnFailure: vs.inhibit,
    ...(sorryServer ? { sorryServer } : {}),
    haSuspend,
    ...(vs.virtualhost !== undefined ? { virtualhost: vs.virtualhost } : {}),
    realServers,
  };
}

/**
 * keepalived's port rules for a real (or sorry) server: NAT keeps its port (a real server without one
 * takes the virtual server's); DR and TUN use the virtual server's port, and none for a fwmark.
 * Groups are only checked, not corrected (as keepalived does).
 */
function serverPort(
  vs: DraftVirtualServer, name: string, server: DraftServer, forwarding: Forwarding, what: string, real: boolean, log: MessageLog,
): number {
  const { target } = vs;
  const { port, at } = server;
  if (target.kind === 'group') {
    if (forwarding.method !== 'NAT' && port !== 0) log.warning(at, `virtual server ${name}: ${what} has a port - it may not match the group's ports`);
    return port;
  }
  if (forwarding.method === 'NAT') return real && target.kind === 'address' && port === 0 ? target.port : port;
  if (target.kind === 'fwmark') {
    if (port !== 0) log.warning(at, `virtual server ${name}: ${what} has port ${port} specified - cleared for ${forwarding.method}${real ? ' (its checkers still use it)' : ''}`);
    return 0;
  }
  if (port !== 0 && port !== target.port) log.warning(at, `virtual server ${name}: ${what} port ${port} does not match - reset to ${target.port}`);
  return target.port;
}

function finalizeChecker(c: DraftChecker, vs: DraftVirtualServer, rs: DraftRealServer, log: MessageLog): CheckerConfig[] {
  const delayLoop = c.delayLoop ?? rs.delayLoop ?? vs.delayLoop;
  const defaultDelayBeforeRetry = c.kind === 'HTTP_GET' || c.kind === 'SSL_GET' ? 3 * SECOND : SECOND;
  const common = {
    at: c.at,
    ...(c.connectIp !== undefined ? { connectIp: c.connectIp } : {}),
    ...(c.bindTo !== undefined ? { bindTo: c.bindTo } : {}),
    ...(c.bindPort !== undefined ? { bindPort: c.bindPort } : {}),
    connectTimeoutMs: ms(c.connectTimeout ?? rs.connectTimeout ?? vs.connectTimeout),
    retry: c.retry ?? rs.retry ?? vs.retry ?? (c.kind === 'MISC_CHECK' ? 0 : 1),
    delayBeforeRetryMs: ms(c.delayBeforeRetry ?? rs.delayBeforeRetry ?? vs.delayBeforeRetry ?? defaultDelayBeforeRetry),
    warmupMs: ms(c.warmup ?? rs.warmup ?? vs.warmup ?? delayLoop),
    delayLoopMs: ms(delayLoop),
    alpha: c.alpha ?? rs.alpha ?? vs.alpha,
  };
  if (c.kind === 'MISC_CHECK') {
    const args = c.miscArgs!;
    return [{
      ...common, kind: 'MISC_CHECK', path: shellCommand(args), args,
      timeoutMs: c.miscTimeout > 0 ? c.miscTimeout * 1000 : ms(vs.delayLoop), dynamic: c.miscDynamic,
      ...(c.user !== undefined ? { user: c.user } : {}), ...(c.group !== undefined ? { group: c.group } : {}),
    }];
  }
  // keepalived's checker connects to the real server as written (before any port correction)
  const connectPort = c.connectPort ?? rs.port;
  if (connectPort === 0) {
    log.error(c.at, `${c.kind}: real server ${rs.address} has no port and the checker no connect_port: there is nothing to connect to`);
    return [];
  }
  if (c.kind === 'TCP_CHECK') return [{ ...common, connectPort, kind: 'TCP_CHECK' }];
  const virtualhost = c.virtualhost ?? rs.virtualhost ?? vs.virtualhost;
  return [{
    ...common, connectPort, kind: c.kind,
    urls: c.urls.map((u) => ({
      at: u.at, path: u.path!, statusCodes: [...u.statusCodes],
      ...(u.digest !== undefined ? { digest: u.digest } : {}), ...(u.virtualhost !== undefined ? { virtualhost: u.virtualhost } : {}),
    })),
    ...(virtualhost !== undefined ? { virtualhost } : {}),
    httpProtocol: c.httpProtocol, enableSni: c.enableSni,
  }];
}
