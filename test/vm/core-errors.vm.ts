/** ipvs-core against the real kernel: every refusal becomes the IpvsError ipvsadm would report, and nothing changes. */
import * as assert from 'node:assert/strict';
import {
  AddressFamily, ForwardingMethod, IpvsValidationError, Protocol, TunnelType, type DestinationOptions, type ServiceKey,
} from '@tsipvs/ipvs-core';
import { vmTest } from '../harness/guest';
import { DUMMY, expectIpvsError, saved, withClient } from './core-support.vm';

const SERVICE: ServiceKey = { family: AddressFamily.IPv4, protocol: Protocol.TCP, address: '10.0.0.1', port: 80 };
const MISSING: ServiceKey = { ...SERVICE, port: 81 };
const OPTIONS = { scheduler: 'rr', timeout: 0, netmask: '255.255.255.255', flags: 0 };
const MASQ: DestinationOptions = {
  forwarding: ForwardingMethod.Masquerade, weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnelType: TunnelType.IPIP, tunnelPort: 0, tunnelFlags: 0,
};
const RS = { address: '10.0.0.2', port: 80, family: AddressFamily.IPv4 };

vmTest('core: kernel refusals of services and real servers', async (t) => {
  t.sh(DUMMY);
  await withClient(async (ipvs) => {
    await ipvs.addService(SERVICE, OPTIONS);
    await ipvs.addDestination(SERVICE, RS, MASQ);
    const before = saved(t);

    const dup = await expectIpvsError(ipvs.addService(SERVICE, OPTIONS), { code: 'EEXIST', operation: 'addService', ipvsadm: 'Service already exists' });
    assert.equal(dup.errno, 17);
    assert.deepEqual(dup.object, { service: SERVICE, options: OPTIONS });
    assert.match(dup.message, /TCP 10\.0\.0\.1:80/);
    await expectIpvsError(ipvs.addService(MISSING, { ...OPTIONS, scheduler: 'nosuch' }), {
      code: 'ENOENT', operation: 'addService', ipvsadm: 'Scheduler or persistence engine not found',
    });
    await expectIpvsError(ipvs.addService(MISSING, { ...OPTIONS, persistenceEngine: 'nosuchpe' }), {
      code: 'ENOENT', operation: 'addService', ipvsadm: 'Scheduler or persistence engine not found',
    });
    await expectIpvsError(ipvs.editService(MISSING, OPTIONS), { code: 'ESRCH', operation: 'editService', ipvsadm: 'No such service' });
    await expectIpvsError(ipvs.editService(SERVICE, { ...OPTIONS, scheduler: 'nosuch' }), {
      code: 'ENOENT', operation: 'editService', ipvsadm: 'Scheduler or persistence engine not found',
    });
    await expectIpvsError(ipvs.deleteService(MISSING), { code: 'ESRCH', operation: 'deleteService', ipvsadm: 'No such service' });
    await expectIpvsError(ipvs.getService(MISSING), { code: 'ESRCH', operation: 'getService', ipvsadm: 'No such service' });
    await expectIpvsError(ipvs.zero(MISSING), { code: 'ESRCH', operation: 'zero', ipvsadm: 'No such service' });

    await expectIpvsError(ipvs.addDestination(SERVICE, RS, MASQ), { code: 'EEXIST', operation: 'addDestination', ipvsadm: 'Destination already exists' });
    await expectIpvsError(ipvs.addDestination(MISSING, RS, MASQ), { code: 'ESRCH', operation: 'addDestination', ipvsadm: 'Service not defined' });
    await expectIpvsError(ipvs.editDestination(SERVICE, { ...RS, port: 81 }, MASQ), { code: 'ENOENT', operation: 'editDestination', ipvsadm: 'No such destination' });
    await expectIpvsError(ipvs.editDestination(MISSING, RS, MASQ), { code: 'ESRCH', operation: 'editDestination', ipvsadm: 'Service not defined' });
    await expectIpvsError(ipvs.deleteDestination(SERVICE, { ...RS, port: 81 }), { code: 'ENOENT', operation: 'deleteDestination', ipvsadm: 'No such destination' });
    await expectIpvsError(ipvs.addDestination(SERVICE, { ...RS, port: 82 }, { ...MASQ, upperThreshold: 5, lowerThreshold: 10 }), {
      code: 'ERANGE', operation: 'addDestination', ipvsadm: 'Numerical result out of range',
    });
    const invalid = 'Invalid operation.  Possibly wrong module version, address not unicast, ...';
    await expectIpvsError(ipvs.addDestination(SERVICE, { ...RS, address: '224.0.0.1' }, MASQ), { code: 'EINVAL', operation: 'addDestination', ipvsadm: invalid });
    await expectIpvsError(ipvs.addDestination(SERVICE, { ...RS, port: 83 }, { ...MASQ, forwarding: ForwardingMethod.Tunnel, tunnelType: TunnelType.GUE }), {
      code: 'EINVAL', operation: 'addDestination', ipvsadm: invalid,
    });
    await expectIpvsError(ipvs.setTimeouts({ tcp: 0x80000000 }), { code: 'EINVAL', operation: 'setTimeouts', ipvsadm: invalid });

    // Checked before sending: nothing reaches the kernel.
    await assert.rejects(ipvs.addService({ ...SERVICE, address: '10.0.0.300' }, OPTIONS), IpvsValidationError);
    await assert.rejects(ipvs.addService({ ...SERVICE, port: 65536 }, OPTIONS), IpvsValidationError);
    await assert.rejects(ipvs.addService(MISSING, { ...OPTIONS, scheduler: 'a'.repeat(16) }), IpvsValidationError);
    await assert.rejects(ipvs.addDestination(SERVICE, { ...RS, weight: -1 } as never, { ...MASQ, weight: -1 }), IpvsValidationError);

    assert.deepEqual(saved(t), before);
  });
});
