import { AddressFamily } from '@tsipvs/ipvs-core';
import { endpointName, type Naming } from './endpoint';
import { parseGlibcIPv6, formatGlibcIPv6 } from '../net/glibc-ipv6';
import { formatGlibcIPv4 } from '../net/glibc-ipv4';

/** One line of /proc/net/ip_vs_conn. */
export interface Connection {
  readonly protocol: string;
  readonly client: ConnectionEndpoint;
  readonly virtual: ConnectionEndpoint;
  readonly destination: ConnectionEndpoint;
  readonly state: string;
  readonly expires: number;
  readonly peName: string | undefined;
  readonly peData: string | undefined;
}

export interface ConnectionEndpoint {
  readonly family: AddressFamily;
  readonly address: string;
  readonly port: number;
}

const PROTOCOL_NUMBERS: Record<string, number> = { TCP: 6, UDP: 17, SCTP: 132 };

/** Kernel form: 8 hex digits for IPv4, full colon form for IPv6. */
function endpoint(addressText: string, portHex: string): ConnectionEndpoint {
  const port = parseInt(portHex, 16) & 0xffff;
  const v6 = addressText.includes(':') ? parseGlibcIPv6(addressText) : undefined;
  if (v6) return { family: AddressFamily.IPv6, address: formatGlibcIPv6(v6), port };
  return { family: AddressFamily.IPv4, address: formatGlibcIPv4(parseInt(addressText, 16) >>> 0), port };
}

/** The connection lines after the header; undefined when the file is empty (ipvsadm: unexpected input). */
export function parseConnections(text: string): Connection[] | undefined {
  const lines = text.split('\n');
  if (text === '') return undefined;
  return lines
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const f = line.trim().split(/\s+/);
      return {
        protocol: f[0] ?? '',
        client: endpoint(f[1] ?? '0', f[2] ?? '0'),
        virtual: endpoint(f[3] ?? '0', f[4] ?? '0'),
        destination: endpoint(f[5] ?? '0', f[6] ?? '0'),
        state: f[7] ?? '',
        expires: Number(f[8] ?? 0),
        peName: f[9],
        peData: f[10],
      };
    });
}

export function connectionTitle(persistent: boolean): string {
  const columns = 'pro expire state       source             virtual            destination';
  return `IPVS connection entries\n${persistent ? `${columns}        pe name          pe_data` : columns}\n`;
}

function name(e: ConnectionEndpoint, protocol: string, naming: Naming): string {
  return endpointName(e.family, e.address, e.port, PROTOCOL_NUMBERS[protocol] ?? 0, naming);
}

/** ipvsadm's print_conn; with --persistent-conn and pe data the columns shift (quirk kept). */
export function connectionLine(c: Connection, persistent: boolean, naming: Naming): string {
  const expire = `${String(Math.floor(c.expires / 60)).padStart(2, '0')}:${String(c.expires % 60).padStart(2, '0')}`;
  const head = `${c.protocol.padEnd(3)} ${expire.padEnd(6)} ${c.state.padEnd(11)} ${name(c.client, c.protocol, naming).padEnd(18)} ${name(c.virtual, c.protocol, naming).padEnd(18)} `;
  const destination = name(c.destination, c.protocol, naming);
  if (persistent && c.peData !== undefined) return `${head}${destination.padEnd(16)} ${c.peName!.padEnd(18)} ${c.peData}\n`;
  return `${head}${destination}\n`;
}
