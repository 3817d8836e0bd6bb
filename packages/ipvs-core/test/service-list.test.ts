/**
 * The service list stays right while the kernel's shared service table changes under a multi-part
 * dump: repeats are dropped, and a multi-part dump is repeated until two agree.
 */
import { AddressFamily, IpvsError, Protocol, type Service } from '../src';
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

const addresses = (services: Service[]) => services.map((s) => (s.key as { address: string }).address);

describe('readServiceList', () => {
  test('a dump in one part is read once; repeats are dropped', async () => {
    const source = dumps([[1, 2, 2, 3], 1]);
    expect(addresses(await readServiceList(source.next))).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(source.count()).toBe(1);
  });

  test('a multi-part dump that skipped a service is read again until two dumps agree', async () => {
    const source = dumps([[1, 3], 2], [[1, 2, 3], 2], [[3, 2, 1, 1], 3]);
    expect(addresses(await readServiceList(source.next))).toEqual(['10.0.0.3', '10.0.0.2', '10.0.0.1']);
    expect(source.count()).toBe(3);
  });

  test('a table that never holds still fails with EAGAIN after a bounded number of dumps', async () => {
    let n = 0;
    const restless = async (): Promise<ServiceDump> => ({ services: [service(1), service(10 + n++)], parts: 2 });
    const error = await readServiceList(restless).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IpvsError);
    expect((error as IpvsError).code).toBe('EAGAIN');
    expect((error as IpvsError).message).toBe('The service table kept changing while it was read; try again');
    expect(n).toBe(MAX_SERVICE_DUMPS);
  });
});
