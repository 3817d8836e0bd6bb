/**
 * The classic LVS setups, built in network namespaces. Plumbing (namespaces, veth, bridge, the real
 * servers' own addresses and routes) uses iproute2; everything LVS-specific (the VIPs, the kernel
 * settings, the IPVS table) is left to tsipvs by the callers.
 */
import { Lab } from './lab';

export interface RealServer {
  readonly ns: string;
  readonly name: string;
  readonly address: string;
}

export interface Topology {
  readonly lab: Lab;
  readonly client: string;
  readonly director: string;
  readonly servers: readonly RealServer[];
  readonly vip: string;
  /** The director's interface that faces the client (where the VIP goes). */
  readonly directorDev: string;
}

/**
 * One shared segment 10.10.0.0/24 on a bridge: client .100, director .1, real servers .11, .12, ...
 * Used by DR, TUN and FWM (the real servers answer the client directly).
 */
export function sharedSegment(lab: Lab, serverCount: number, vip = '10.10.0.50'): Topology {
  const sw = lab.namespace('sw');
  const client = lab.namespace('client');
  const director = lab.namespace('dir');
  const { attach, bridge } = lab.segment(sw);
  attach(client, 'pc', '10.10.0.100');
  attach(director, 'pd', '10.10.0.1');
  const servers: RealServer[] = [];
  for (let i = 1; i <= serverCount; i++) {
    const ns = lab.namespace(`rs${i}`);
    const address = `10.10.0.${10 + i}`;
    attach(ns, `p${i}`, address);
    servers.push({ ns, name: `rs${i}`, address });
  }
  bridge();
  return { lab, client, director, servers, vip, directorDev: 'eth0' };
}

/**
 * NAT: the client on 10.20.0.0/24 (client .100, director .1), the real servers on the private
 * 10.21.0.0/24 behind the director (director .1, servers .11, .12, ...) with the director as their
 * default gateway.
 */
export function natNetworks(lab: Lab, serverCount: number, vip = '10.20.0.50'): Topology {
  const sw = lab.namespace('sw');
  const client = lab.namespace('client');
  const director = lab.namespace('dir');
  lab.link(client, 'eth0', director, 'eth0');
  lab.ip(client, 'addr add 10.20.0.100/24 dev eth0');
  lab.ip(director, 'addr add 10.20.0.1/24 dev eth0');
  lab.link(director, 'eth1', sw, 'pd');
  lab.ip(director, 'addr add 10.21.0.1/24 dev eth1');
  const ports = ['pd'];
  const servers: RealServer[] = [];
  for (let i = 1; i <= serverCount; i++) {
    const ns = lab.namespace(`rs${i}`);
    const address = `10.21.0.${10 + i}`;
    lab.link(ns, 'eth0', sw, `p${i}`);
    ports.push(`p${i}`);
    lab.ip(ns, `addr add ${address}/24 dev eth0`);
    lab.ip(ns, 'route add default via 10.21.0.1');
    servers.push({ ns, name: `rs${i}`, address });
  }
  lab.bridge(sw, 'br0', ports);
  return { lab, client, director, servers, vip, directorDev: 'eth0' };
}
