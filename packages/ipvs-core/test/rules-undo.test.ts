/**
 * The undo of a failed transaction: random tables and random change sets (some refused by the fake
 * kernel) always end with the table exactly as before, whatever the kernel carried out, and services
 * the transaction did not touch are left alone.
 */
import {
  AddressFamily, applyAllOrNothing, FakeKernel, ForwardingMethod, needsPriorState, openFakeIpvs, planUndo, priorStateOf,
  Protocol, readPriorState, readRuleset, TunnelType, type DestinationSettings, type Operation, type RuleService, type Ruleset,
  type ServiceKey,
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
      // half the rounds read only the services the operations edit or delete, as restore does
      const prior = round % 2 ? priorStateOf(before) : await readPriorState(ipvs, operations.filter(needsPriorState).map((op) => op.service));
      const result = await applyAllOrNothing(ipvs, prior, operations);
      if (!result.ok) {
        refused++;
        expect({ round, operations, errors: result.rollbackErrors.map((e) => e.message) }).toEqual({ round, operations, errors: [] });
        expect(sorted(await readRuleset(ipvs))).toEqual(sorted(before));
      }
      ipvs.close();
    }
    expect(refused).toBeGreaterThan(200);
  });

  test('services the transaction did not touch are left as they are, even if they changed meanwhile', async () => {
    const { kernel, ipvs } = await kernelWith([{ key: serviceKey(1), options: serviceOptions('rr'), destinations: [] }]);
    const before = await readRuleset(ipvs);
    // another program adds a service after the table was read
    await ipvs.addService(serviceKey(9), serviceOptions('wlc'));
    const result = await applyAllOrNothing(ipvs, before, [
      { op: 'addService', service: serviceKey(2), options: serviceOptions('rr') },
      { op: 'addService', service: serviceKey(1), options: serviceOptions('rr') }, // exists: EEXIST
    ]);
    expect(result.ok).toBe(false);
    expect(kernel.services().map((s) => ('address' in s.key ? s.key.address : '')).sort()).toEqual(['10.0.0.1', '10.0.0.9']);
  });

  test('the undo of a deleted service re-adds it and its real servers, oldest first', () => {
    const key = serviceKey(1);
    const was: RuleService = { key, options: serviceOptions('rr'), destinations: [{ key: destKey(2), options: options(2) }, { key: destKey(1), options: options(1) }] };
    const undo = planUndo(priorStateOf({ services: [was] }), [{ op: 'deleteService', service: key }], ['done']);
    expect(undo.problems).toEqual([]);
    expect(undo.operations).toEqual([
      { op: 'addService', service: key, options: was.options },
      { op: 'addDestination', service: key, destination: destKey(1), options: options(1) },
      { op: 'addDestination', service: key, destination: destKey(2), options: options(2) },
    ]);
  });

  test('a service added by the batch is deleted once, whatever was done to its real servers', () => {
    const key = serviceKey(3);
    const undo = planUndo(priorStateOf({ services: [] }), [
      { op: 'addService', service: key, options: serviceOptions('rr') },
      { op: 'addDestination', service: key, destination: destKey(1), options: options(1) },
      { op: 'editDestination', service: key, destination: destKey(1), options: options(4) },
      { op: 'addDestination', service: key, destination: destKey(2), options: options(1) },
    ], ['done', 'done', 'done', 'refused']);
    expect(undo.operations).toEqual([{ op: 'deleteService', service: key }]);
  });

  test('unanswered requests and missing prior state are reported, not guessed', () => {
    const undo = planUndo(priorStateOf({ services: [] }), [
      { op: 'editService', service: serviceKey(1), options: serviceOptions('sh') },
      { op: 'addService', service: serviceKey(2), options: serviceOptions('rr') },
    ], ['done', 'unknown']);
    expect(undo.operations).toEqual([]);
    expect(undo.problems).toEqual([
      'the kernel did not answer 1 request(s); they may have been applied and were not undone',
      'service TCP 10.0.0.1:80 was changed but its state before is unknown',
    ]);
  });
});
