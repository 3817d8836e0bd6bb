import { AddressFamily, DaemonState, Protocol } from './model/enums';

/** Short human names of IPVS objects for error details ("TCP 10.0.0.1:80", "FWM 7 IPv6"). */

export function describeEndpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function protocolName(protocol: number): string {
  return Protocol[protocol] ?? `protocol ${protocol}`;
}

function describeService(key: Record<string, unknown>): string {
  if (typeof key.fwmark === 'number') {
    return `FWM ${key.fwmark}${key.family === AddressFamily.IPv6 ? ' IPv6' : ''}`;
  }
  return `${protocolName(Number(key.protocol))} ${describeEndpoint(String(key.address), Number(key.port))}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Describes whatever object an operation carried; '' when there is nothing to name. */
export function describeObject(object: unknown): string {
  if (!isRecord(object)) return '';
  if (isRecord(object.service)) {
    const service = `service ${describeService(object.service)}`;
    if (isRecord(object.destination)) {
      const dest = object.destination;
      return `real server ${describeEndpoint(String(dest.address), Number(dest.port))} of ${service}`;
    }
    return service;
  }
  if ('fwmark' in object || 'protocol' in object) return `service ${describeService(object)}`;
  if (typeof object.state === 'number') {
    const state = DaemonState[object.state]?.toLowerCase() ?? `state ${object.state}`;
    return typeof object.interface === 'string' ? `${state} sync daemon on ${object.interface}` : `${state} sync daemon`;
  }
  return '';
}
