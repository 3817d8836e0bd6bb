/**
 * keepalived's completion of the VRRP half (vrrp/vrrp.c vrrp_complete_init, vrrp_complete_instance;
 * vrrp_sync.c): drafts become `VrrpConfig`, with keepalived's defaults (global_defs → instance), its
 * corrections (warnings, worded as keepalived words them) and the checks it makes (errors: an
 * instance, script or group keepalived would drop or run half-configured does not run here).
 */
import type { MessageLog } from './errors';
import { SECOND, type DraftNotify, type DraftVrrp, type DraftVrrpInstance } from './drafts';
import {
  VRRP_DEFAULTS, type LvsSyncDaemonConfig, type VrrpConfig, type VrrpInstanceConfig, type VrrpNotify, type VrrpScriptConfig, type VrrpSyncGroupConfig,
} from './vrrp-model';
import type { VrrpAuth } from './vrrp-model';

/** keepalived's address owner priority. */
const OWNER = 255;

const notify = (n: DraftNotify): VrrpNotify => ({
  ...(n.master !== undefined ? { master: n.master } : {}),
  ...(n.backup !== undefined ? { backup: n.backup } : {}),
  ...(n.fault !== undefined ? { fault: n.fault } : {}),
  ...(n.stop !== undefined ? { stop: n.stop } : {}),
  ...(n.any !== undefined ? { any: n.any } : {}),
});

export function emptyVrrpConfig(): VrrpConfig {
  return { instances: [], scripts: new Map(), syncGroups: [] };
}

export function finalizeVrrp(draft: DraftVrrp | undefined, log: MessageLog): VrrpConfig {
  if (!draft) return emptyVrrpConfig();
  const scripts = new Map<string, VrrpScriptConfig>();
  for (const s of draft.scripts) {
    const interval = s.interval ?? VRRP_DEFAULTS.scriptIntervalMs / 1000;
    scripts.set(s.name, {
      at: s.at, name: s.name, script: s.script!, intervalMs: interval * 1000, timeoutMs: (s.timeout ?? 0) * 1000,
      weight: s.weight ?? VRRP_DEFAULTS.scriptWeight, rise: s.rise ?? VRRP_DEFAULTS.scriptRise, fall: s.fall ?? VRRP_DEFAULTS.scriptFall,
      ...(s.user !== undefined ? { user: s.user } : {}), initFail: s.initFail,
    });
  }
  const instances: VrrpInstanceConfig[] = [];
  for (const d of draft.instances) {
    const built = finalizeInstance(d, draft, scripts, log);
    if (built) instances.push(built);
  }
  // check_vrid_conflicts: one VRID per interface (and family)
  for (let i = 0; i < instances.length; i++) {
    const a = instances[i]!;
    const b = instances.slice(0, i).find((x) => x.interface === a.interface && x.virtualRouterId === a.virtualRouterId);
    if (b) log.error(a.at, `(${a.name}) VRID ${a.virtualRouterId} is already used by ${b.name} on interface ${a.interface} (at ${b.at.file}:${b.at.line})`);
  }
  const syncGroups: VrrpSyncGroupConfig[] = [];
  const groupOf = new Map<string, string>();
  for (const g of draft.syncGroups) {
    if (g.members.length === 0) {
      log.error(g.at, `Sync group ${g.name} has no virtual router(s) (keepalived would remove it)`);
      continue;
    }
    const members: string[] = [];
    for (const m of g.members) {
      if (!draft.instances.some((i) => i.name === m.name)) log.error(m.at, `Virtual router ${m.name} specified in sync group ${g.name} doesn't exist`);
      else if (groupOf.has(m.name)) log.error(m.at, `Virtual router ${m.name} cannot exist in more than one sync group (it is in ${groupOf.get(m.name)})`);
      else {
        groupOf.set(m.name, g.name);
        members.push(m.name);
      }
    }
    const owners = instances.filter((i) => members.includes(i.name)).map((i) => i.priority === OWNER);
    if (owners.includes(true) && owners.includes(false)) log.warning(g.at, `Sync group ${g.name} has some member(s) as address owner and some not as address owner. This won't work. (as keepalived says)`);
    if (members.length === 1) log.warning(g.at, `Sync group ${g.name} has only one member: it behaves as the instance alone`);
    syncGroups.push({ at: g.at, name: g.name, instances: members, notify: notify(g.notify) });
  }
  let lvsSyncDaemon: LvsSyncDaemonConfig | undefined;
  if (draft.lvsSync) {
    const s = draft.lvsSync;
    const instance = s.instance === undefined ? undefined : draft.instances.find((i) => i.name === s.instance);
    if (s.instance !== undefined && !instance) log.error(s.at, `lvs_sync_daemon: vrrp instance ${s.instance} not found (keepalived would clear the lvs_sync_daemon configuration)`);
    else {
      lvsSyncDaemon = {
        interface: s.interface, ...(s.instance !== undefined ? { instance: s.instance } : {}),
        syncId: s.syncId ?? instance?.vrid ?? 0,
      };
    }
  }
  return {
    instances, scripts, syncGroups,
    ...(lvsSyncDaemon ? { lvsSyncDaemon } : {}),
    ...(draft.routerId !== undefined ? { routerId: draft.routerId } : {}),
  };
}

function finalizeInstance(d: DraftVrrpInstance, g: DraftVrrp, scripts: ReadonlyMap<string, VrrpScriptConfig>, log: MessageLog): VrrpInstanceConfig | undefined {
  const errors = log.errorCount;
  const name = d.name;
  if (d.vrid === undefined) log.error(d.at, `(${name}) the virtual router id must be set (virtual_router_id 1-255)`);
  if (d.interface === undefined) log.error(d.at, `(${name}) no interface: tsipvs keepalived needs 'interface IF' (keepalived allows none only with unicast_src_ip)`);
  const version = d.version ?? g.version ?? VRRP_DEFAULTS.version;
  if (d.addresses.length === 0) {
    if (version === 3) log.error(d.at, `(${name}) No VIP specified; at least one is required`);
    else log.warning(d.at, `(${name}) No VIP specified; at least one is sensible`);
  }
  for (const t of d.trackScripts) {
    if (!scripts.has(t.name)) log.error(t.at, `(${name}) track script ${t.name} not found (no vrrp_script of that name)`);
  }
  if (log.errorCount !== errors) return undefined;

  const priority = d.priority ?? (d.state === 'MASTER' ? OWNER : VRRP_DEFAULTS.priority);
  const wantMaster = d.state === undefined ? priority === OWNER : d.state === 'MASTER';

  let auth: VrrpAuth = { type: 'none' };
  if (d.authType === 'PASS') {
    if (version === 3) log.warning(d.at, `(${name}) VRRP version 3 does not support authentication. Ignoring. (as keepalived does)`);
    else if (!d.authPass) log.warning(d.at, `(${name}) Authentication specified but no password given. Ignoring (as keepalived does)`);
    else auth = { type: 'pass', password: d.authPass };
  } else if (d.authPass !== undefined) log.warning(d.at, `(${name}) auth_pass without auth_type: no authentication (as keepalived does)`);

  let unicastPeers = d.peers;
  if (d.unicast && d.peers.length === 0) {
    log.warning(d.at, `(${name}) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. (as keepalived does)`);
    unicastPeers = [];
  }

  let preempt = !d.nopreempt;
  let preemptDelay = d.preemptDelay;
  if (priority === OWNER && !preempt) {
    log.warning(d.at, `(${name}) nopreempt is incompatible with priority ${OWNER}. resetting nopreempt (as keepalived does)`);
    preempt = true;
  }
  if (wantMaster) {
    if (!preempt) {
      log.warning(d.at, `(${name}) Warning - nopreempt will not work with initial state MASTER - clearing (as keepalived does)`);
      preempt = true;
    }
    if (preemptDelay) {
      log.warning(d.at, `(${name}) Warning - preempt delay will not work with initial state MASTER - clearing (as keepalived does)`);
      preemptDelay = 0;
    }
  }
  if (preemptDelay && !preempt) {
    log.warning(d.at, `(${name}) preempt_delay is incompatible with nopreempt mode - resetting (as keepalived does)`);
    preemptDelay = 0;
  }

  // advertisement interval: whole seconds below 256 s for version 2, centiseconds below 40.96 s for version 3
  let advert = d.advertInt ?? VRRP_DEFAULTS.advertIntMs * 1000;
  const unit = version === 2 ? SECOND : SECOND / 100;
  const limit = version === 2 ? 256 * SECOND : 4096 * unit;
  if (advert >= limit) {
    advert = limit - unit;
    log.warning(d.at, `(${name}) VRRPv${version} advertisement interval is out of range - setting to ${advert / SECOND}s (as keepalived does)`);
  } else if (advert % unit) {
    const rounded = Math.max(unit, Math.round(advert / unit) * unit);
    log.warning(d.at, `(${name}) VRRPv${version} advertisement interval ${advert / SECOND}s must be ${version === 2 ? 'an integer' : 'in units of 10ms'} - rounding to ${rounded / SECOND}s (as keepalived does)`);
    advert = rounded;
  }

  const garpDelay = d.garpDelay ?? g.garpDelay ?? VRRP_DEFAULTS.garpMasterDelayMs / 1000;
  const garpRepeat = d.garpRepeat ?? g.garpRepeat ?? VRRP_DEFAULTS.garpMasterRepeat;
  return {
    at: d.at, name, wantMaster, interface: d.interface!, virtualRouterId: d.vrid!, priority, advertIntMs: advert / 1000, version, preempt,
    preemptDelayMs: preemptDelay / 1000, auth, addresses: d.addresses, excludedAddresses: d.excluded,
    ...(d.source !== undefined ? { unicastSource: d.source } : {}),
    unicastPeers, mcastGroup: d.mcastGroup ?? g.mcastGroup4 ?? VRRP_DEFAULTS.mcastGroup4,
    trackInterfaces: d.trackInterfaces.map((t) => ({ name: t.name, weight: t.weight })),
    trackScripts: d.trackScripts.map((t) => ({ name: t.name, ...(t.weight !== undefined ? { weight: t.weight } : {}) })),
    notify: notify(d.notify),
    garpMasterDelayMs: garpDelay * 1000, garpMasterRepeat: garpRepeat,
    garpMasterRefreshMs: (d.garpRefresh ?? g.garpRefresh ?? VRRP_DEFAULTS.garpMasterRefreshMs / 1000) * 1000,
    garpMasterRefreshRepeat: d.garpRefreshRepeat ?? g.garpRefreshRepeat ?? VRRP_DEFAULTS.garpMasterRefreshRepeat,
    skipCheckAdvAddr: d.skipCheckAdvAddr ?? g.skipCheckAdvAddr ?? false,
    lowerPriorityNoAdvert: d.lowerPrioNoAdvert ?? g.lowerPrioNoAdvert ?? false,
    // keepalived defaults the global lower-priority GARP settings to the global master ones
    garpLowerPrioDelayMs: (d.garpLowerPrioDelay ?? g.garpLowerPrioDelay ?? g.garpDelay ?? VRRP_DEFAULTS.garpMasterDelayMs / 1000) * 1000,
    garpLowerPrioRepeat: d.garpLowerPrioRepeat ?? g.garpLowerPrioRepeat ?? g.garpRepeat ?? VRRP_DEFAULTS.garpMasterRepeat,
    dontTrackPrimary: d.dontTrackPrimary,
  };
}
