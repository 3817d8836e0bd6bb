/**
 * The wanted table: a pure function of the configuration, the health of each real server, the quorum
 * state of each virtual server and the servers being drained. keepalived 2.2.7's rules
 * (check/ipwrapper.c, ipvswrapper.c):
 * - a live real server is in at its effective weight (misc_dynamic's, else `weight`); a failed one is
 *   out, or at weight 0 with `inhibit_on_failure`;
 * - with a sorry server and the quorum lost, the sorry server is in (weight 1) and every real server is
 *   out (at weight 0 with inhibit); once the quorum is back, the sorry server is out (at weight 0 with
 *   `sorry_server_inhibit`) and the live real servers are in again; without a sorry server the quorum
 *   changes nothing in the table;
 * - the port of a real server is the service's for DR and TUN (0 for fwmark services), its own for NAT;
 * - a group gives one service per member, each with the same real servers.
 * A server that is not wanted but is being drained stays in at weight 0 (see drain.ts).
 */
import {
  AddressFamily, destinationId, destinationSettings, ForwardingMethod, Protocol, serviceId, ServiceFlags, serviceSettings, TunnelFlags,
  TunnelType, type DestinationKey, type DestinationSettings, type RuleDestination, type RuleService, type Ruleset, type ServiceKey,
  type ServiceSettings,
} from '@tsipvs/ipvs-core';
import { virtualServerName } from '../config/finalize';
import type { Forwarding, GroupMember, KeepalivedConfig, RealServer, SorryServer, VirtualServer } from '../config/model';

/** A real server's health as the reconciler sees it. */
export interface ServerHealth {
  readonly up: boolean;
  /** misc_dynamic's weight, when its checker set one. */
  readonly dynamicWeight?: number;
}

/** A real server kept at weight 0 until its connections end (its settings as the kernel has them). */
export interface DrainingServer {
  readonly service: ServiceKey;
  readonly destination: RuleDestination;
}

export interface WantedInput {
  readonly config: KeepalivedConfig;
  /** By `realServerId`; a server missing here counts as down. */
  readonly health: ReadonlyMap<string, ServerHealth>;
  /** By `virtualServerId`: whether the quorum is met (quorum.ts keeps it, with hysteresis). */
  readonly quorum: ReadonlyMap<string, boolean>;
  readonly draining?: readonly DrainingServer[];
}

export interface WantedRealServer {
  readonly id: string;
  readonly realServer: RealServer;
  /** The weight in the kernel; undefined when it is wanted out of the table. */
  readonly weight?: number;
}

export interface WantedVirtualServer {
  readonly id: string;
  readonly name: string;
  readonly virtualServer: VirtualServer;
  readonly services: readonly ServiceKey[];
  readonly quorumMet: boolean;
  /** The sorry server is in the pool (quorum lost). */
  readonly sorryActive: boolean;
  readonly realServers: readonly WantedRealServer[];
}

export interface WantedTable {
  /** Every service the configuration names, as it should be. */
  readonly ruleset: Ruleset;
  readonly virtualServers: readonly WantedVirtualServer[];
}

/** The largest weight IPVS takes. */
const WEIGHT_MAX = 0x7fffffff;

/** A virtual server's identity across reloads: what it names and its protocol. */
export function virtualServerId(vs: VirtualServer): string {
  const t = vs.target;
  const what = t.kind === 'fwmark' ? `fwmark ${t.family} ${t.mark}` : t.kind === 'group' ? `group ${t.name}` : `${t.address} ${t.port}`;
  return `${what} ${vs.protocol}`;
}

/** A real server's identity across reloads: its virtual server's, its address and port. */
export function realServerId(vs: VirtualServer, rs: RealServer): string {
  return `${virtualServerId(vs)} / ${rs.address} ${rs.port}`;
}

const PROTOCOLS: Readonly<Record<VirtualServer['protocol'], Protocol>> = { TCP: Protocol.TCP, UDP: Protocol.UDP, SCTP: Protocol.SCTP };

function memberKey(member: GroupMember, protocol: Protocol): ServiceKey {
  return member.kind === 'fwmark'
    ? { family: member.family, fwmark: member.mark }
    : { family: member.family, protocol, address: member.address, port: member.port };
}

/** The kernel services a virtual server owns (a group: one per member). Throws for an unknown group. */
export function servicesOf(vs: VirtualServer, config: KeepalivedConfig): ServiceKey[] {
  const protocol = PROTOCOLS[vs.protocol];
  const t = vs.target;
  if (t.kind !== 'group') return [memberKey(t, protocol)];
  const group = config.groups.get(t.name);
  if (!group) throw new Error(`${vs.at.file}:${vs.at.line}: virtual_server_group ${t.name} is not defined`);
  return group.members.map((m) => memberKey(m, protocol));
}

/** The service settings of a virtual server (keepalived's ipvs_set_srule). */
export function serviceSettingsOf(vs: VirtualServer, key: ServiceKey): ServiceSettings {
  const f = vs.schedulerFlags;
  let flags = 0;
  if (vs.onePacketScheduling) flags |= ServiceFlags.OnePacket;
  if (f.flag1 || f.shFallback || f.mhFallback) flags |= ServiceFlags.Sched1;
  if (f.flag2 || f.shPort || f.mhPort) flags |= ServiceFlags.Sched2;
  if (f.flag3) flags |= ServiceFlags.Sched3;
  const persistent = vs.persistenceTimeout !== undefined && vs.persistenceTimeout > 0;
  if (!persistent) return serviceSettings(key, { scheduler: vs.scheduler, flags, timeout: 0 });
  return serviceSettings(key, {
    scheduler: vs.scheduler,
    flags: flags | ServiceFlags.Persistent,
    timeout: vs.persistenceTimeout,
    ...(vs.persistenceGranularity !== undefined ? { netmask: netmaskOf(key.family, vs.persistenceGranularity) } : {}),
    ...(vs.persistenceEngine ? { persistenceEngine: vs.persistenceEngine } : {}),
  });
}

/** `persistence_granularity`: a dotted mask for IPv4, a prefix length ("64" or "/64") for IPv6. */
function netmaskOf(family: AddressFamily, text: string): string | number {
  if (family !== AddressFamily.IPv6) return text;
  const prefix = Number(text.replace(/^\//, ''));
  return Number.isInteger(prefix) ? prefix : 128;
}

const METHODS: Readonly<Record<Forwarding['method'], ForwardingMethod>> = {
  NAT: ForwardingMethod.Masquerade, DR: ForwardingMethod.DirectRoute, TUN: ForwardingMethod.Tunnel,
};
const TUNNEL_TYPES = { ipip: TunnelType.IPIP, gue: TunnelType.GUE, gre: TunnelType.GRE } as const;
const CHECKSUMS = { nocsum: TunnelFlags.None, csum: TunnelFlags.Checksum, remcsum: TunnelFlags.RemoteChecksum } as const;

/** A real server's (or the sorry server's) settings at `weight` (keepalived's ipvs_set_drule). */
export function destinationSettingsOf(
  server: Pick<RealServer, 'forwarding'> & Partial<Pick<RealServer, 'upperThreshold' | 'lowerThreshold'>>, weight: number,
): DestinationSettings {
  const fwd = server.forwarding;
  const tunnel = fwd.method === 'TUN';
  return destinationSettings({
    forwarding: METHODS[fwd.method],
    weight,
    upperThreshold: server.upperThreshold ?? 0,
    lowerThreshold: server.lowerThreshold ?? 0,
    ...(tunnel ? {
      tunnelType: TUNNEL_TYPES[fwd.tunnelType ?? 'ipip'],
      tunnelPort: fwd.tunnelType === 'gue' ? (fwd.tunnelPort ?? 0) : 0,
      tunnelFlags: fwd.tunnelType === 'gue' || fwd.tunnelType === 'gre' ? CHECKSUMS[fwd.tunnelChecksum ?? 'nocsum'] : 0,
    } : {}),
  });
}

/** The real server's key in `service`: the service's port for DR and TUN (0 for fwmarks), its own for NAT. */
export function destinationKeyOf(server: Pick<RealServer | SorryServer, 'family' | 'address' | 'port' | 'forwarding'>, service: ServiceKey): DestinationKey {
  const port = server.forwarding.method === 'NAT' ? server.port : 'fwmark' in service ? 0 : service.port;
  return { family: server.family, address: server.address, port };
}

/** The weight a live server runs at: misc_dynamic's, else the configured one, within IPVS's range. */
export function effectiveWeight(rs: RealServer, health: ServerHealth | undefined): number {
  const weight = health?.dynamicWeight ?? rs.weight;
  return Math.min(Math.max(0, Math.trunc(weight)), WEIGHT_MAX);
}

/** The sum keepalived weighs the quorum with: the effective weights of the live real servers. */
export function liveWeight(vs: VirtualServer, health: ReadonlyMap<string, ServerHealth>): number {
  let sum = 0;
  for (const rs of vs.realServers) {
    const h = health.get(realServerId(vs, rs));
    if (h?.up) sum += effectiveWeight(rs, h);
  }
  return sum;
}

/** The wanted table of every service the configuration names. */
export function wantedTable(input: WantedInput): WantedTable {
  const { config, health, quorum } = input;
  const services: RuleService[] = [];
  const seen = new Map<string, string>();
  const virtualServers: WantedVirtualServer[] = [];
  const drainingByService = new Map<string, DrainingServer[]>();
  for (const d of input.draining ?? []) {
    const id = serviceId(d.service);
    drainingByService.set(id, [...(drainingByService.get(id) ?? []), d]);
  }

  for (const vs of config.virtualServers) {
    const id = virtualServerId(vs);
    const name = virtualServerName(vs);
    const quorumMet = quorum.get(id) ?? true;
    const sorryActive = vs.sorryServer !== undefined && !quorumMet;
    const realServers: WantedRealServer[] = vs.realServers.map((rs) => {
      const rid = realServerId(vs, rs);
      const h = health.get(rid);
      const weight = sorryActive ? (rs.inhibitOnFailure ? 0 : undefined)
        : h?.up ? effectiveWeight(rs, h)
          : rs.inhibitOnFailure ? 0 : undefined;
      return { id: rid, realServer: rs, ...(weight !== undefined ? { weight } : {}) };
    });
    const keys = servicesOf(vs, config);
    for (const key of keys) {
      const sid = serviceId(key);
      const other = seen.get(sid);
      if (other !== undefined) throw new Error(`${vs.at.file}:${vs.at.line}: virtual server ${name} names service ${sid}, already named by ${other}`);
      seen.set(sid, name);
      const destinations = new Map<string, RuleDestination>();
      for (const w of realServers) {
        if (w.weight === undefined) continue;
        const dkey = destinationKeyOf(w.realServer, key);
        destinations.set(destinationId(dkey), { key: dkey, options: destinationSettingsOf(w.realServer, w.weight) });
      }
      const sorry = vs.sorryServer;
      if (sorry && (sorryActive || sorry.inhibit)) {
        const dkey = destinationKeyOf(sorry, key);
        const did = destinationId(dkey);
        // the sorry server may also be a real server: in, it wins; out (inhibited), the real server's entry stays
        if (sorryActive || !destinations.has(did)) destinations.set(did, { key: dkey, options: destinationSettingsOf(sorry, sorryActive ? 1 : 0) });
      }
      for (const d of drainingByService.get(sid) ?? []) {
        const did = destinationId(d.destination.key);
        if (!destinations.has(did)) destinations.set(did, { key: d.destination.key, options: { ...d.destination.options, weight: 0 } });
      }
      services.push({ key, options: serviceSettingsOf(vs, key), destinations: [...destinations.values()] });
    }
    virtualServers.push({ id, name, virtualServer: vs, services: keys, quorumMet, sorryActive, realServers });
  }
  return { ruleset: { services }, virtualServers };
}
