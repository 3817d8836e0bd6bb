/**
 * The service list stays right while the kernel's shared service table changes under a multi-part
 * dump: repeats are dropped, and multi-part dumps are repeated and merged, never showing a deleted one.
 */
import { AddressFamily, codec, parseMessages, Protocol, serviceId, serviceReply, ZERO_STATS, type Service, type ServiceKey } from './internals';
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
      dumpKeys: async () => {
        const d = await dump();
        return { keys: d.services.map((s) => s.key), parts: d.parts };
      },
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
    const { sources: s, lookedUp } = sources(source.next, [service(2)]);
    expect(addresses(await readServiceList(s))).toEqual(['10.0.0.1', '10.0.0.3', '10.0.0.2']);
    expect(source.count()).toBe(3);
    // the later dumps are read for identities only: the one the first dump missed is looked up
    expect(lookedUp).toEqual(['6 10.0.0.2 80']);
  });

  test('two dumps that agree cost no lookup', async () => {
    const source = dumps([[1, 2, 3], 4], [[3, 1, 2], 4]);
    const { sources: s, lookedUp } = sources(source.next);
    expect(addresses(await readServiceList(s))).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(source.count()).toBe(2);
    expect(lookedUp).toEqual([]);
  });

  test('dumps that keep differing are merged; services the last one missed are looked up', async () => {
    // 4 is skipped by every other dump, 5 was deleted after the first, 6 was skipped by the first
    const source = dumps([[1, 2, 4, 5], 2], [[1, 2, 3, 6], 2], [[1, 2, 3, 4, 6], 2], [[1, 2, 3, 6], 2]);
    const { sources: s, lookedUp } = sources(source.next, [service(4), service(3), service(6)]);
    expect(addresses(await readServiceList(s))).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.4', '10.0.0.3', '10.0.0.6']);
    // the last two dumps found nothing new: merged; what the last missed or the first lacked is looked up
    expect(source.count()).toBe(4);
    expect(lookedUp).toEqual(['6 10.0.0.4 80', '6 10.0.0.5 80', '6 10.0.0.3 80', '6 10.0.0.6 80']);
  });

  test('a table that never holds still is dumped a bounded number of times, then merged', async () => {
    let n = 0;
    const restless = async (): Promise<ServiceDump> => ({ services: [service(1), service(10 + n++)], parts: 2 });
    const { sources: s, lookedUp } = sources(restless, [service(1), service(10 + MAX_SERVICE_DUMPS - 1)]);
    expect(addresses(await readServiceList(s)).sort()).toEqual(['10.0.0.1', `10.0.0.${10 + MAX_SERVICE_DUMPS - 1}`]);
    expect(n).toBe(MAX_SERVICE_DUMPS);
    expect(lookedUp).toHaveLength(MAX_SERVICE_DUMPS);
  });
});

describe('ServiceKeyReader', () => {
  test('reads the identity a full decode gives, for address and firewall-mark services', () => {
    const reader = new codec.ServiceKeyReader();
    for (const s of [service(7), { ...service(1), key: { family: AddressFamily.IPv6, fwmark: 9 } }]) {
      const reply = serviceReply(1, { ...s, stats: ZERO_STATS });
      expect(reader.read(reply, 0, reply.length)).toEqual(codec.decodeService(parseMessages(reply)[0]!).key);
    }
  });
});
