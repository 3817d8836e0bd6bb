import { AddressFamily, Protocol, type BlockingReads, type Destination, type IpvsApi, type Service, type ServiceKey } from '@tsipvs/ipvs-core';
import { openFakeIpvs } from '@tsipvs/ipvs-core/testing';
import { writeServiceBlocks, type BlockFormat } from '../src/commands/list';

const addressOf = (key: ServiceKey | Service): string => { const k = 'key' in key ? key.key : key; return 'address' in k ? k.address : ''; };
const service = (n: number): ServiceKey => ({ family: AddressFamily.IPv4, protocol: Protocol.TCP, address: `192.0.2.${n}`, port: 80 });

/** A fake kernel's table, and the same table served by a blocking reader made of what it listed. */
async function twoClients(): Promise<{ api: IpvsApi; blocking: IpvsApi; services: Service[]; visited: string[] }> {
  const api = await openFakeIpvs();
  for (const n of [3, 1, 2]) {
    await api.addService(service(n));
    for (const host of [9, 200, 10, 1]) await api.addDestination(service(n), { family: AddressFamily.IPv4, address: `10.0.${n}.${host}`, port: 80 });
  }
  const services = await api.getServices();
  const table = new Map<Service, Destination[]>();
  for (const s of services) table.set(s, await api.getDestinations(s.key));
  const visited: string[] = [];
  const reads: BlockingReads = {
    getServices: () => services,
    visitDestinations: (key, visit) => {
      visited.push(addressOf(key));
      if (addressOf(key) === '192.0.2.1') throw new Error('dump failed');
      for (const d of [...table].find(([s]) => addressOf(s) === addressOf(key))![1]) visit(d);
    },
  };
  const asyncOnly = (): Promise<void> => Promise.reject(new Error('the blocking client must not use the promise-based call'));
  const blocking = Object.create(api, { blocking: { value: reads }, visitDestinations: { value: asyncOnly } }) as IpvsApi;
  return { api, blocking, services, visited };
}

const format = (sorted: boolean): BlockFormat => ({
  head: (s) => `S ${addressOf(s)}\n`,
  line: (d, s) => `  ${d.key.address} of ${addressOf(s)}\n`,
  sorted,
});

test.each([false, true])('a blocking client lists the same blocks as the promise-based path (sorted: %s)', async (sorted) => {
  const { api, blocking, services } = await twoClients();
  const ok = services.filter((s) => addressOf(s) !== '192.0.2.1');
  let viaPromises = '';
  let viaBlocking = '';
  await writeServiceBlocks(api, ok, format(sorted), (text) => { viaPromises += text; });
  await writeServiceBlocks(blocking, ok, format(sorted), (text) => { viaBlocking += text; });
  expect(viaBlocking).toBe(viaPromises);
  expect(viaBlocking.split('\n')).toHaveLength(2 * 5 + 1);
  const first = viaBlocking.split('\n').slice(1, 5).map((l) => l.trim().split(' ')[0]);
  const net = `10.0.${addressOf(ok[0]!).split('.')[3]}`;
  const hosts = sorted ? [1, 9, 10, 200] : [1, 10, 200, 9]; // ipvsadm's order, or the kernel's (newest first)
  expect(first).toEqual(hosts.map((h) => `${net}.${h}`));
  api.close();
});

test('a blocking dump that fails stops the listing there, the blocks before it written', async () => {
  const { api, blocking, services, visited } = await twoClients();
  let written = '';
  await expect(writeServiceBlocks(blocking, services, format(false), (text) => { written += text; })).rejects.toThrow('dump failed');
  const failedAt = services.findIndex((s) => addressOf(s) === '192.0.2.1');
  expect(visited).toEqual(services.slice(0, failedAt + 1).map(addressOf));
  expect(written.match(/^S /gm) ?? []).toHaveLength(failedAt);
  api.close();
});
