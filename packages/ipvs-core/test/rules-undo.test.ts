/**
 * The undo of a failed transaction: random tables and random change sets (some refused by the fake
 * kernel) always end with the table exactly as before, whatever the kernel carried out, and services
 * the transaction did not touch are left alone. The undo is planned from differences (pure).
 */
import {
  AddressFamily, applyAllOrNothing, differences, FakeKernel, ForwardingMethod, openFakeIpvs, planRestore, Protocol, readRuleset,
  TunnelType, type DestinationSettings, type Operation, type PriorState, type RuleService, type Ruleset, type ServiceKey,
} from './internals';
import { random } from './support';

const rng = random(2026);

function options(weight: number, lowerThreshold = 0): DestinationSettings {
  return { forwarding: ForwardingMethod.Masquerade, weight, upperThreshold: 10, lowerThreshold, tunnelType: TunnelType.IPIP, tunnelPort: 0, tunnelFlags: 0 };
}

const serviceKey = (n: number): ServiceKey => ({ family: AddressFamily.IPv4, protocol: Protocol.TCP, address: `10.0.0.${n}`, port: 80 });
const destKey = (n: number) => ({ family: AddressFamily.IPv4, address: `10.1.0.${n}`, port: 80 });
const serviceOptions = (scheduler: string) => ({ scheduler, timeout: 0, netmask: '255.255.255.255', flags: 0 });

/** Real servers sorted by address: the fake kernel (like the real one) lists a re-added one first. */
const addressOf = (s: RuleService): string => ('address' in s.key ? s.key.address : '');

function sorted(table: Ruleset): Ruleset {
  const services = table.services.map((s) => ({ ...s, destinations: [...s.destinations].sort((a, b) => a.key.address.localeCompare(b.key.address)) }));
  return { services: services.sort((a, b) => addressOf(a).localeCompare(addressOf(b))) };
}

function randomTable(): RuleService[] {
  const services: RuleService[] = [];
  for (let n = 1; n <= 6; n++) {
    if (rng.bool()) continue;
    const destinations = [];
    for (let d = 1; d <= 5; d++) if (rng.bool()) destinations.push({ key: destKey(d), options: options(rng.int(0, 9)) });
    services.push({ key: serviceKey(n), options: serviceOptions(rng.pick(['rr', 'wlc'])), destinations });
  }
  return services;
}

/** Any operation on a small key space: many are refused (missing, existing, or ERANGE thresholds). */
function randomOperation(): Operation {
  const service = serviceKey(rng.int(1, 7));
  const destination = destKey(rng.int(1, 6));
  const opts = options(rng.int(0, 9), rng.int(0, 20) === 0 ? 50 : 0); // lower threshold above upper: ERANGE
  switch (rng.int(0, 5)) {
    case 0: return { op: 'addService', service, options: serviceOptions(rng.pick(['rr', 'sh', 'wlc'])) };
    case 1: return { op: 'editService', service, options: serviceOptions(rng.pick(['rr', 'sh', 'wlc'])) };
    case 2: return { op: 'deleteService', service };
    case 3: return { op: 'addDestination', service, destination, options: opts };
    case 4: return { op: 'editDestination', service, destination, options: opts };
    default: return { op: 'deleteDestination', service, destination };
  }
}

async function kernelWith(services: RuleService[]) {
  const kernel = new FakeKernel();
  const ipvs = await openFakeIpvs(kernel);
  const loaded = await ipvs.batch(services.flatMap((s): Operation[] => [
    { op: 'addService', service: s.key, options: s.options },
    ...[...s.destinations].reverse().map((d): Operation => ({ op: 'addDestination', service: s.key, destination: d.key, options: d.options })),
  ]));
  expect(loaded.every((r) => r.ok)).toBe(true);
  return { kernel, ipvs };
}

describe('undo of a failed transaction', () => {
  test('300 random tables and change sets: refused somewhere means the table is exactly as before', async () => {
    let refused = 0;
    for (let round = 0; round < 300; round++) {
      const { ipvs } = await kernelWith(randomTable());
      const before = await readRuleset(ipvs);
      const operations = Array.from({ length: rng.int(1, 25) }, randomOperation);
      // half the rounds give the table just read (as apply does), half let the transaction look up what it touches (as restore does)
      const result = await applyAllOrNothing(ipvs, operations, round % 2 ? { table: before } : {});
      if (!result.ok) {
        refused++;
        expect(result.reason).toBe('refused');
        expect({ round, operations, rollback: result.rollback }).toEqual({ round, operations, rollback: { complete: true, remaining: [], undone: expect.any(Number), errors: [] } });
        expect(result.counts.unknown).toBe(0);
        expect(sorted(await readRuleset(ipvs))).toEqual(sorted(before));
      }
      ipvs.close();
    }
    expect(refused).toBeGreaterThan(200);
  }, 60_000);

  test('services the transaction did not touch are left as they are, even if they changed meanwhile', async () => {
    const { kernel, ipvs } = await kernelWith([{ key: serviceKey(1), options: serviceOptions('rr'), destinations: [] }]);
    const before = await readRuleset(ipvs);
    // another program adds a service after the table was read
    await ipvs.addService(serviceKey(9), serviceOptions('wlc'));
    const result = await applyAllOrNothing(ipvs, [
      { op: 'addService', service: serviceKey(2), options: serviceOptions('rr') },
      { op: 'addService', service: serviceKey(1), options: serviceOptions('rr') }, // exists: EEXIST
    ], { table: before });
    expect(result.ok).toBe(false);
    expect(kernel.services().map((s) => ('address' in s.key ? s.key.address : '')).sort()).toEqual(['10.0.0.1', '10.0.0.9']);
  });

  test('a service the table given missed (a dump can, while other namespaces change theirs) is looked up, not assumed absent', async () => {
    const existing: RuleService = { key: serviceKey(1), options: serviceOptions('sh'), destinations: [{ key: destKey(1), options: options(3) }] };
    const other: RuleService = { key: serviceKey(5), options: serviceOptions('rr'), destinations: [] };
    const { kernel, ipvs } = await kernelWith([existing, other]);
    const result = await applyAllOrNothing(ipvs, [
      { op: 'addService', service: serviceKey(2), options: serviceOptions('rr') },
      { op: 'addService', service: serviceKey(1), options: serviceOptions('rr') }, // exists: EEXIST
    ], { table: { services: [other] } });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.rollback.complete).toBe(true);
    expect(kernel.services().map((s) => [('address' in s.key ? s.key.address : ''), s.scheduler]).sort()).toEqual([['10.0.0.1', 'sh'], ['10.0.0.5', 'rr']]);
    expect(kernel.destinations(serviceKey(1)).map((d) => d.weight)).toEqual([3]);
  });

  test('the undo of a deleted service re-adds it and its real servers, oldest first', () => {
    const key = serviceKey(1);
    const was: RuleService = { key, options: serviceOptions('rr'), destinations: [{ key: destKey(2), options: options(2) }, { key: destKey(1), options: options(1) }] };
    const prior: PriorState = { services: [was], absent: [], wholeTable: false };
    const undo = planRestore(differences(prior, { services: [], absent: [key], wholeTable: false }));
    expect(undo.operations).toEqual([
      { op: 'addService', service: key, options: was.options },
      { op: 'addDestination', service: key, destination: destKey(1), options: options(1) },
      { op: 'addDestination', service: key, destination: destKey(2), options: options(2) },
    ]);
  });

  test('what exists and did not is deleted once; settings are set back; deletions come first', () => {
    const kept: RuleService = { key: serviceKey(1), options: serviceOptions('rr'), destinations: [{ key: destKey(1), options: options(1) }, { key: destKey(2), options: options(2) }] };
    const prior: PriorState = { services: [kept], absent: [serviceKey(3)], wholeTable: false, timeouts: { tcp: 900, tcpFin: 120, udp: 300 } };
    const now: PriorState = {
      services: [
        { key: serviceKey(3), options: serviceOptions('rr'), destinations: [{ key: destKey(1), options: options(4) }] },
        { ...kept, options: serviceOptions('sh'), destinations: [{ key: destKey(3), options: options(1) }, { key: destKey(1), options: options(7) }] },
      ],
      absent: [], wholeTable: false, timeouts: { tcp: 10, tcpFin: 120, udp: 300 },
    };
    const found = differences(prior, now);
    expect(found.map((d) => d.kind)).toEqual(['extra-service', 'service-settings', 'extra-destination', 'missing-destination', 'destination-settings', 'timeouts']);
    expect(planRestore(found)).toEqual({
      operations: [
        { op: 'deleteService', service: serviceKey(3) },
        { op: 'deleteDestination', service: serviceKey(1), destination: destKey(3) },
        { op: 'editService', service: serviceKey(1), options: serviceOptions('rr') },
        { op: 'editDestination', service: serviceKey(1), destination: destKey(1), options: options(1) },
        { op: 'addDestination', service: serviceKey(1), destination: destKey(2), options: options(2) },
      ],
      timeouts: { tcp: 900, tcpFin: 120, udp: 300 },
    });
    expect(differences(prior, prior)).toEqual([]);
  });
});
