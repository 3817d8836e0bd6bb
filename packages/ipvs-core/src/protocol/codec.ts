import { IpvsProtocolError } from '../errors';
import type {
  AddressFamily, Daemon, DaemonConfig, DaemonState, Destination, DestinationKey, DestinationOptions, Info, Service,
  ServiceKey, ServiceOptions, Timeouts,
} from '../model';
import type { Operation } from '../api';
import { Attributes } from '../netlink/attributes';
import {
  CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_CMD_GETFAMILY, CTRL_CMD_NEWFAMILY, GENL_ATTRS_OFFSET, GENL_ID_CTRL,
  NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_HDRLEN,
} from '../netlink/constants';
import type { NetlinkMessage } from '../netlink/message';
import { MessageWriter } from '../netlink/writer';
import { CmdAttr, DaemonAttr, DestAttr, InfoAttr, IpvsCommand, IPVS_GENL_VERSION, SvcAttr } from './constants';
import { decodeDaemonNest, writeDaemonConfigNest, writeDaemonStateNest } from './daemon';
import { decodeDestinationNest, DestinationView, writeDestinationNest } from './destination';
import { decodeServiceKey, decodeServiceNest, writeServiceNest } from './service';
import { checkU32 } from './validate';

// The nest decoders, for fake kernels that read requests (see the wire entry's `codec`).
export { decodeDaemonNest, decodeDestinationNest, decodeServiceNest };

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
  /**
   * The service nest (identity only) of the last real-server request and the values it encodes: the
   * real servers of one service come in a row in a batch, and their requests copy those bytes instead
   * of checking and encoding the same key again.
   */
  private lastService: { readonly key: ServiceKey; readonly start: number; readonly end: number } | undefined;

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
      this.lastService = undefined; // its bytes may be among those dropped
      throw error;
    }
    w.finishMessage(start);
  }

  /**
   * Starts over at the beginning of the buffer: the views of earlier requests are overwritten. For a
   * caller that has finished with every request it encoded (a blocking reader, one request at a time).
   */
  reset(): void {
    this.writer.rewind(0);
    this.lastService = undefined;
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
  newService(key: ServiceKey, options: ServiceOptions = {}): Buffer {
    return this.message(IpvsCommand.NewService, DOIT, (w) => writeServiceNest(w, key, options));
  }
  setService(key: ServiceKey, options: ServiceOptions): Buffer {
    return this.message(IpvsCommand.SetService, DOIT, (w) => writeServiceNest(w, key, options));
  }
  delService(key: ServiceKey): Buffer { return this.message(IpvsCommand.DelService, DOIT, (w) => writeServiceNest(w, key)); }

  dumpDestinations(service: ServiceKey): Buffer {
    return this.message(IpvsCommand.GetDest, DUMP, (w) => writeServiceNest(w, service));
  }
  newDestination(service: ServiceKey, key: DestinationKey, options: DestinationOptions = {}): Buffer {
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
      case 'addService': return this.append(IpvsCommand.NewService, DOIT, (w) => writeServiceNest(w, op.service, op.options ?? {}));
      case 'editService': return this.append(IpvsCommand.SetService, DOIT, (w) => writeServiceNest(w, op.service, op.options));
      case 'deleteService': return this.append(IpvsCommand.DelService, DOIT, (w) => writeServiceNest(w, op.service));
      case 'addDestination':
        return this.append(IpvsCommand.NewDest, DOIT, (w) => { this.serviceOf(w, op.service); writeDestinationNest(w, op.destination, op.options ?? {}); });
      case 'editDestination':
        return this.append(IpvsCommand.SetDest, DOIT, (w) => { this.serviceOf(w, op.service); writeDestinationNest(w, op.destination, op.options); });
      case 'deleteDestination':
        return this.append(IpvsCommand.DelDest, DOIT, (w) => { this.serviceOf(w, op.service); writeDestinationNest(w, op.destination); });
    }
  }

  /** The service nest of a real-server request: a copy of the previous one when it names the same service. */
  private serviceOf(w: MessageWriter, key: ServiceKey): void {
    const last = this.lastService;
    // (anything but an object is left to writeServiceNest, which names the problem)
    if (last !== undefined && typeof key === 'object' && key !== null && sameServiceKey(last.key, key)) {
      w.repeat(last.start, last.end);
      return;
    }
    const start = w.written;
    writeServiceNest(w, key);
    // the values as they were encoded (a caller may reuse and change its key object)
    const copy: ServiceKey = 'fwmark' in key ? { family: key.family, fwmark: key.fwmark }
      : { family: key.family, protocol: key.protocol, address: key.address, port: key.port };
    this.lastService = { key: copy, start, end: w.written };
  }
}

function sameServiceKey(a: ServiceKey, b: ServiceKey): boolean {
  if (a.family !== b.family) return false;
  if ('fwmark' in a) return 'fwmark' in b && a.fwmark === b.fwmark;
  return !('fwmark' in b) && a.protocol === b.protocol && a.port === b.port && a.address === b.address;
}

/** CTRL_CMD_GETFAMILY for `name` (nlctrl, flags REQUEST|ACK). */
export function encodeGetFamily(name: string): Buffer {
  const w = new MessageWriter(64);
  const start = w.beginMessage(GENL_ID_CTRL, DOIT, CTRL_CMD_GETFAMILY, 1);
  w.string(CTRL_ATTR_FAMILY_NAME, name);
  return w.endMessage(start);
}

/** Checks that the generic netlink message at start..end of `buffer` has the genl command `expected`. */
function checkCommand(buffer: Buffer, start: number, end: number, expected: number, what: string): void {
  if (end - start < GENL_ATTRS_OFFSET) {
    throw new IpvsProtocolError(`generic netlink message of ${end - start} bytes has no genl header`);
  }
  const command = buffer[start + NLMSG_HDRLEN]!;
  if (command !== expected) throw new IpvsProtocolError(`${what}: expected genl command ${expected}, got ${command}`);
}

/** Top-level attributes of a generic netlink reply, checking its genl command. */
function topLevel(message: NetlinkMessage, command: number, maxType: number, what: string): Attributes {
  const bytes = message.bytes;
  checkCommand(bytes, 0, bytes.length, command, what);
  return Attributes.parse(bytes, GENL_ATTRS_OFFSET, bytes.length, maxType, what);
}

/**
 * Loads into `nest` the nest `type` of the genl message at start..end of `buffer` (after checking
 * its command), using `top` for the top level. Dumps pass the same two tables for every message.
 */
function loadNest(top: Attributes, nest: Attributes, buffer: Buffer, start: number, end: number, command: number, type: number): Attributes {
  checkCommand(buffer, start, end, command, top.where);
  top.load(buffer, start + GENL_ATTRS_OFFSET, end);
  const at = top.offset(type);
  if (at < 0) throw new IpvsProtocolError(`${top.where}: nest ${type} is missing`);
  return nest.load(buffer, at, at + top.length(type));
}

export function decodeFamilyId(message: NetlinkMessage): number {
  return topLevel(message, CTRL_CMD_NEWFAMILY, CTRL_ATTR_FAMILY_NAME, 'family reply').requiredU16(CTRL_ATTR_FAMILY_ID);
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
  return new ServiceReader().read(message.bytes, 0, message.bytes.length);
}

/** Reads the NEW_SERVICE messages of a GET_SERVICE dump where they lie, two attribute tables for all. */
export class ServiceReader {
  private readonly top = new Attributes(CmdAttr.Service, 'service reply');
  private readonly nest = new Attributes(SvcAttr.Stats64, 'service reply/1');

  /** The service of the message at `start..end` of `buffer` (its counters keep `buffer`). */
  read(buffer: Buffer, start: number, end: number): Service {
    return decodeServiceNest(loadNest(this.top, this.nest, buffer, start, end, IpvsCommand.NewService, CmdAttr.Service));
  }
}

/**
 * Reads the NEW_DEST messages of a GET_DEST dump where the transport received them, each into a
 * read-only object or into one reusable view; two attribute tables serve them all.
 */
export class DestinationReader {
  private readonly top = new Attributes(CmdAttr.Dest, 'destination reply');
  private readonly nest = new Attributes(DestAttr.TunFlags, 'destination reply/2');
  private readonly current = new DestinationView();

  constructor(private readonly serviceFamily: AddressFamily) {}

  /** The real server of the message at `start..end` of `buffer`. */
  read(buffer: Buffer, start: number, end: number): Destination {
    const nest = loadNest(this.top, this.nest, buffer, start, end, IpvsCommand.NewDest, CmdAttr.Dest);
    return decodeDestinationNest(nest, this.serviceFamily);
  }

  /** The same real server shown by the reader's one view, valid until the next message (see `DestinationView`). */
  view(buffer: Buffer, start: number, end: number): Destination {
    return this.current.show(loadNest(this.top, this.nest, buffer, start, end, IpvsCommand.NewDest, CmdAttr.Dest), this.serviceFamily);
  }
}

/** One real server of a GET_DEST dump (genl command NEW_DEST). */
export function decodeDestination(message: NetlinkMessage, serviceFamily: AddressFamily): Destination {
  return new DestinationReader(serviceFamily).read(message.bytes, 0, message.bytes.length);
}

/**
 * Reads only the identity of each NEW_SERVICE message of a GET_SERVICE dump, in place, with two
 * attribute tables for all (checking a dump against another costs less than decoding it again).
 */
export class ServiceKeyReader {
  private readonly top = new Attributes(CmdAttr.Service, 'service reply');
  private readonly nest = new Attributes(SvcAttr.Stats64, 'service reply/1');

  read(buffer: Buffer, start: number, end: number): ServiceKey {
    return decodeServiceKey(loadNest(this.top, this.nest, buffer, start, end, IpvsCommand.NewService, CmdAttr.Service));
  }
}

/** One daemon of a GET_DAEMON dump (genl command NEW_DAEMON). */
export function decodeDaemon(message: NetlinkMessage): Daemon {
  const top = new Attributes(CmdAttr.Daemon, 'daemon reply');
  const nest = new Attributes(DaemonAttr.McastTtl, 'daemon reply/3');
  return decodeDaemonNest(loadNest(top, nest, message.bytes, 0, message.bytes.length, IpvsCommand.NewDaemon, CmdAttr.Daemon));
}
