import {
  AddressFamily, applyRuleset, FakeKernel, ForwardingMethod, openFakeIpvs, Protocol, readRuleset, TransactionError, TunnelType,
  type DestinationSettings, type RuleService, type Ruleset,
} from './internals';

const MASQ: DestinationSettings = {
  forwarding: ForwardingMethod.Masquerade, weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnelType: TunnelType.IPIP, tunnelPort: 0, tunnelFlags: 0,
};

function service(n: number, scheduler: string, servers: number[]): RuleService {
  return {
    key: { family: AddressFamily.IPv4, protocol: Protocol.TCP, address: `10.0.0.${n}`, port: 80 },
    options: { scheduler, timeout: 0, netmask: '255.255.255.255', flags: 0 },
    destinations: servers.map((s) => ({ key: { family: AddressFamily.IPv4, address: `10.1.${n}.${s}`, port: 80 }, options: { ...MASQ, weight: s } })),
  };
}

/** The table with real servers in address order: a rollback re-adds deleted ones, which the kernel lists first. */
async function sortedTable(ipvs: Parameters<typeof readRuleset>[0]): Promise<Ruleset> {
  const table = await readRuleset(ipvs);
  return { services: table.services.map((s) => ({ ...s, destinations: [...s.destinations].sort((a, b) => a.key.address.localeCompare(b.key.address)) })) };
}

async function open() {
  const kernel = new FakeKernel();
  const ipvs = await openFakeIpvs(kernel);
  return { kernel, ipvs };
}

describe('applyRuleset', () => {
  const start: Ruleset = { services: [service(1, 'rr', [1, 2]), service(2, 'wlc', [1])] };

  test('reaches the desired table, then has nothing left to do', async () => {
    const { ipvs } = await open();
    await applyRuleset(ipvs, start);
    const desired: Ruleset = { services: [service(1, 'wrr', [2, 3]), service(3, 'sh', [1])] };
    const outcome = await applyRuleset(ipvs, desired);
    expect(outcome.applied).toBe(true);
    expect(outcome.plan.summary).toEqual({ servicesAdded: 1, servicesEdited: 1, servicesDeleted: 1, destinationsAdded: 2, destinationsEdited: 0, destinationsDeleted: 1 });
    const again = await applyRuleset(ipvs, desired);
    expect(again.plan.operations).toEqual([]);
    expect(again.applied).toBe(false);
  });

  test('dry run changes nothing', async () => {
    const { ipvs } = await open();
    await applyRuleset(ipvs, start);
    const before = await readRuleset(ipvs);
    const outcome = await applyRuleset(ipvs, { services: [] }, { dryRun: true });
    expect(outcome.plan.summary.servicesDeleted).toBe(2);
    expect(await readRuleset(ipvs)).toEqual(before);
  });

  test('a refusal in the middle undoes every change and names the refused operation', async () => {
    const { ipvs } = await open();
    await applyRuleset(ipvs, start);
    const before = await sortedTable(ipvs);
    const bad = service(4, 'rr', [1]);
    const desired: Ruleset = {
      services: [
        service(1, 'wrr', [2, 3]),
        // a lower threshold above the upper one: the fake kernel answers ERANGE as the real one does
        { ...bad, destinations: [{ ...bad.destinations[0]!, options: { ...MASQ, upperThreshold: 1, lowerThreshold: 5 } }] },
        service(5, 'rr', [1, 2]),
      ],
    };
    const failure = await applyRuleset(ipvs, desired).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TransactionError);
    const te = failure as TransactionError;
    expect(te.failure.error).toMatchObject({ code: 'ERANGE', operation: 'addDestination' });
    expect(te.message).toContain('real server 10.1.4.1:80 of service TCP 10.0.0.4:80');
    expect(te.operation).toMatchObject({ op: 'addDestination', destination: { address: '10.1.4.1' } });
    expect(te.failure.reason).toBe('refused');
    expect(te.failure.rollback).toMatchObject({ complete: true, remaining: [], errors: [] });
    expect(te.message).toMatch(/; rolled back, the table is as before$/);
    expect(await sortedTable(ipvs)).toEqual(before);
  });
});
