/** ipvs-core against the real kernel: counters from real packets, zeroing and flushing. */
import * as assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { AddressFamily, ForwardingMethod, Protocol, TunnelType, type ServiceKey } from '@tsipvs/ipvs-core';
import { vmTest } from '../harness/guest';
import { DUMMY, saved, withClient } from './core-support.vm';

const UDP_A: ServiceKey = { family: AddressFamily.IPv4, protocol: Protocol.UDP, address: '10.0.0.1', port: 53 };
const UDP_B: ServiceKey = { ...UDP_A, port: 54 };
const OPTIONS = { scheduler: 'rr', timeout: 0, netmask: '255.255.255.255', flags: 0 };
const RS = { address: '10.0.0.2', port: 53, family: AddressFamily.IPv4 };
const MASQ = { forwarding: ForwardingMethod.Masquerade, weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnelType: TunnelType.IPIP, tunnelPort: 0, tunnelFlags: 0 };

/** Sends UDP datagrams from distinct source ports to the virtual service (IPVS schedules local output too). */
async function sendPackets(port: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => socket.send(Buffer.from('ping'), port, '10.0.0.1', (e) => (e ? reject(e) : resolve())));
    socket.close();
  }
}

/** The kernel publishes counters from its 2-second estimator run, so reads lag traffic. */
function waitForEstimator(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 4500));
}

vmTest('core: statistics, zero one service, zero all, flush', async (t) => {
  t.sh(DUMMY);
  await withClient(async (ipvs) => {
    await ipvs.addService(UDP_A, OPTIONS);
    await ipvs.addService(UDP_B, OPTIONS);
    await ipvs.addDestination(UDP_A, RS, MASQ);
    await ipvs.addDestination(UDP_B, { ...RS, port: 54 }, MASQ);
    await sendPackets(53, 5);
    await sendPackets(54, 3);
    await waitForEstimator();
    const a = await ipvs.getService(UDP_A);
    assert.equal(a.stats.connections, 5n);
    assert.equal(a.stats.packetsIn, 5n);
    assert.equal(a.stats.bytesIn, 5n * 32n); // 20 IP + 8 UDP + 4 payload
    const [dest] = await ipvs.getDestinations(UDP_A);
    assert.equal(dest?.stats.connections, 5n);
    assert.equal((dest?.activeConnections ?? 0) + (dest?.inactiveConnections ?? 0), 5);
    const exact = t.ipvsadm(['-L', '-n', '--exact', '--stats', '-u', '10.0.0.1:53']).stdout;
    assert.match(exact, /UDP  10\.0\.0\.1:53\s+5\s+5\s+0\s+160\s+0/);

    await ipvs.zero(UDP_A);
    assert.equal((await ipvs.getService(UDP_A)).stats.connections, 0n);
    assert.equal((await ipvs.getService(UDP_B)).stats.connections, 3n);
    await ipvs.zero();
    assert.equal((await ipvs.getService(UDP_B)).stats.connections, 0n);
    assert.equal((await ipvs.getDestinations(UDP_B))[0]?.stats.packetsIn, 0n);

    await ipvs.flush();
    assert.deepEqual(await ipvs.getServices(), []);
  });
  assert.deepEqual(saved(t), []);
});
