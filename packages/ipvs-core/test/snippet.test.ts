/**
 * The library examples of README.md and docs/library.md, type-checked and run against the in-memory
 * fake IPVS (`openFakeIpvs()` where they call `openIpvs()`), and the table of defaults of
 * docs/library.md checked against what the fake kernel then holds.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  AddressFamily, ForwardingMethod, Protocol, ServiceFlags, TunnelType, type DestinationSettings, type ServiceSettings,
} from '../src';
import { FakeKernel, openFakeIpvs } from '../src/testing';

test('README: a service and a real server with the defaults', async () => {
  const ipvs = await openFakeIpvs();
  const key = { family: AddressFamily.IPv4, protocol: Protocol.TCP, address: '192.0.2.1', port: 80 };
  await ipvs.addService(key, { scheduler: 'rr' });
  await ipvs.addDestination(key, { family: AddressFamily.IPv4, address: '10.0.0.11', port: 80 }, { weight: 2 });
  expect(await ipvs.getServices()).toMatchObject([{ key, scheduler: 'rr' }]);
  ipvs.close();
});

test('docs/library.md: the opening example', async () => {
  const ipvs = await openFakeIpvs();
  try {
    const web = { family: AddressFamily.IPv4, protocol: Protocol.TCP, address: '10.0.0.1', port: 80 };
    await ipvs.addService(web, { scheduler: 'wrr' });
    await ipvs.addDestination(web, { family: AddressFamily.IPv4, address: '10.0.0.2', port: 80 }, {
      forwarding: ForwardingMethod.Masquerade, weight: 2,
    });
    expect(await ipvs.getDestinations(web)).toMatchObject([{ forwarding: ForwardingMethod.Masquerade, weight: 2 }]);
  } finally {
    ipvs.close();
  }
});

test('docs/library.md: the defaults table', async () => {
  const kernel = new FakeKernel();
  const ipvs = await openFakeIpvs(kernel);
  const v4 = { family: AddressFamily.IPv4, protocol: Protocol.TCP, address: '10.0.0.1', port: 80 };
  const v6 = { family: AddressFamily.IPv6, protocol: Protocol.TCP, address: '2001:db8::1', port: 80 };
  const mark = { family: AddressFamily.IPv4, fwmark: 1 };
  await ipvs.addService(v4);
  await ipvs.addService(v6);
  await ipvs.addService(mark, { flags: ServiceFlags.Persistent });
  await ipvs.addDestination(v4, { family: AddressFamily.IPv4, address: '10.0.0.2', port: 80 });

  const service: ServiceSettings = { scheduler: 'wlc', flags: 0, timeout: 0, netmask: '255.255.255.255' };
  expect(await ipvs.getService(v4)).toMatchObject(service);
  expect((await ipvs.getService(v4)).persistenceEngine).toBeUndefined();
  expect(await ipvs.getService(v6)).toMatchObject({ ...service, netmask: 128 });
  expect(await ipvs.getService(mark)).toMatchObject({ ...service, flags: ServiceFlags.Persistent, timeout: 360 });
  const destination: DestinationSettings = {
    forwarding: ForwardingMethod.DirectRoute, weight: 1, upperThreshold: 0, lowerThreshold: 0,
    tunnelType: TunnelType.IPIP, tunnelPort: 0, tunnelFlags: 0,
  };
  expect(await ipvs.getDestinations(v4)).toMatchObject([destination]);
  ipvs.close();
});

test('docs/library.md: "Testing your code" is testing-entry.test.ts, with the package\'s import paths', () => {
  // this file runs from packages/ipvs-core/dist/test
  const read = (file: string) => readFileSync(path.resolve(__dirname, '../..', file), 'utf8');
  const section = read('../../docs/library.md').split('## Testing your code')[1]!;
  const example = /```ts\n([^]*?)```/.exec(section)![1];
  const test = read('test/testing-entry.test.ts');
  const asUser = test.slice(test.search(/^import /m))
    .replace("'../src'", "'@tsipvs/ipvs-core'")
    .replace("'../src/testing'", "'@tsipvs/ipvs-core/testing'");
  expect(example).toBe(asUser);
});
