/** The intent journal: written before a bulk change, read back after a crash, rolled back to exactly the prior table. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AddressFamily, applyRuleset, FakeKernel, ForwardingMethod, JournalError, openFakeIpvs, planChanges, prepareTransaction, Protocol, readIntent,
  readRuleset, removeIntent, restorePrior, TransactionScope, TunnelType, writeIntent,
  type ChangeIntent, type DestinationSettings, type Operation, type RuleService, type Ruleset,
} from './internals';

const ROUTE: DestinationSettings = {
  forwarding: ForwardingMethod.DirectRoute, weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnelType: TunnelType.IPIP, tunnelPort: 0, tunnelFlags: 0,
};

function service(n: number, scheduler: string, servers: number[]): RuleService {
  return {
    key: { family: AddressFamily.IPv4, protocol: Protocol.TCP, address: `10.0.0.${n}`, port: 80 },
    options: { scheduler, timeout: 0, netmask: '255.255.255.255', flags: 0 },
    destinations: servers.map((s) => ({ key: { family: AddressFamily.IPv4, address: `10.1.${n}.${s}`, port: 80 }, options: { ...ROUTE, weight: s } })),
  };
}

const sorted = (table: Ruleset): Ruleset => ({
  services: [...table.services]
    .map((s) => ({ ...s, destinations: [...s.destinations].sort((a, b) => a.key.address.localeCompare(b.key.address)) }))
    .sort((a, b) => JSON.stringify(a.key).localeCompare(JSON.stringify(b.key))),
});

describe('the intent journal', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsipvs-journal-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a change that died after any number of its operations is put back from the journal alone', async () => {
    const start: Ruleset = { services: [service(1, 'rr', [1, 2]), service(2, 'wlc', [1]), service(5, 'sh', [1])] };
    const desired: Ruleset = { services: [service(1, 'wrr', [2, 3]), service(3, 'rr', [1, 2]), service(5, 'sh', [1])] };
    const plan = planChanges(start, desired);
    for (let done = 0; done <= plan.operations.length; done++) {
      const ipvs = await openFakeIpvs(new FakeKernel());
      await applyRuleset(ipvs, start);
      const before = sorted(await readRuleset(ipvs));
      const scope = new TransactionScope();
      for (const op of plan.operations) scope.add(op);
      const transaction = await prepareTransaction(ipvs, plan.operations, { scope });
      const file = path.join(dir, 'j');
      writeIntent(file, { command: 'test', pid: 1, startedAt: '2026-11-29T00:00:00.000Z', prior: transaction.prior });
      // the "crash": the first `done` operations reached the kernel, nothing was undone
      await ipvs.batch(plan.operations.slice(0, done) as Operation[]);
      const recovered = readIntent(file)!;
      expect(recovered.prior).toEqual(JSON.parse(JSON.stringify(transaction.prior)));
      const report = await restorePrior(ipvs, recovered.prior);
      expect(report.complete).toBe(true);
      expect(sorted(await readRuleset(ipvs))).toEqual(before);
      removeIntent(file);
      expect(readIntent(file)).toBeUndefined();
      ipvs.close();
    }
  });

  test('a damaged or foreign file is refused, naming it', () => {
    const file = path.join(dir, 'j');
    fs.writeFileSync(file, '{"format":"tsipvs intent journal 1","command":"x"');
    expect(() => readIntent(file)).toThrow(JournalError);
    expect(() => readIntent(file)).toThrow(`${file}: is not valid JSON`);
    const valid = { format: 'tsipvs intent journal 1', command: 'x', pid: 1, startedAt: 'x', prior: { services: [], absent: [], wholeTable: false } };
    fs.writeFileSync(file, JSON.stringify(valid));
    expect(readIntent(file)?.command).toBe('x');
    fs.writeFileSync(file, JSON.stringify({ ...valid, prior: { ...valid.prior, absent: [{ family: 2 }] } }));
    expect(() => readIntent(file)).toThrow(`${file}: is not a tsipvs intent journal (prior.absent)`);
    fs.writeFileSync(file, JSON.stringify({ rm: '-rf /' }));
    expect(() => readIntent(file)).toThrow('is not a tsipvs intent journal (format undefined)');
  });

  test('the file is private to root and replaced atomically', () => {
    const file = path.join(dir, 'sub', 'j');
    const prior = { services: [], absent: [], wholeTable: true };
    writeIntent(file, { command: 'a', pid: 1, startedAt: 'x', prior });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    writeIntent(file, { command: 'b', pid: 2, startedAt: 'y', prior } satisfies ChangeIntent);
    expect(readIntent(file)?.command).toBe('b');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['j']);
  });
});
