/**
 * `lvs_sync_daemon IFACE INSTANCE`: the IPVS connection-sync daemon follows one VRRP instance, as
 * master while it is MASTER (it sends the connection table) and as backup otherwise (it receives it),
 * so established connections survive a failover. Like the director, it reconciles: it reads the
 * kernel's daemons and changes only what differs, so a daemon stopped by hand comes back too.
 */
import { DaemonState, type IpvsApi } from '@tsipvs/ipvs-core';
import type { LvsSyncDaemonConfig } from '../config/vrrp-model';
import type { VrrpState } from './machine';

/** The daemon wanted for an instance state: none once stopped. */
export function wantedSyncDaemon(state: VrrpState): DaemonState | undefined {
  if (state === 'STOP') return undefined;
  return state === 'MASTER' ? DaemonState.Master : DaemonState.Backup;
}

/** Brings the kernel's sync daemons to the one wanted for `state`; returns what it changed. */
export async function reconcileSyncDaemon(ipvs: IpvsApi, config: LvsSyncDaemonConfig, state: VrrpState): Promise<string[]> {
  const wanted = wantedSyncDaemon(state);
  const running = await ipvs.getDaemons();
  const changes: string[] = [];
  for (const daemon of running) {
    const matches = daemon.state === wanted && daemon.interface === config.interface && daemon.syncId === config.syncId;
    if (!matches) {
      await ipvs.stopDaemon(daemon.state);
      changes.push(`stopped the ${DaemonState[daemon.state]!.toLowerCase()} sync daemon`);
    }
  }
  if (wanted !== undefined && !running.some((d) => d.state === wanted && d.interface === config.interface && d.syncId === config.syncId)) {
    await ipvs.startDaemon({ state: wanted, interface: config.interface, syncId: config.syncId });
    changes.push(`started the ${DaemonState[wanted]!.toLowerCase()} sync daemon on ${config.interface} (syncid ${config.syncId})`);
  }
  return changes;
}
