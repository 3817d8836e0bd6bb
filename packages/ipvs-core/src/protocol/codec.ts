import { IpvsProtocolError } from '../errors';
import type {
  AddressFamily, Daemon, DaemonConfig, DaemonState, Destination, DestinationKey, DestinationOptions, Info, Service,
  ServiceKey, ServiceOptions, Timeouts,
} from '../model';
import type { Operation } from '../api';
import { Attributes, findAttribute, MessageWriter } from './attributes';
import {
  CmdAttr, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_CMD_GETFAMILY, DaemonAttr, DestAttr, GENL_ATTRS_OFFSET,
  GENL_ID_CTRL, InfoAttr, IpvsCommand, IPVS_GENL_VERSION, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_HDRLEN, SvcAttr,
} from './constants';
import { decodeDaemonNest, writeDaemonConfigNest, writeDaemonStateNest } from './daemon';
import { DestinationView, decodeDestinationNest, writeDestinationNest } from './destination';
import { genlCommand, type NetlinkMessage } from './message';
import { decodeServiceKey, decodeServiceNest, writeServiceNest } from './service';
import { checkU32 } from './validate';

const DOIT = NLM_F_REQUEST | NLM_F_ACK;
const DUMP = NLM_F_REQUEST | NLM_F_DUMP;

/**
 * Encodes IPVS requests into one growing buffer. Each method returns a view of the finished
 * message (seq 0, filled in by the transport). Invalid arguments throw IpvsValidationError and
 * leave nothing behind, so one encoder can serve a whole batch (the bulk path: no copies, no
 * per-attribute allocations).
 */
export class RequestEncoder {
  private readonly writer: MessageWriter;

  constructor(private readonly familyId: number, initialSize = 1024) {
    this.writer = new MessageWriter(initialSize);
  }

  private message(command: IpvsCommand, flags: number, body?: (w: MessageWriter) => void): Buffer {
    const start = this.writer.written;
    this.append(command, flags, body);
    return this.writer.view(start, this.writer.written);
  }

  /** Writes one message after the previous ones; on a validation error nothing is left behind. */
  private append(command: IpvsCommand, flags: number, body?: (w: MessageWriter) => void): void {
    const w = this.writer;
    const start = w.beginMessage(this.familyId, flags, command, IPVS_GENL_VERSION);
    try {
      body?.(w);
    } catch (error) {
      w.rewind(start);
      throw error;
    }
    w.finishMessage(start);
  }

  /** Bytes written so far (where the next request starts). */
  get written(): number {
    return this.writer.written;
  }

  /** Bytes `start`..`end - 1` of the requests written so far. */
  view(start: number, end: number): Buffer {
    return this.writer.view(start, end);
  }

  getInfo(): Buffer { return this.message(IpvsCommand.GetInfo, DOIT); }
  getConfig(): Buffer { return this.message(IpvsCommand.GetConfig, DOIT); }

  /** SET_CONFIG with all three timeouts (0 = leave unchanged, as ipvsadm sends it). */
  setConfig(timeouts: Partial<Timeouts>): Buffer {
    return this.message(IpvsCommand.SetConfig, DOIT, (w) => {
      // The kernel reads each value into an int; above INT_MAX it answers EINVAL.
      w.u32(CmdAttr.TimeoutTcp, checkU32('timeouts.tcp', timeouts.tcp ?? 0));
      w.u32(CmdAttr.TimeoutTcpFin, checkU32('timeouts.tcpFin', timeouts.tcpFin ?? 0));
      w.u32(CmdAttr.TimeoutUdp, checkU32('timeouts.udp', timeouts.udp ?? 0));
    });
  }

  dumpServices(): Buffer { return this.message(IpvsCommand.GetService, DUMP); }
  getService(key: ServiceKey): Buffer { return this.message(IpvsCommand.GetService, DOIT, (w) => writeServiceNest(w, key)); }
  newService(key: ServiceKey, options: ServiceOptions): Buffer {
    return this.message(IpvsCommand.NewService, DOIT, (w) => writeServiceNest(w, key, options));
  }
  setService(key: ServiceKey, options: ServiceOptions): Buffer {
    return this.message(IpvsCommand.SetService, DOIT, (w) => writeServiceNest(w, key, options));
  }
  delService(key: ServiceKey): Buffer { return this.message(IpvsCommand.DelService, DOIT, (w) => writeServiceNest(w, key)); }

  dumpDestinations(service: ServiceKey): Buffer {
    return this.message(IpvsCommand.GetDest, DUMP, (w) => writeServiceNest(w, service));
  }
  newDestination(service: ServiceKey, key: DestinationKey, options: DestinationOptions): Buffer {
    return this.message(IpvsCommand.NewDest, DOIT, (w) => { writeServiceNest(w, service); writeDestinationNest(w, key, options); });
  }
  setDestination(service: ServiceKey, key: DestinationKey, options: DestinationOptions): Buffer {
    return this.message(IpvsCommand.SetDest, DOIT, (w) => { writeServiceNest(w, service); writeDestinationNest(w, key, options); });
  }
  delDestination(service: ServiceKey, key: DestinationKey): Buffer {
    return this.message(IpvsCommand.DelDest, DOIT, (w) => { writeServiceNest(w, service); writeDestinationNest(w, key); });
  }

  /** ZERO of one service, or of everything when `service` is undefined. */
  zero(service?: ServiceKey): Buffer {
    return this.message(IpvsCommand.Zero, DOIT, service && ((w) => writeServiceNest(w, service)));
  }
  flush(): Buffer { return this.message(IpvsCommand.Flush, DOIT); }

  dumpDaemons(): Buffer { return this.message(IpvsCommand.GetDaemon, DUMP); }
  newDaemon(config: DaemonConfig): Buffer { return this.message(IpvsCommand.NewDaemon, DOIT, (w) => writeDaemonConfigNest(w, config)); }
  delDaemon(state: DaemonState): Buffer { return this.message(IpvsCommand.DelDaemon, DOIT, (w) => writeDaemonStateNest(w, state)); }

  /** The request of one batch operation. */
  operation(op: Operation): Buffer {
    const start = this.writer.written;
    this.appendOperation(op);
    return this.writer.view(start, this.writer.written);
  }

  /** Writes the request of one batch operation after the previous ones, without a view of it. */
  appendOperation(op: Operation): void {
    switch (op.op) {
      case 'addService': return this.append(IpvsCommand.NewService, DOIT, (w) => writeServiceNest(w, op.service, op.options));
      case 'editService': return this.append(IpvsCommand.SetService, DOIT, (w) => writeServiceNest(w, op.service, op.options));
      case 'deleteService': return this.append(IpvsCommand.DelService, DOIT, (w) => writeServiceNest(w, op.service));
      case 'addDestination':
        return this.append(IpvsCommand.NewDest, DOIT, (w) => { writeServiceNest(w, op.service); writeDestinationNest(w, op.destination, op.options); });
      case 'editDestination':
        return this.append(IpvsCommand.SetDest, DOIT, (w) => { writeServiceNest(w, op.service); writeDestinationNest(w, op.destination, op.options); });
      case 'deleteDestination':
        return this.append(IpvsCommand.DelDest, DOIT, (w) => { writeServiceNest(w, op.service); writeDestinationNest(w, op.destination); });
    }
  }
}

/** CTRL_CMD_GETFAMILY for `name` (nlctrl, flags REQUEST|ACK). */
export function encodeGetFamily(name: string): Buffer {
  const w = new MessageWriter(64);
  const start = w.beginMessage(GENL_ID_CTRL, DOIT, CTRL_CMD_GETFAMILY, 1);
  w.string(CTRL_ATTR_FAMILY_NAME, name);
  return w.endMessage(start);
}

/** Top-level attributes of a generic netlink reply, checking its genl command. */
function topLevel(message: NetlinkMessage, expectedCommand: number, maxType: number, what: string): Attributes {
  const command = genlCommand(message);
  if (command !== expectedCommand) {
    throw new IpvsProtocolError(`${what}: expected genl command ${expectedCommand}, got ${command}`);
  }
  return Attributes.parse(message.bytes, GENL_ATTRS_OFFSET, message.bytes.length, maxType, what);
}

function requiredNest(top: Attributes, type: number, maxType: number, what: string): Attributes {
  const nest = top.nested(type, maxType);
  if (!nest) throw new IpvsProtocolError(`${what}: nest ${type} is missing`);
  return nest;
}

export function decodeFamilyId(message: NetlinkMessage): number {
  return topLevel(message, 1 /* CTRL_CMD_NEWFAMILY */, CTRL_ATTR_FAMILY_NAME, 'family reply').requiredU16(CTRL_ATTR_FAMILY_ID);
}

/** GET_INFO reply (genl command SET_INFO). */
export function decodeInfo(message: NetlinkMessage): Info {
  const top = topLevel(message, IpvsCommand.SetInfo, InfoAttr.ConnTabSize, 'info reply');
  const versionCode = top.requiredU32(InfoAttr.Version);
  return {
    version: `${(versionCode >> 16) & 0xff}.${(versionCode >> 8) & 0xff}.${versionCode & 0xff}`,
    versionCode,
    connectionTableSize: top.requiredU32(InfoAttr.ConnTabSize),
  };
}

/** GET_CONFIG reply (genl command SET_CONFIG). */
export function decodeTimeouts(message: NetlinkMessage): Timeouts {
  const top = topLevel(message, IpvsCommand.SetConfig, CmdAttr.TimeoutUdp, 'config reply');
  return {
    tcp: top.u32(CmdAttr.TimeoutTcp) ?? 0,
    tcpFin: top.u32(CmdAttr.TimeoutTcpFin) ?? 0,
    udp: top.u32(CmdAttr.TimeoutUdp) ?? 0,
  };
}

/** One service of a GET_SERVICE reply (genl command NEW_SERVICE). */
export function decodeService(message: NetlinkMessage): Service {
  const top = topLevel(message, IpvsCommand.NewService, CmdAttr.Service, 'service reply');
  return decodeServiceNest(requiredNest(top, CmdAttr.Service, SvcAttr.Stats64, 'service reply'));
}

/** One real server of a GET_DEST dump (genl command NEW_DEST). */
export function decodeDestination(message: NetlinkMessage, serviceFamily: AddressFamily): Destination {
  const top = topLevel(message, IpvsCommand.NewDest, CmdAttr.Dest, 'destination reply');
  return decodeDestinationNest(requiredNest(top, CmdAttr.Dest, DestAttr.TunFlags, 'destination reply'), serviceFamily);
}

/**
 * Reads the NEW_DEST messages of one GET_DEST dump in place, where the transport received them:
 * one view and one attribute table serve them all (see `DestinationView`).
 */
export class DestinationDumpReader {
  private readonly nest = Attributes.reusable(DestAttr.TunFlags, 'destination reply/2');
  private readonly view = new DestinationView(this.nest);

  constructor(private readonly serviceFamily: AddressFamily) {}

  /** The real server of the message at `start..end` of `buffer`, valid until the next call. */
  read(buffer: Buffer, start: number, end: number): DestinationView {
    loadDumpNest(this.nest, buffer, start, end, IpvsCommand.NewDest, CmdAttr.Dest, 'destination reply');
    return this.view.read(this.serviceFamily);
  }
}

/**
 * Reads only the identity of each NEW_SERVICE message of a GET_SERVICE dump, in place, with one
 * attribute table for all (checking a dump against another costs less than decoding it again).
 */
export class ServiceKeyReader {
  private readonly nest = Attributes.reusable(SvcAttr.Stats64, 'service reply/2');

  read(buffer: Buffer, start: number, end: number): ServiceKey {
    return decodeServiceKey(loadDumpNest(this.nest, buffer, start, end, IpvsCommand.NewService, CmdAttr.Service, 'service reply'));
  }
}

/** Loads into `nest` the `attribute` nest of the genl message at start..end, after checking its command. */
function loadDumpNest(nest: Attributes, buffer: Buffer, start: number, end: number, command: number, attribute: number, what: string): Attributes {
  if (end - start < GENL_ATTRS_OFFSET) {
    throw new IpvsProtocolError(`generic netlink message of ${end - start} bytes has no genl header`);
  }
  const actual = buffer[start + NLMSG_HDRLEN]!;
  if (actual !== command) throw new IpvsProtocolError(`${what}: expected genl command ${command}, got ${actual}`);
  const at = findAttribute(buffer, start + GENL_ATTRS_OFFSET, end, attribute);
  if (at < 0) throw new IpvsProtocolError(`${what}: nest ${attribute} is missing`);
  return nest.load(buffer, at, at + buffer.readUInt16LE(at - 4) - 4);
}

/** One daemon of a GET_DAEMON dump (genl command NEW_DAEMON). */
export function decodeDaemon(message: NetlinkMessage): Daemon {
  const top = topLevel(message, IpvsCommand.NewDaemon, CmdAttr.Daemon, 'daemon reply');
  return decodeDaemonNest(requiredNest(top, CmdAttr.Daemon, DaemonAttr.McastTtl, 'daemon reply'));
}
