/**
 * A user's own test, written as docs/library.md ("Testing your code") shows it: the in-memory fake
 * IPVS of `@tsipvs/ipvs-core/testing`, here imported from the source of that entry like every test
 * of this package.
 */
import { constants } from 'node:os';
import { AddressFamily, ForwardingMethod, Protocol } from '../src';
import { FakeKernel, openFakeIpvs } from '../src/testing';

const web = { family: AddressFamily.IPv4, protocol: Protocol.TCP, address: '192.0.2.1', port: 80 };
const rs1 = { family: AddressFamily.IPv4, address: '10.0.0.11', port: 80 };

test('a service with { scheduler: "rr" } and a real server with { weight: 2 }, read back', async () => {
  const kernel = new FakeKernel();
  const ipvs = await openFakeIpvs(kernel);
  await ipvs.addService(web, { scheduler: 'rr' });
  await ipvs.addDestination(web, rs1, { weight: 2 });

  expect(await ipvs.getServices()).toMatchObject([{ key: web, scheduler: 'rr', timeout: 0, netmask: '255.255.255.255', flags: 0 }]);
  expect(await ipvs.getDestinations(web)).toMatchObject([{ key: rs1, weight: 2, forwarding: ForwardingMethod.DirectRoute }]);
  expect(kernel.services()).toHaveLength(1);
  ipvs.close();
});

test('the kernel\'s refusals, and refusals of your choosing', async () => {
  const kernel = new FakeKernel();
  const ipvs = await openFakeIpvs(kernel);
  await ipvs.addService(web, { scheduler: 'rr' });
  await expect(ipvs.addService(web, { scheduler: 'rr' })).rejects.toMatchObject({ name: 'IpvsError', code: 'EEXIST' });
  await expect(ipvs.addService({ ...web, port: 81 }, { scheduler: 'nope' })).rejects.toMatchObject({ code: 'ENOENT' });
  await expect(ipvs.addDestination({ ...web, port: 81 }, rs1)).rejects.toMatchObject({ code: 'ESRCH' });
  await expect(ipvs.deleteDestination(web, rs1)).rejects.toMatchObject({ code: 'ENOENT' });

  kernel.refuse('addDestination', constants.errno.ENOMEM);
  await expect(ipvs.addDestination(web, rs1)).rejects.toMatchObject({ code: 'ENOMEM', operation: 'addDestination' });
  expect(kernel.destinations(web)).toEqual([]);
  kernel.refuse('addDestination', 0);
  await ipvs.addDestination(web, rs1);
  expect(kernel.destinations(web)).toHaveLength(1);
  ipvs.close();
});
