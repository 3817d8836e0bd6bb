/**
 * The service list stays right while the kernel's shared service table changes under a multi-part
 * dump: repeats are dropped, and multi-part dumps are repeated and merged, never showing a deleted one.
 */
import { AddressFamily, Protocol, serviceId, type Service, type ServiceKey } from '../src';
import { MAX_SERVICE_DUMPS, readServiceList, type ServiceDump } from '../src/service-list';

function service(n: number): Service {
  return {
    key: { family: AddressFamily.IPv4, protocol: Protocol.TCP, address: `10.0.0.${n}`, port: 80 },
    scheduler: 'rr', timeout: 0, netmask: '255.255.255.255', flags: 0,
    stats: {} as Service['stats'],
  };
}

function dumps(...answers: Array<[number[], number]>): { next: () => Promise<ServiceDump>; count: () => number } {
  let calls = 0;
  return {
    next: async () => {
      const [numbers, parts] = answers[Math.min(calls++, answers.length - 1)]!;
      return { services: numbers.map(service), parts };
    },
    count: () => calls,
  };
}

const addresses = (services: Service[]) => services.map((s) => ('address' in s.key ? s.key.address : `fwm ${s.key.fwmark}`));

/** Sources over a kernel where only `existing` can be looked up. */
function sources(dump: () => Promise<ServiceDump>, existing: Service[] = []) {
  const lookedUp: string[] = [];
  return {
    lookedUp,
    sources: {
      dump,
      lookup: async (key: ServiceKey) => {
        lookedUp.push(serviceId(key));
        return existing.find((s) => serviceId(s.key) === serviceId(key));
      },
    },
  };
}

describe('readServiceList', () => {
  test('a dump in one part is read once; repeats are dropped', async () => {
    const source = dumps([[1, 2, 2, 3], 1]);
    const { sources: s, lookedUp } = sources(source.next);
    expect(addresses(await readServiceList(s))).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(source.count()).toBe(1);
    expect(lookedUp).toEqual([]);
  });

  test('a multi-part dump that skipped a service is read again until two dumps agree', async () => {
    const source = dumps([[1, 3], 2], [[1, 2, 3], 2], [[3, 2, 1, 1], 3]);
    expect(addresses(await readServiceList(sources(source.next).sources))).toEqual(['10.0.0.3', '10.0.0.2', '10.0.0.1']);
    expect(source.count()).toBe(3);
  });

  test('dumps that keep differing are merged; services the last one missed are looked up', async () => {
    // 4 is skipped by every other dump, 5 was deleted after the first, 6 was skipped by the first
    const source = dumps([[1, 2, 4, 5], 2], [[1, 2, 3, 6], 2], [[1, 2, 3, 4, 6], 2], [[1, 2, 3, 6], 2]);
    const { sources: s, lookedUp } = sources(source.next, [service(4)]);
    expect(addresses(await readServiceList(s)).sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.6']);
    // the last two dumps found nothing new: merged, and the two the last dump missed are looked up
    expect(source.count()).toBe(4);
    expect(lookedUp).toEqual(['6 10.0.0.4 80', '6 10.0.0.5 80']);
  });

  test('a table that never holds still is dumped a bounded number of times, then merged', async () => {
    let n = 0;
    const restless = async (): Promise<ServiceDump> => ({ services: [service(1), service(10 + n++)], parts: 2 });
    const { sources: s, lookedUp } = sources(restless, [service(1), service(10 + MAX_SERVICE_DUMPS - 1)]);
    expect(addresses(await readServiceList(s)).sort()).toEqual(['10.0.0.1', `10.0.0.${10 + MAX_SERVICE_DUMPS - 1}`]);
    expect(n).toBe(MAX_SERVICE_DUMPS);
    expect(lookedUp).toHaveLength(MAX_SERVICE_DUMPS - 1);
  });
});
