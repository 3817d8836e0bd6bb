/**
 * The VRRP half running: every `vrrp_instance` of the configuration with its tracked scripts and
 * interfaces, sync groups and the LVS sync daemon, on the real network (raw sockets, rtnetlink,
 * gratuitous ARP, /bin/sh for scripts). `startVrrp` is what `tsipvs keepalived` calls; the parts are
 * tested one by one with fakes (instance.ts, track.ts, sync-group.ts, sync-daemon.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { IpvsApi } from '@tsipvs/ipvs-core';
import { RtnetlinkInterfaces, type NetworkInterfaces } from '@tsipvs/sysctl';
import { miscCheck, shellQuote, startScript } from '../check/misc';
import { systemClock, type Clock } from '../clock';
import { scopeNumber, type VrrpConfig } from '../config/vrrp-model';
import { openVrrpChannel, sendGratuitousArp } from './io';
import { VrrpInstance, type AddressManager, type InstanceDeps, type InstanceStatus, type Transition } from './instance';
import { reconcileSyncDaemon } from './sync-daemon';
import { VrrpSyncGroup } from './sync-group';
import { ScriptTracker, trackedPriority, type TrackState } from './track';

/** How often tracked interfaces' link state is read (keepalived listens to netlink; a poll is enough here). */
const LINK_POLL_MS = 200;
const SCRIPT_KILL_GRACE_MS = 2000;

export type VrrpLog = (level: 'info' | 'detail' | 'warning', text: string) => void;

/** Virtual addresses over rtnetlink: adding one already there, or removing one gone, is not an error. */
export function rtnetlinkAddresses(network: NetworkInterfaces): AddressManager {
  return {
    async add(a, dev) {
      if (await network.hasAddress(dev, a.address, a.prefixLength)) return;
      // the loader accepted only scopes with a number
      const scope = a.scope === undefined ? undefined : scopeNumber(a.scope);
      await network.addAddress(dev, a.address, a.prefixLength, {
        ...(a.label ? { label: a.label } : {}),
        ...(a.broadcast ? { broadcast: a.broadcast } : {}),
        ...(scope !== undefined ? { scope } : {}),
      });
    },
    async remove(a, dev) {
      if (await network.hasAddress(dev, a.address, a.prefixLength)) await network.deleteAddress(dev, a.address, a.prefixLength);
    },
  };
}

/** The first IPv4 address of an interface (keepalived's default advert source). */
function primaryAddress(interfaceName: string): string | undefined {
  return os.networkInterfaces()[interfaceName]?.find((a) => a.family === 'IPv4')?.address;
}

/** up when the link is up and has carrier, per sysfs. */
function linkState(name: string): TrackState {
  try {
    const operstate = fs.readFileSync(`/sys/class/net/${name}/operstate`, 'latin1').trim();
    return operstate === 'up' || operstate === 'unknown' ? 'up' : 'down';
  } catch {
    return 'down';
  }
}

/** Starts a notify script (keepalived does not wait for them either). */
function runNotify(log: VrrpLog): (command: string, args: readonly string[]) => void {
  return (command, args) => {
    const line = [command, ...args.map(shellQuote)].join(' ');
    startScript(line, (error) => log('warning', `notify ${command}: ${error.message}`));
  };
}

/** A vrrp_script run: /bin/sh -c, its own process group, killed as a whole on timeout. */
async function runScript(command: string, timeoutMs: number): Promise<boolean> {
  const outcome = await miscCheck({ command, timeoutMs, dynamic: false, killGraceMs: SCRIPT_KILL_GRACE_MS }, new AbortController().signal);
  return outcome.ok;
}

export interface VrrpStatus {
  readonly instances: readonly InstanceStatus[];
  readonly syncGroups: ReadonlyArray<{ readonly name: string; readonly state: string }>;
}

export interface VrrpRuntime {
  status(): VrrpStatus;
  /** Masters send priority 0 and give their addresses up; scripts and polls stop. */
  stop(): Promise<void>;
}

export interface VrrpOptions {
  readonly ipvs?: IpvsApi;
  readonly log: VrrpLog;
  readonly clock?: Clock;
}

export function startVrrp(config: VrrpConfig, options: VrrpOptions): VrrpRuntime {
  const { log } = options;
  const clock = options.clock ?? systemClock;
  const network = new RtnetlinkInterfaces();
  const deps: InstanceDeps = {
    openChannel: openVrrpChannel,
    addresses: rtnetlinkAddresses(network),
    announce: sendGratuitousArp,
    notify: runNotify(log),
    clock,
    primaryAddress,
    log,
  };
  // open the rtnetlink socket now (loading npm netlink takes a while on a small CPU): becoming MASTER
  // must not wait for it before the addresses go in
  for (const name of new Set(config.instances.map((c) => c.interface))) void network.link(name).catch(() => undefined);
  const instances = config.instances.map((c) => new VrrpInstance(c, deps));
  const trackers = new Map([...config.scripts].map(([name, c]) => [name, new ScriptTracker(c, runScript, clock)]));
  const links = new Map<string, TrackState>();
  for (const i of config.instances) for (const name of [i.interface, ...i.trackInterfaces.map((t) => t.name)]) links.set(name, linkState(name));

  /** Priority and fault of every instance from its scripts, its tracked interfaces and its own interface. */
  const retrack = () => {
    const scripts = new Map([...trackers].map(([name, t]) => [name, { config: t.config, state: t.state }]));
    instances.forEach((instance) => {
      const c = instance.config;
      const outcome = trackedPriority(c, scripts, links);
      const ownLinkDown = !c.dontTrackPrimary && links.get(c.interface) === 'down';
      instance.setFault(outcome.faulty || ownLinkDown);
      instance.setPriority(outcome.priority);
    });
  };
  for (const t of trackers.values()) t.on('change', retrack);

  const groups = config.syncGroups.map((g) => new VrrpSyncGroup(g, g.instances.map((name) => instances.find((i) => i.config.name === name)!).filter(Boolean), deps.notify));

  const sync = config.lvsSyncDaemon;
  const syncInstance = sync && (instances.find((i) => i.config.name === sync.instance) ?? instances[0]);
  let syncWork = Promise.resolve();
  if (sync && syncInstance && options.ipvs) {
    const ipvs = options.ipvs;
    const follow = (t?: Transition) => {
      const state = t?.to ?? syncInstance.state;
      syncWork = syncWork.then(async () => {
        try {
          for (const change of await reconcileSyncDaemon(ipvs, sync, state)) log('info', `(${syncInstance.config.name}) ${change}`);
        } catch (error) {
          log('warning', `lvs_sync_daemon: ${(error as Error).message}`);
        }
      });
    };
    syncInstance.on('transition', follow);
  }

  const started: VrrpInstance[] = [];
  try {
    for (const instance of instances) {
      instance.start(!instance.config.dontTrackPrimary && links.get(instance.config.interface) === 'down');
      started.push(instance);
    }
  } catch (error) {
    void Promise.all(started.map((i) => i.stop())).finally(() => network.close());
    throw error;
  }
  for (const t of trackers.values()) t.start();
  const poll = setInterval(() => {
    let changed = false;
    for (const [name, before] of links) {
      const now = linkState(name);
      if (now !== before) {
        links.set(name, now);
        log('info', `interface ${name} is ${now}`);
        changed = true;
      }
    }
    if (changed) retrack();
  }, LINK_POLL_MS);

  return {
    status: () => ({ instances: instances.map((i) => i.status()), syncGroups: groups.map((g) => ({ name: g.config.name, state: g.state })) }),
    async stop() {
      clearInterval(poll);
      await Promise.all([...trackers.values()].map((t) => t.stop()));
      await Promise.all(instances.map((i) => i.stop()));
      await syncWork;
      network.close();
    },
  };
}
