/**
 * The transaction under every transport failure the fake socket can inject, in the middle of a batch:
 * whatever the kernel carried out, the table ends as before, read back, and the outcome of every change
 * is known-applied, known-refused, unknown (sent, no answer) or unsent. Also: a rollback that fails
 * reports exactly what is left; a stop (AbortSignal) rolls back; the prior state is data a journal can
 * keep and recover from.
 */
import {
  AddressFamily, applyAllOrNothing, constants, createFakeTransport, differences, FAULT_KINDS, FakeKernel, FaultPlan, ForwardingMethod,
  openFakeIpvs, openIpvs, planChanges, prepareTransaction, Protocol, readCurrentState, readRuleset, restorePrior, TunnelType,
  type Change, type DestinationSettings, type FaultKind, type IpvsApi, type Operation, type RuleService, type Ruleset,
  type ServiceKey, type TransactionResult,
} from './internals';

// the deadline of the fake transport: deadline faults wait for it, and a busy machine (a GC pause, other suites) must not miss it by accident
const TIMEOUT_MS = 250;

// the machine may be busy (other suites, VMs): generous limits per test, none of which is waited for when all goes well
jest.setTimeout(60_000);

const masq = (weight: number): DestinationSettings => ({
  forwarding: ForwardingMethod.Masquerade, weight, upperThreshold: 0, lowerThreshold: 0, tunnelType: TunnelType.IPIP, tunnelPort: 0, tunnelFlags: 0,
});
const serviceKey = (n: number): ServiceKey => ({ family: AddressFamily.IPv4, protocol: Protocol.TCP, address: `10.0.${n >> 8}.${n & 255}`, port: 80 });
const destKey = (n: number, d: number) => ({ family: AddressFamily.IPv4, address: `10.1.${n & 255}.${d}`, port: 80 });
const options = (scheduler: string) => ({ scheduler, timeout: 0, netmask: '255.255.255.255', flags: 0 });

function service(n: number, scheduler: string, servers: number, weight = 1): RuleService {
  return { key: serviceKey(n), options: options(scheduler), destinations: Array.from({ length: servers }, (_, d) => ({ key: destKey(n, d + 1), options: masq(weight + d) })) };
}

/** 20 services of 5 real servers. */
const START: Ruleset = { services: Array.from({ length: 20 }, (_, n) => service(n + 1, 'rr', 5)) };

/**
 * 3 services deleted, 4 edited, real servers deleted, edited and added in others, and 30 new services
 * of 8: about 300 changes, deletions first, so that a fault anywhere leaves every kind half done.
 */
function desiredTable(): Ruleset {
  const services: RuleService[] = [];
  for (const s of START.services.slice(3)) {
    const n = 'address' in s.key ? Number(s.key.address.split('.')[3]) : 0;
    if (n <= 7) services.push({ ...s, options: options('sh') });
    else if (n <= 12) services.push({ ...s, destinations: [...s.destinations.slice(1), { key: destKey(n, 9), options: masq(9) }] });
    else if (n <= 15) services.push({ ...s, destinations: s.destinations.map((d) => ({ ...d, options: masq(40) })) });
    else services.push(s);
  }
  for (let n = 100; n < 130; n++) services.push(service(n, 'wlc', 8, 2));
  return { services };
}

/** Real servers in address order: a real server put back is listed first by the kernel (see docs/reliability.md). */
function sorted(table: Ruleset): Ruleset {
  const byAddress = (a: { key: { address: string } }, b: { key: { address: string } }) => a.key.address.localeCompare(b.key.address, 'en', { numeric: true });
  return {
    services: table.services
      .map((s) => ({ ...s, destinations: [...s.destinations].sort(byAddress) }))
      .sort((a, b) => byAddress(a as never, b as never)),
  };
}

type Request = Parameters<FakeKernel['answer']>[0];

/**
 * The real client over the fake kernel (`openFakeIpvs`), START loaded, and the changes to the desired
 * table; `onRequest` sees each request before the kernel answers it.
 */
async function loaded(faults?: FaultPlan, onRequest?: (request: Request) => void): Promise<{ kernel: FakeKernel; ipvs: IpvsApi; before: Ruleset; operations: Operation[] }> {
  const kernel = new FakeKernel();
  const ipvs = onRequest
    ? await openIpvs({ transport: createFakeTransport((request) => { onRequest(request); return kernel.answer(request); }, { timeoutMs: TIMEOUT_MS, faults }) })
    : await openFakeIpvs(kernel, { timeoutMs: TIMEOUT_MS, ...(faults ? { faults } : {}) });
  const load = await applyAllOrNothing(ipvs, planChanges({ services: [] }, START).operations);
  expect(load.ok).toBe(true);
  const before = await readRuleset(ipvs);
  const operations = [...planChanges(before, desiredTable()).operations];
  return { kernel, ipvs, before, operations };
}

/** The faults of the brief, plus EMSGSIZE reported by the socket (npm `netlink`: a truncated datagram). */
const VARIANTS: ReadonlyArray<{ readonly name: string; readonly kind: FaultKind; readonly errno?: number }> = [
  ...FAULT_KINDS.map((kind) => ({ name: kind, kind })),
  { name: 'socket-error EMSGSIZE', kind: 'socket-error', errno: 90 },
];
/** Requests let through before the fault: the first datagram, its edges, and the middle and end of the batch. */
const POSITIONS = [0, 1, 37, 63, 64, 100, 128, 200, 290];

/** Every run of the table below, for the figures of docs/reliability.md (printed once at the end). */
const figures = new Map<string, { runs: number; applied: number; unknown: number; unsent: number; undone: number; asBefore: number }>();

afterAll(() => {
  const lines = [...figures].map(([name, f]) =>
    `${name.padEnd(22)} runs ${f.runs}: changes applied ${f.applied}, unknown ${f.unknown}, unsent ${f.unsent}; undone ${f.undone}; read back as before ${f.asBefore} of ${f.runs}`);
  process.stdout.write(`transaction faults:\n${lines.join('\n')}\n`);
});

function tally(name: string, result: TransactionResult): void {
  if (result.ok) return;
  const f = figures.get(name) ?? { runs: 0, applied: 0, unknown: 0, unsent: 0, undone: 0, asBefore: 0 };
  f.runs++;
  if (result.rollback.complete) f.asBefore++;
  f.applied += result.counts.applied;
  f.unknown += result.counts.unknown;
  f.unsent += result.counts.unsent;
  f.undone += result.rollback.undone;
  figures.set(name, f);
}

describe('a transport failure in the middle of a batch', () => {
  describe.each(VARIANTS)('$name', ({ name, kind, errno }) => {
    test.each(POSITIONS)('after %i requests: rolled back, the table exactly as before', async (after) => {
      const faults = new FaultPlan();
      const { kernel, ipvs, before, operations } = await loaded(faults);
      expect(operations.length).toBeGreaterThan(290);
      const transaction = await prepareTransaction(ipvs, operations);
      const sentBefore = kernel.received.length;
      faults.inject(kind, { after, ...(errno ? { errno } : {}) });
      const result = await transaction.run();
      expect(faults.struck).toEqual([{ kind, requests: expect.any(Number) }]);
      if (result.ok) throw new Error('the transaction cannot succeed through a fault');
      expect(result.reason).toBe('transport');
      expect(result.failures).toEqual([]);
      expect(result.error).toMatchObject({ name: 'IpvsTransportError' });
      const { applied, unknown, unsent, refused } = result.counts;
      expect(refused).toBe(0);
      expect(applied + unknown + unsent).toBe(operations.length);
      // the struck datagram (holding request after + 1) was sent and not answered; at most a window of requests was in flight
      expect(applied + unknown).toBeGreaterThanOrEqual(after + 1);
      expect(unknown).toBeGreaterThan(0);
      expect(unknown).toBeLessThanOrEqual(64);
      expect(result.outcome(result.index)).toBe('unknown');
      if (kind !== 'send-error') expect(kernel.received.length - sentBefore).toBeGreaterThan(applied); // the kernel carried out unanswered ones
      expect(result.rollback).toMatchObject({ complete: true, remaining: [], errors: [] });
      tally(name, result);
      expect(sorted(await readRuleset(ipvs))).toEqual(sorted(before));
      ipvs.close();
    });
  });
});

describe('transport failures during restore-like transactions', () => {
  test('with a flush: the whole table comes back', async () => {
    const faults = new FaultPlan();
    const { ipvs, before } = await loaded(faults);
    const changes: Change[] = [{ op: 'flush' }, ...planChanges({ services: [] }, desiredTable()).operations];
    const transaction = await prepareTransaction(ipvs, changes);
    expect(transaction.prior.wholeTable).toBe(true);
    faults.inject('enobufs', { after: 120 });
    const result = await transaction.run();
    expect(!result.ok && [result.reason, result.outcome(0), result.rollback.complete]).toEqual(['transport', 'applied', true]);
    tally('flush + enobufs', result);
    expect(sorted(await readRuleset(ipvs))).toEqual(sorted(before));
  });

  test('a refusal after a flush and --set: table and timeouts as before', async () => {
    const { ipvs, before } = await loaded();
    const changes: Change[] = [
      { op: 'zero' },
      { op: 'flush' },
      { op: 'setTimeouts', timeouts: { tcp: 10, tcpFin: 20, udp: 30 } },
      { op: 'addService', service: serviceKey(300), options: options('rr') },
      { op: 'addService', service: serviceKey(301), options: options('nosuch') }, // ENOENT
    ];
    const result = await applyAllOrNothing(ipvs, changes);
    if (result.ok) throw new Error('refused change applied');
    expect([result.reason, result.index, result.outcome(0), result.outcome(1), result.outcome(2), result.outcome(3)]).toEqual(['refused', 4, 'unsent', 'applied', 'applied', 'applied']);
    expect(result.rollback.complete).toBe(true);
    expect(sorted(await readRuleset(ipvs))).toEqual(sorted(before));
    expect(await ipvs.getTimeouts()).toEqual({ tcp: 900, tcpFin: 120, udp: 300 });
  });

  test('zeroing waits until everything else is done: a refusal leaves the counters as they were', async () => {
    const { kernel, ipvs } = await loaded();
    kernel.setStats(serviceKey(5), { connections: 42n });
    const refused = await applyAllOrNothing(ipvs, [
      { op: 'zero', service: serviceKey(5) },
      { op: 'editService', service: serviceKey(5), options: options('sh') },
      { op: 'editService', service: serviceKey(500), options: options('sh') }, // ESRCH
    ]);
    expect(!refused.ok && [refused.reason, refused.outcome(0), refused.outcome(1)]).toEqual(['refused', 'unsent', 'applied']);
    const connections = () => kernel.services().find((s) => 'address' in s.key && s.key.address === '10.0.0.5')?.stats.connections;
    expect(connections()).toBe(42n);
    expect(await applyAllOrNothing(ipvs, [{ op: 'zero', service: serviceKey(5) }, { op: 'editService', service: serviceKey(5), options: options('sh') }])).toEqual({ ok: true, applied: 2 });
    expect(connections()).toBe(0n);
  });

  test('a second failure during the rollback is retried on a new socket', async () => {
    const faults = new FaultPlan();
    const { ipvs, before, operations } = await loaded(faults);
    const transaction = await prepareTransaction(ipvs, operations);
    // the first strikes the batch; the second the rollback (its read-back of the ~55 touched services, or its undo)
    faults.inject('malformed-datagram', { after: 150 }).inject('deadline', { after: 230 });
    const result = await transaction.run();
    expect(faults.struck.map((f) => f.kind)).toEqual(['malformed-datagram', 'deadline']);
    expect(!result.ok && result.rollback).toMatchObject({ complete: true, remaining: [] });
    tally('two faults', result);
    expect(sorted(await readRuleset(ipvs))).toEqual(sorted(before));
  });
});

describe('many services touched: the service list is read first', () => {
  const bulk = (from: number, count: number): Operation[] => planChanges({ services: [] }, {
    services: Array.from({ length: count }, (_, i) => service(from + i, 'rr', 2)),
  }).operations as Operation[];
  const lookups = (kernel: FakeKernel, since: number): number =>
    kernel.received.slice(since).filter((m) => m.type === kernel.familyId && m.bytes[16] === constants.IpvsCommand.GetService && !(m.flags & 0x300)).length;

  test('into an empty table: nothing is looked up, and a fault is still rolled back exactly', async () => {
    const faults = new FaultPlan();
    const kernel = new FakeKernel();
    const ipvs = await openFakeIpvs(kernel, { timeoutMs: TIMEOUT_MS, faults });
    const since = kernel.received.length;
    const transaction = await prepareTransaction(ipvs, bulk(1000, 300));
    expect(lookups(kernel, since)).toBe(0);
    expect(transaction.prior.absent).toHaveLength(300);
    faults.inject('deadline', { after: 500 });
    const result = await transaction.run();
    expect(!result.ok && [result.reason, result.rollback.complete]).toEqual(['transport', true]);
    tally('bulk, empty table', result);
    expect(kernel.services()).toEqual([]);
  });

  test('into a table that has some of them: listed ones are read, the others looked up', async () => {
    const faults = new FaultPlan();
    const { kernel, ipvs, before } = await loaded(faults);
    const operations: Operation[] = [
      { op: 'deleteService', service: serviceKey(2) },
      { op: 'editService', service: serviceKey(3), options: options('sh') },
      ...bulk(1000, 300),
      { op: 'addDestination', service: serviceKey(4), destination: destKey(4, 77), options: masq(7) },
    ];
    const since = kernel.received.length;
    const transaction = await prepareTransaction(ipvs, operations);
    expect(lookups(kernel, since)).toBe(300);
    expect(transaction.prior.services.map((s) => s.key)).toEqual([serviceKey(2), serviceKey(3), serviceKey(4)]);
    faults.inject('close', { after: 700 });
    const result = await transaction.run();
    expect(!result.ok && [result.reason, result.rollback.complete]).toEqual(['transport', true]);
    tally('bulk, table', result);
    expect(sorted(await readRuleset(ipvs))).toEqual(sorted(before));
  });
});

describe('a rollback that fails', () => {
  test('reports exactly what is left, as read back', async () => {
    const faults = new FaultPlan();
    // once a fault has struck, the kernel refuses to delete services (what the rollback needs first)
    let kernel: FakeKernel | undefined;
    const refuseAfterFault = (): void => {
      if (faults.struck.length > 0) kernel?.refusals.set(constants.IpvsCommand.DelService, 12);
    };
    const setup = await loaded(faults, refuseAfterFault);
    ({ kernel } = setup);
    const { ipvs, operations } = setup;
    const transaction = await prepareTransaction(ipvs, operations);
    faults.inject('socket-error', { after: 200 });
    const result = await transaction.run();
    if (result.ok) throw new Error('the transaction cannot succeed through a fault');
    const { rollback } = result;
    expect(rollback.complete).toBe(false);
    expect(rollback.errors.length).toBeGreaterThan(0);
    expect(rollback.errors.every((e) => (e as { code?: string }).code === 'ENOMEM')).toBe(true);
    // what is left: the services the batch added, which could not be deleted; everything else is back
    const left = rollback.remaining ?? [];
    expect(left.length).toBeGreaterThan(0);
    expect(new Set(left.map((d) => d.kind))).toEqual(new Set(['extra-service']));
    expect(differences(transaction.prior, await readCurrentState(ipvs, transaction.prior))).toEqual(left);
    tally('rollback refused', result);
  });

  test('that cannot read the table back says so', async () => {
    const faults = new FaultPlan();
    const { ipvs, operations } = await loaded(faults);
    const transaction = await prepareTransaction(ipvs, operations);
    faults.inject('deadline', { after: 100, times: Infinity });
    const result = await transaction.run();
    if (result.ok) throw new Error('the transaction cannot succeed through a fault');
    expect(result.rollback).toMatchObject({ complete: false, remaining: undefined });
    expect(result.rollback.errors.length).toBeGreaterThan(0);
    expect(result.rollback.errors.every((e) => (e as { code?: string }).code === 'ETIMEDOUT')).toBe(true);
  });
});

describe('stopping (AbortSignal)', () => {
  test('in the middle of a batch: nothing more is sent, what was applied is rolled back', async () => {
    const controller = new AbortController();
    let countdown = Infinity;
    // the stop arrives while the third datagram is being sent
    const { ipvs, before, operations } = await loaded(undefined, () => {
      if (--countdown === 0) controller.abort(new Error('SIGTERM'));
    });
    const transaction = await prepareTransaction(ipvs, operations);
    countdown = 150;
    const result = await transaction.run({ signal: controller.signal });
    if (result.ok) throw new Error('stopped transaction succeeded');
    expect(result.reason).toBe('aborted');
    expect(result.cause?.message).toBe('SIGTERM');
    // requests in flight were answered: every outcome is known
    expect(result.counts.unknown).toBe(0);
    expect(result.counts.unsent).toBeGreaterThan(0);
    expect(result.counts.applied).toBeGreaterThanOrEqual(150);
    expect(result.rollback.complete).toBe(true);
    expect(sorted(await readRuleset(ipvs))).toEqual(sorted(before));
  });

  test('before it starts: nothing is sent', async () => {
    const { ipvs, before, operations } = await loaded();
    const controller = new AbortController();
    controller.abort();
    const result = await applyAllOrNothing(ipvs, operations, { signal: controller.signal });
    expect(!result.ok && [result.reason, result.counts.unsent, result.rollback.complete, result.rollback.undone]).toEqual(['aborted', operations.length, true, 0]);
    expect(await readRuleset(ipvs)).toEqual(before);
  });
});

describe('the prior state as a journal', () => {
  test('survives JSON, and puts the table back after a "crash" halfway through', async () => {
    const { ipvs, before, operations } = await loaded();
    const transaction = await prepareTransaction(ipvs, operations);
    const journal = JSON.stringify(transaction.prior);
    // a crash: half the batch carried out, no result, no rollback
    await ipvs.batch(operations.slice(0, 160));
    expect(sorted(await readRuleset(ipvs))).not.toEqual(sorted(before));
    const report = await restorePrior(ipvs, JSON.parse(journal));
    expect(report).toMatchObject({ complete: true, remaining: [], errors: [] });
    expect(report.undone).toBeGreaterThan(0);
    expect(sorted(await readRuleset(ipvs))).toEqual(sorted(before));
  });
});
