import { familyOf, formatNodeIPv4, formatNodeIPv6, writeNodeIPv4, writeNodeIPv6 } from '../node-address';
import { IpvsProtocolError, IpvsValidationError } from '../errors';
import type { Daemon, DaemonConfig } from '../model';
import { AddressFamily, DaemonState } from '../model/enums';
import type { Attributes } from '../netlink/attributes';
import type { MessageWriter } from '../netlink/writer';
import { CmdAttr, DaemonAttr, IFNAME_MAX } from './constants';
import { checkInteger, checkName, checkPort, checkU16, checkU8 } from './validate';

function checkState(value: unknown): DaemonState {
  if (value !== DaemonState.Master && value !== DaemonState.Backup) {
    throw new IpvsValidationError('state', `expected DaemonState.Master (1) or DaemonState.Backup (2), got ${String(value)}`);
  }
  return value;
}

function isMulticastIPv4(address: string): boolean {
  const first = Number(address.split('.')[0]);
  return first >= 224 && first <= 239;
}

/** Writes the DAEMON nest of NEW_DAEMON; optional values are sent only when given and non-zero. */
export function writeDaemonConfigNest(w: MessageWriter, config: DaemonConfig): void {
  if (typeof config !== 'object' || config === null) throw new IpvsValidationError('daemon', 'expected a daemon configuration');
  const nest = w.beginNest(CmdAttr.Daemon);
  w.u32(DaemonAttr.State, checkState(config.state));
  w.string(DaemonAttr.McastIfn, checkName('interface', config.interface, IFNAME_MAX));
  w.u32(DaemonAttr.SyncId, checkInteger('syncId', config.syncId, 0, 255));
  if (config.maxLength) w.u16(DaemonAttr.SyncMaxlen, checkU16('maxLength', config.maxLength));
  if (config.group !== undefined) {
    const group = config.group;
    const family = typeof group === 'string' ? familyOf(group) : undefined;
    // The kernel refuses non-multicast groups with EINVAL; say why before sending.
    if (family === AddressFamily.IPv4 && isMulticastIPv4(group)) w.binary(DaemonAttr.McastGroup, 4, (b, o) => writeNodeIPv4(group, b, o));
    else if (family === AddressFamily.IPv6 && /^ff/i.test(group)) w.binary(DaemonAttr.McastGroup6, 16, (b, o) => writeNodeIPv6(group, b, o));
    else throw new IpvsValidationError('group', `expected an IPv4 or IPv6 multicast address, got ${JSON.stringify(group)}`);
  }
  if (config.port) w.u16(DaemonAttr.McastPort, checkPort('port', config.port)); // host order, unlike other ports
  if (config.ttl) w.u8(DaemonAttr.McastTtl, checkU8('ttl', config.ttl));
  w.endNest(nest);
}

/** Writes the DAEMON nest of DEL_DAEMON (only the state matters). */
export function writeDaemonStateNest(w: MessageWriter, state: DaemonState): void {
  const nest = w.beginNest(CmdAttr.Daemon);
  w.u32(DaemonAttr.State, checkState(state));
  w.endNest(nest);
}

/** Decodes the DAEMON nest of a NEW_DAEMON reply. */
export function decodeDaemonNest(nest: Attributes): Daemon {
  const state = nest.requiredU32(DaemonAttr.State);
  if (state !== DaemonState.Master && state !== DaemonState.Backup) {
    throw new IpvsProtocolError(`daemon: unknown state ${state}`);
  }
  const group4 = nest.offset(DaemonAttr.McastGroup, 4);
  const group6 = nest.offset(DaemonAttr.McastGroup6, 16);
  const group = group6 >= 0 ? formatNodeIPv6(nest.source, group6) : group4 >= 0 ? formatNodeIPv4(nest.source, group4) : undefined;
  return {
    state,
    interface: nest.string(DaemonAttr.McastIfn) ?? '',
    syncId: nest.u32(DaemonAttr.SyncId) ?? 0,
    maxLength: nest.u16(DaemonAttr.SyncMaxlen),
    group,
    port: nest.u16(DaemonAttr.McastPort),
    ttl: nest.u8(DaemonAttr.McastTtl),
  };
}
