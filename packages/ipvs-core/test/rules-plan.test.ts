import { AddressFamily, ForwardingMethod, Protocol, TunnelType, type DestinationSettings, type ServiceKey, type ServiceSettings } from './internals';
import { destinationOptionsPool, planChanges, type RuleService, type Ruleset } from './internals';

const svc = (address: string, port = 80): ServiceKey => ({ family: AddressFamily.IPv4, protocol: Protocol.TCP, address, port });
const opts = (scheduler = 'wlc', extra: Partial<ServiceSettings> = {}): ServiceSettings => ({ scheduler, timeout: 0, netmask: '255.255.255.255', flags: 0, ...extra });
const dopts = (weight = 1, forwarding = ForwardingMethod.DirectRoute): DestinationSettings => ({
  forwarding, weight, upperThreshold: 0, lowerThreshold: 0, tunnelType: TunnelType.IPIP, tunnelPort: 0, tunnelFlags: 0,
});
const dest = (address: string, weight = 1) => ({ key: { address, port: 80, family: AddressFamily.IPv4 }, options: dopts(weight) });
const service = (address: string, scheduler: string, dests: string[]): RuleService => ({ key: svc(address), options: opts(scheduler), destinations: dests.map((d) => dest(d)) });

describe('planChanges', () => {
  const current: Ruleset = { services: [service('10.0.0.1', 'rr', ['10.1.0.1', '10.1.0.2']), service('10.0.0.2', 'wlc', ['10.1.0.3'])] };

  test('the same table needs no change', () => {
    const plan = planChanges(current, current);
    expect(plan.operations).toEqual([]);
  });

  test('HASHED in the kernel flags is not a difference', () => {
    const hashed: Ruleset = { services: current.services.map((s) => ({ ...s, options: { ...s.options, flags: s.options.flags | 0x2 } })) };
    expect(planChanges(hashed, current).operations).toEqual([]);
  });

  test('adds, edits in place and deletes exactly what differs, deletions first', () => {
    const desired: Ruleset = {
      services: [
        { ...service('10.0.0.1', 'wrr', ['10.1.0.1', '10.1.0.9']), destinations: [dest('10.1.0.1', 5), dest('10.1.0.9')] },
        service('10.0.0.3', 'sh', ['10.1.0.4']),
      ],
    };
    const plan = planChanges(current, desired);
    expect(plan.operations.map((o) => o.op)).toEqual([
      'deleteDestination', // 10.1.0.2 of 10.0.0.1
      'deleteService', // 10.0.0.2
      'editService', // 10.0.0.1 rr -> wrr
      'editDestination', // 10.1.0.1 weight 5
      'addDestination', // 10.1.0.9
      'addService', // 10.0.0.3
      'addDestination',
    ]);
    expect(plan.summary).toEqual({ servicesAdded: 1, servicesEdited: 1, servicesDeleted: 1, destinationsAdded: 2, destinationsEdited: 1, destinationsDeleted: 1 });
  });

  test('fwmark services are matched by mark and family', () => {
    const v4: RuleService = { key: { family: AddressFamily.IPv4, fwmark: 7 }, options: opts(), destinations: [] };
    const v6: RuleService = { key: { family: AddressFamily.IPv6, fwmark: 7 }, options: opts('wlc', { netmask: 128 }), destinations: [] };
    expect(planChanges({ services: [v4] }, { services: [v4, v6] }).operations.map((o) => o.op)).toEqual(['addService']);
  });

  test('a desired table that lists a service twice is rejected', () => {
    expect(() => planChanges({ services: [] }, { services: [current.services[0]!, current.services[0]!] })).toThrow(/twice/);
  });
});

describe('destinationOptionsPool', () => {
  test('equal settings give one frozen object, any differing field another', () => {
    const sharedDestinationOptions = destinationOptionsPool();
    const a = sharedDestinationOptions(dopts(3));
    expect(sharedDestinationOptions(dopts(3))).toBe(a);
    expect(a).toEqual(dopts(3));
    expect(Object.isFrozen(a)).toBe(true);
    const fields: Array<Partial<DestinationSettings>> = [
      { forwarding: ForwardingMethod.Masquerade }, { weight: 4 }, { upperThreshold: 1 }, { lowerThreshold: 1 },
      { tunnelType: TunnelType.GUE }, { tunnelPort: 6080 }, { tunnelFlags: 1 },
    ];
    for (const change of fields) {
      const other = sharedDestinationOptions({ ...dopts(3), ...change });
      expect(other).not.toBe(a);
      expect(other).toEqual({ ...dopts(3), ...change });
      expect(sharedDestinationOptions({ ...dopts(3), ...change })).toBe(other);
    }
    // values outside the kernel's ranges are not mistaken for other settings
    expect(sharedDestinationOptions(dopts(0, 8 as ForwardingMethod))).not.toBe(sharedDestinationOptions(dopts(1, ForwardingMethod.Masquerade)));
    expect(sharedDestinationOptions(dopts(1.5, ForwardingMethod.DirectRoute))).not.toBe(sharedDestinationOptions(dopts(1, 7 as ForwardingMethod)));
  });
});
