/** ipvs-core against the real kernel: pipelined batches larger than the receive buffer could hold unread. */
import * as assert from 'node:assert/strict';
import {
  AddressFamily, ForwardingMethod, IpvsError, Protocol, TunnelType, type Operation, type ServiceKey,
} from '@tsipvs/ipvs-core';
import { ipvsadmMessage } from 'tsipvs';
import { vmTest } from '../harness/guest';
import { DUMMY, saved, withClient } from './core-support.vm';

const OPTIONS = { scheduler: 'wlc', timeout: 0, netmask: '255.255.255.255', flags: 0 };
const MASQ = { forwarding: ForwardingMethod.Masquerade, weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnelType: TunnelType.IPIP, tunnelPort: 0, tunnelFlags: 0 };
const service = (i: number): ServiceKey => ({ family: AddressFamily.IPv4, protocol: Protocol.TCP, address: `10.1.${i >> 8}.${i & 0xff}`, port: 80 });

vmTest('core: batch of 5000 operations, with failures reported in order', async (t) => {
  t.sh(DUMMY);
  const operations: Operation[] = [];
  for (let i = 0; i < 1000; i++) {
    operations.push({ op: 'addService', service: service(i), options: OPTIONS });
    for (let j = 2; j < 6; j++) {
      operations.push({ op: 'addDestination', service: service(i), destination: { address: `10.2.${i >> 8}.${i & 0xff}`, port: 8000 + j, family: AddressFamily.IPv4 }, options: MASQ });
    }
  }
  await withClient(async (ipvs) => {
    const started = Date.now();
    const results = await ipvs.batch(operations);
    const elapsed = Date.now() - started;
    assert.equal(results.length, 5000);
    assert.ok(results.every((r) => r.ok), JSON.stringify(results.find((r) => !r.ok)));
    assert.equal((await ipvs.getServices()).length, 1000);
    assert.equal((await ipvs.getDestinations(service(999))).length, 4);
    process.stderr.write(`batch of 5000 took ${elapsed} ms\n`);

    // The same batch again: every operation fails with EEXIST, and the socket survives 5000 error replies.
    const again = await ipvs.batch(operations.slice(0, 3000));
    assert.ok(again.every((r) => !r.ok && r.error instanceof IpvsError && r.error.code === 'EEXIST'));
    const first = again[0]!;
    assert.ok(!first.ok && first.error instanceof IpvsError && ipvsadmMessage(first.error.operation, first.error.errno) === 'Service already exists');
    const second = again[1]!;
    assert.ok(!second.ok && second.error instanceof IpvsError && ipvsadmMessage(second.error.operation, second.error.errno) === 'Destination already exists');

    // Mixed: a bad address fails validation, a missing service fails in the kernel, the rest pass.
    const mixed = await ipvs.batch([
      { op: 'deleteService', service: service(0) },
      { op: 'addService', service: { ...service(0), address: 'not-an-ip' }, options: OPTIONS },
      { op: 'deleteService', service: service(0) },
      { op: 'deleteService', service: service(1) },
    ]);
    assert.deepEqual(mixed.map((r) => (r.ok ? 'ok' : r.error.name)), ['ok', 'IpvsValidationError', 'IpvsError', 'ok']);
  });
  const lines = saved(t);
  assert.equal(lines.filter((l) => l.startsWith('-A')).length, 998);
  assert.equal(lines.filter((l) => l.startsWith('-a')).length, 998 * 4);
});
