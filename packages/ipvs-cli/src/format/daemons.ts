import { DaemonState, type Daemon, type Timeouts } from '@tsipvs/ipvs-core';

export function timeoutsLine(t: Timeouts): string {
  return `Timeout (tcp tcpfin udp): ${t.tcp} ${t.tcpFin} ${t.udp}\n`;
}

export function daemonStateName(state: DaemonState): string {
  return state === DaemonState.Master ? 'master' : 'backup';
}

/** "master sync daemon (mcast=lo, syncid=0, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)". */
export function daemonLine(d: Daemon): string {
  let line = `${daemonStateName(d.state)} sync daemon (mcast=${d.interface}, syncid=${d.syncId}`;
  if (d.maxLength) line += `, maxlen=${d.maxLength}`;
  if (d.group !== undefined) line += `, group=${d.group}`;
  if (d.port) line += `, port=${d.port}`;
  if (d.ttl) line += `, ttl=${d.ttl}`;
  return `${line})\n`;
}
