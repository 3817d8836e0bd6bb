import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import {
  AddressFamily, createFakeTransport, DaemonState, destinationReply, destinationSettings, FakeKernel, openFakeIpvs, ForwardingMethod,
  IpvsError, IpvsValidationError, openIpvs, Protocol, RequestEncoder, ServiceFlags, serviceSettings, TunnelType, ZERO_STATS,
  type Destination, type DestinationOptions, type Operation, type ServiceKey, type Transport,
} from './internals';

const SERVICE: ServiceKey = { family: AddressFamily.IPv4, protocol: Protocol.TCP, address: '10.0.0.1', port: 80 };
const OPTIONS = { scheduler: 'rr', timeout: 0, netmask: '255.255.255.255', flags: 0 };
const MASQ: DestinationOptions = {
  forwarding: ForwardingMethod.Masquerade, weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnelType: TunnelType.IPIP, tunnelPort: 0, tunnelFlags: 0,
};
const RS = { family: AddressFamily.IPv4, address: '10.0.0.2', port: 80 };

async function open(kernel = new FakeKernel()) {
  return { kernel, ipvs: await openFakeIpvs(kernel) };
}

describe('IpvsClient over a fake kernel', () => {
  it('resolves the family once and manages services, real servers, timeouts and daemons', async () => {
    const { kernel, ipvs } = await open();
    expect(kernel.received[0]?.type).toBe(0x10); // nlctrl first, then IPVS requests carry its id
    await ipvs.getInfo();
    expect(kernel.received.at(-1)?.type).toBe(32);
    await ipvs.addService(SERVICE, OPTIONS);
    await ipvs.addService({ family: AddressFamily.IPv6, fwmark: 9 }, { ...OPTIONS, netmask: 64, flags: 1, timeout: 60 });
    expect((await ipvs.getServices()).map((s) => s.key)).toEqual([SERVICE, { family: AddressFamily.IPv6, fwmark: 9 }]);
    await ipvs.editService(SERVICE, { ...OPTIONS, scheduler: 'wrr', persistenceEngine: 'sip' });
    expect(await ipvs.getService(SERVICE)).toMatchObject({ scheduler: 'wrr', persistenceEngine: 'sip' });
    await ipvs.addDestination(SERVICE, RS, MASQ);
    await ipvs.addDestination(SERVICE, { ...RS, address: '10.0.0.3' }, { ...MASQ, weight: 5 });
    await ipvs.editDestination(SERVICE, RS, { ...MASQ, weight: 7 });
    expect((await ipvs.getDestinations(SERVICE)).map((d) => [d.key.address, d.weight])).toEqual([['10.0.0.3', 5], ['10.0.0.2', 7]]);
    await ipvs.deleteDestination(SERVICE, RS);
    expect(await ipvs.getDestinations({ ...SERVICE, port: 81 })).toEqual([]);
    await ipvs.setTimeouts({ udp: 10 });
    expect(await ipvs.getTimeouts()).toEqual({ tcp: 900, tcpFin: 120, udp: 10 });
    kernel.interfaces.set('eth0', 1500);
    await ipvs.startDaemon({ state: DaemonState.Backup, interface: 'eth0', syncId: 3 });
    expect(await ipvs.getDaemons()).toMatchObject([{ state: DaemonState.Backup, interface: 'eth0', syncId: 3 }]);
    await ipvs.stopDaemon(DaemonState.Backup);
    await ipvs.zero(SERVICE);
    await ipvs.zero();
    await ipvs.deleteService(SERVICE);
    await ipvs.flush();
    expect(await ipvs.getServices()).toEqual([]);
    expect(await ipvs.getInfo()).toMatchObject({ version: '1.2.1' });
    expect(kernel.received.filter((m) => m.type === 0x10)).toHaveLength(1);
    ipvs.close();
  });

  it('turns kernel errnos into IpvsErrors with the errno, the operation and the object', async () => {
    const { ipvs } = await open();
    await expect(ipvs.startDaemon({ state: DaemonState.Master, interface: 'eth0', syncId: 1 })).rejects.toMatchObject({ code: 'ENODEV' });
    await ipvs.addService(SERVICE, OPTIONS);
    const error = await ipvs.addService(SERVICE, OPTIONS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IpvsError);
    expect(error).toMatchObject({ errno: 17, code: 'EEXIST', operation: 'addService', object: { service: SERVICE, options: OPTIONS } });
    expect((error as IpvsError).message).toContain('TCP 10.0.0.1:80');
    await expect(ipvs.addService({ ...SERVICE, port: 2 }, { ...OPTIONS, scheduler: 'bogus' })).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(ipvs.deleteService({ ...SERVICE, port: 2 })).rejects.toMatchObject({ code: 'ESRCH' });
    await expect(ipvs.addDestination({ ...SERVICE, port: 2 }, RS, MASQ)).rejects.toMatchObject({ code: 'ESRCH' });
    await ipvs.addDestination(SERVICE, RS, MASQ);
    await expect(ipvs.addDestination(SERVICE, RS, MASQ)).rejects.toMatchObject({ code: 'EEXIST' });
    const missingDest = ipvs.editDestination(SERVICE, { ...RS, port: 9 }, MASQ);
    await expect(missingDest).rejects.toMatchObject({ code: 'ENOENT', operation: 'editDestination' });
    await expect(ipvs.deleteDestination(SERVICE, { ...RS, port: 9 })).rejects.toMatchObject({ message: expect.stringContaining('10.0.0.2:9') });
    await expect(ipvs.addDestination(SERVICE, { ...RS, port: 3 }, { ...MASQ, upperThreshold: 1, lowerThreshold: 2 })).rejects.toMatchObject({ code: 'ERANGE' });
    await expect(ipvs.setTimeouts({ tcp: 0x80000000 })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(ipvs.stopDaemon(DaemonState.Master)).rejects.toMatchObject({ code: 'ESRCH', operation: 'stopDaemon' });
    await ipvs.startDaemon({ state: DaemonState.Master, interface: 'lo', syncId: 1 });
    await expect(ipvs.startDaemon({ state: DaemonState.Master, interface: 'lo', syncId: 1 })).rejects.toMatchObject({ code: 'EEXIST', message: expect.stringContaining('master sync daemon on lo') });
    await expect(ipvs.addService({ ...SERVICE, address: '1.2.3' }, OPTIONS)).rejects.toBeInstanceOf(IpvsValidationError);
    ipvs.close();
  });

  it('reports a missing IPVS family and missing privileges clearly', async () => {
    const absent = new FakeKernel();
    absent.familyRegistered = false;
    const error = await open(absent).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'IpvsError', operation: 'resolveFamily', code: 'ENOENT' });

    const unprivileged = new FakeKernel();
    unprivileged.privileged = false;
    const { ipvs } = await open(unprivileged);
    const denied = await ipvs.getServices().catch((e: unknown) => e);
    expect(denied).toMatchObject({ code: 'EPERM', errno: 1, operation: 'getServices' });
    expect((denied as IpvsError).message).toContain('CAP_NET_ADMIN');
    ipvs.close();
  });

  it('batches: results in order, validation failures without sending, kernel failures as IpvsErrors', async () => {
    const { kernel, ipvs } = await open();
    const operations: Operation[] = [];
    for (let i = 0; i < 300; i++) {
      const service = { ...SERVICE, port: 1000 + i };
      operations.push({ op: 'addService', service, options: OPTIONS }, { op: 'addDestination', service, destination: RS, options: MASQ });
    }
    operations.push({ op: 'addService', service: { ...SERVICE, port: 1000 }, options: OPTIONS });
    operations.push({ op: 'addService', service: { ...SERVICE, address: 'nope' }, options: OPTIONS });
    operations.push({ op: 'deleteDestination', service: SERVICE, destination: RS });
    operations.push({ op: 'editService', service: { ...SERVICE, port: 1000 }, options: { ...OPTIONS, scheduler: 'wlc' } });
    const sentBefore = kernel.received.length;
    const results = await ipvs.batch(operations);
    expect(results.slice(0, 600).every((r) => r.ok)).toBe(true);
    const tail = results.slice(600).map((r) => (r.ok ? 'ok' : `${r.error.name}:${(r.error as IpvsError).code}`));
    expect(tail).toEqual(['IpvsError:EEXIST', 'IpvsValidationError:EINVAL', 'IpvsError:ESRCH', 'ok']);
    expect(kernel.received.length - sentBefore).toBe(603);
    expect(kernel.services()).toHaveLength(300);
    const failed = results[602]!;
    expect(!failed.ok && failed.error).toMatchObject({ errno: 3, operation: 'deleteDestination' });
    ipvs.close();
  });

  it('rejects with ETIMEDOUT when the kernel stays silent', async () => {
    const kernel = new FakeKernel();
    const transport = createFakeTransport((request) => (request.type === 0x10 ? kernel.answer(request) : undefined), { timeoutMs: 30 });
    const ipvs = await openIpvs({ transport });
    await expect(ipvs.getInfo()).rejects.toMatchObject({ code: 'ETIMEDOUT', operation: 'getInfo' });
    ipvs.close();
  });
});

describe('getDestinations', () => {
  it('hands over real servers as plain objects that stay valid after the dump', async () => {
    const { ipvs } = await open();
    await ipvs.addService(SERVICE, OPTIONS);
    for (let i = 2; i < 12; i++) await ipvs.addDestination(SERVICE, { ...RS, address: `10.0.0.${i}` }, { ...MASQ, weight: i });
    const first = await ipvs.getDestinations(SERVICE);
    const second = await ipvs.getDestinations(SERVICE);
    expect(new Set(first).size).toBe(10);
    expect(first.map((d) => [d.key.address, d.weight])).toEqual(Array.from({ length: 10 }, (_, i) => [`10.0.0.${11 - i}`, 11 - i]));
    expect(first.map((d) => d.stats)).toEqual(second.map((d) => d.stats));
    expect(await ipvs.getDestinations({ ...SERVICE, port: 81 })).toEqual([]);
    ipvs.close();
  });
});

describe('visitDestinations', () => {
  /** Every field of a real server, read while it is shown. */
  const fields = (d: Destination) => ({
    key: { family: d.key.family, address: d.key.address, port: d.key.port }, forwarding: d.forwarding, weight: d.weight, upperThreshold: d.upperThreshold, lowerThreshold: d.lowerThreshold,
    tunnelType: d.tunnelType, tunnelPort: d.tunnelPort, tunnelFlags: d.tunnelFlags, activeConnections: d.activeConnections,
    inactiveConnections: d.inactiveConnections, persistentConnections: d.persistentConnections, stats: d.stats,
  });

  it('shows each real server getDestinations returns, in the same order, through one view', async () => {
    const { ipvs } = await open();
    await ipvs.addService(SERVICE, OPTIONS);
    await ipvs.addDestination(SERVICE, RS, MASQ);
    await ipvs.addDestination(SERVICE, { ...RS, address: '10.0.0.3', port: 8080 }, {
      ...MASQ, forwarding: ForwardingMethod.Tunnel, tunnelType: TunnelType.GUE, tunnelPort: 6080, tunnelFlags: 1, upperThreshold: 9, lowerThreshold: 4, weight: 3,
    });
    await ipvs.addDestination(SERVICE, { family: AddressFamily.IPv6, address: '2001:db8::7', port: 80 }, { ...MASQ, forwarding: ForwardingMethod.Tunnel, weight: 0 });
    const shown: Array<ReturnType<typeof fields>> = [];
    const views = new Set<Destination>();
    await ipvs.visitDestinations(SERVICE, (d) => { views.add(d); shown.push(fields(d)); });
    expect(shown).toEqual((await ipvs.getDestinations(SERVICE)).map(fields));
    expect(shown.map((d) => d.key.address)).toEqual(['2001:db8::7', '10.0.0.3', '10.0.0.2']);
    expect(views.size).toBe(1);
    await ipvs.visitDestinations({ ...SERVICE, port: 81 }, () => { throw new Error('no real server expected'); });
    ipvs.close();
  });

  it('calls a visitor that threw no more, and rejects with its error', async () => {
    const { ipvs } = await open();
    await ipvs.addService(SERVICE, OPTIONS);
    for (let i = 2; i < 6; i++) await ipvs.addDestination(SERVICE, { ...RS, address: `10.0.0.${i}` }, MASQ);
    let calls = 0;
    await expect(ipvs.visitDestinations(SERVICE, () => { calls++; throw new Error('stop'); })).rejects.toThrow('stop');
    expect(calls).toBe(1);
    ipvs.close();
  });
});

describe('batch acknowledgements', () => {
  it('asks the kernel for one ACK per datagram, and still ties every refusal to its request', async () => {
    const kernel = new FakeKernel();
    let acks = 0;
    const answer = (request: Parameters<FakeKernel['answer']>[0]) => {
      const replies = kernel.answer(request);
      if ((request.flags & 0x4) !== 0) acks++;
      return replies;
    };
    const ipvs = await openIpvs({ transport: createFakeTransport(answer) });
    const ops: Operation[] = [{ op: 'addService', service: SERVICE, options: OPTIONS }];
    for (let i = 1; i <= 1000; i++) {
      // every 97th server is added twice: the kernel refuses the second with EEXIST
      const address = `10.1.${i >> 8}.${i & 255}`;
      ops.push({ op: 'addDestination', service: SERVICE, destination: { ...RS, address }, options: MASQ });
      if (i % 97 === 0) ops.push({ op: 'addDestination', service: SERVICE, destination: { ...RS, address }, options: MASQ });
    }
    acks = 0;
    const results = await ipvs.batch(ops);
    const refused = results.flatMap((r, i) => (r.ok ? [] : [i]));
    const duplicates = ops.flatMap((op, i) => (i > 0 && JSON.stringify(op) === JSON.stringify(ops[i - 1]) ? [i] : []));
    expect(refused).toEqual(duplicates);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && (r.error as IpvsError).code === 'EEXIST')).toBe(true);
    expect(acks).toBeLessThan(ops.length / 10);
  });
});

describe('FakeKernel: the kernel rules tests rely on', () => {
  it('orders, refuses and sizes like the 6.1 kernel', async () => {
    const { kernel, ipvs } = await open();
    // same hash bucket (6 ^ 1 ^ 80 = 6 ^ 80 ^ 1): the newest first; fwmark services after address ones
    await ipvs.addService({ family: AddressFamily.IPv4, fwmark: 1 }, OPTIONS);
    await ipvs.addService(SERVICE, OPTIONS);
    await ipvs.addService({ ...SERVICE, address: '10.0.0.80', port: 1 }, { ...OPTIONS, scheduler: 'none' });
    expect(kernel.services().map((s) => ('fwmark' in s.key ? `fwm ${s.key.fwmark}` : `${s.key.address}:${s.key.port}`))).toEqual(['10.0.0.80:1', '10.0.0.1:80', 'fwm 1']);
    await expect(ipvs.addService({ ...SERVICE, port: 2 }, { ...OPTIONS, scheduler: 'twos' })).rejects.toMatchObject({ code: 'ENOENT' });
    const v6 = { family: AddressFamily.IPv6, address: '2001:db8::10', port: 80 };
    await expect(ipvs.addDestination(SERVICE, v6, MASQ)).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(ipvs.addDestination(SERVICE, { ...RS, address: '224.0.0.1' }, MASQ)).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(ipvs.addDestination(SERVICE, RS, { ...MASQ, forwarding: ForwardingMethod.Tunnel, tunnelType: TunnelType.GUE })).rejects.toMatchObject({ code: 'EINVAL' });
    await ipvs.addDestination(SERVICE, { ...v6, address: '2001:DB8:0::10' }, { ...MASQ, forwarding: ForwardingMethod.Tunnel });
    expect(kernel.destinations(SERVICE).map((d) => d.key)).toEqual([v6]);
    await expect(ipvs.startDaemon({ state: DaemonState.Master, interface: 'lo', syncId: 1 })).rejects.toMatchObject({ code: 'EINVAL' }); // mixed families
    await ipvs.deleteDestination(SERVICE, v6);
    await ipvs.startDaemon({ state: DaemonState.Master, interface: 'lo', syncId: 1 });
    await ipvs.startDaemon({ state: DaemonState.Backup, interface: 'lo', syncId: 1, maxLength: 100, group: 'ff02::1:81' });
    expect((await ipvs.getDaemons()).map((d) => [d.state, d.maxLength, d.group])).toEqual([[DaemonState.Master, 1472, '224.0.0.81'], [DaemonState.Backup, 1024, 'ff02::1:81']]);
    await ipvs.addDestination(SERVICE, RS, MASQ);
    kernel.setStats(SERVICE, { connections: 7n }, RS);
    expect((await ipvs.getDestinations(SERVICE))[0]?.stats.connections).toBe(7n);
    await ipvs.zero();
    expect((await ipvs.getDestinations(SERVICE))[0]?.stats.connections).toBe(0n);
    kernel.refusals.set(15 /* GET_INFO */, 12);
    await expect(ipvs.getInfo()).rejects.toMatchObject({ code: 'ENOMEM' });
    ipvs.close();
    expect(kernel.closed).toBe(1);
  });
});

describe('settings left out get ipvsadm\'s defaults', () => {
  const V6: ServiceKey = { family: AddressFamily.IPv6, protocol: Protocol.TCP, address: '2001:db8::1', port: 80 };

  it('fills them in before encoding: a request with none is the request with all of ipvsadm\'s', () => {
    const encoder = new RequestEncoder(32);
    const complete = (options: object) => Buffer.from(encoder.newService(SERVICE, options));
    expect(complete({})).toEqual(complete({ scheduler: 'wlc', timeout: 0, netmask: '255.255.255.255', flags: 0 }));
    expect(Buffer.from(encoder.newService(SERVICE))).toEqual(complete({}));
    const dr = { forwarding: ForwardingMethod.DirectRoute, weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnelType: TunnelType.IPIP, tunnelPort: 0, tunnelFlags: 0 };
    expect(Buffer.from(encoder.newDestination(SERVICE, RS))).toEqual(Buffer.from(encoder.newDestination(SERVICE, RS, dr)));
    expect(Buffer.from(encoder.setDestination(SERVICE, RS, { weight: 2 }))).toEqual(Buffer.from(encoder.setDestination(SERVICE, RS, { ...dr, weight: 2 })));
  });

  it('serviceSettings and destinationSettings: the defaults, by family and persistence', () => {
    expect(serviceSettings(SERVICE)).toEqual({ scheduler: 'wlc', timeout: 0, netmask: '255.255.255.255', flags: 0 });
    expect(serviceSettings(V6, { scheduler: 'rr' })).toEqual({ scheduler: 'rr', timeout: 0, netmask: 128, flags: 0 });
    expect(serviceSettings(SERVICE, { flags: ServiceFlags.Persistent })).toMatchObject({ timeout: 360 });
    expect(serviceSettings(SERVICE, { flags: ServiceFlags.Persistent, timeout: 60, persistenceEngine: 'sip' })).toMatchObject({ timeout: 60, persistenceEngine: 'sip' });
    expect(serviceSettings(SERVICE, { persistenceEngine: undefined })).not.toHaveProperty('persistenceEngine');
    expect(destinationSettings({ weight: 2 })).toEqual({
      forwarding: ForwardingMethod.DirectRoute, weight: 2, upperThreshold: 0, lowerThreshold: 0, tunnelType: TunnelType.IPIP, tunnelPort: 0, tunnelFlags: 0,
    });
  });

  it('adds with nothing but the key, in calls and in batches; the kernel reports complete settings', async () => {
    const { kernel, ipvs } = await open();
    await ipvs.addService(SERVICE);
    await ipvs.addDestination(SERVICE, RS);
    const results = await ipvs.batch([
      { op: 'addService', service: V6 },
      { op: 'addDestination', service: V6, destination: { family: AddressFamily.IPv6, address: '2001:db8::2', port: 80 } },
      { op: 'addService', service: { family: AddressFamily.IPv4, fwmark: 3 }, options: { flags: ServiceFlags.Persistent } },
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(kernel.services().map((s) => serviceSettings(s.key, s))).toEqual([
      { scheduler: 'wlc', timeout: 0, netmask: '255.255.255.255', flags: 0 },
      { scheduler: 'wlc', timeout: 0, netmask: 128, flags: 0 },
      { scheduler: 'wlc', timeout: 360, netmask: '255.255.255.255', flags: ServiceFlags.Persistent },
    ]);
    for (const key of [SERVICE, V6]) expect(kernel.destinations(key).map((d) => destinationSettings(d))).toEqual([destinationSettings()]);
    ipvs.close();
  });

  it('an edit replaces every setting: what it leaves out goes back to its default (ipvsadm -E / -e)', async () => {
    const { ipvs } = await open();
    await ipvs.addService(SERVICE, { scheduler: 'rr', flags: ServiceFlags.Persistent, timeout: 60, persistenceEngine: 'sip' });
    await ipvs.editService(SERVICE, { scheduler: 'sh' });
    expect(await ipvs.getService(SERVICE)).toMatchObject({ scheduler: 'sh', flags: 0, timeout: 0, persistenceEngine: undefined });
    await ipvs.addDestination(SERVICE, RS, { forwarding: ForwardingMethod.Masquerade, weight: 5, upperThreshold: 10 });
    await ipvs.editDestination(SERVICE, RS, { weight: 0 });
    expect((await ipvs.getDestinations(SERVICE)).map((d) => destinationSettings(d))).toEqual([destinationSettings({ weight: 0 })]);
    // to change one setting, start from the current ones
    await ipvs.editDestination(SERVICE, RS, { forwarding: ForwardingMethod.Masquerade, weight: 5, upperThreshold: 10 });
    const [current] = await ipvs.getDestinations(SERVICE);
    await ipvs.editDestination(SERVICE, RS, { ...current, weight: 0 });
    expect((await ipvs.getDestinations(SERVICE))[0]).toMatchObject({ forwarding: ForwardingMethod.Masquerade, weight: 0, upperThreshold: 10 });
    ipvs.close();
  });

  it('still validates what it is given, and refuses options that are not an object', async () => {
    const { ipvs } = await open();
    await expect(ipvs.addService(SERVICE, { scheduler: '' })).rejects.toMatchObject({ name: 'IpvsValidationError', field: 'options.scheduler' });
    await expect(ipvs.addService(SERVICE, { netmask: 64 })).rejects.toMatchObject({ name: 'IpvsValidationError', field: 'options.netmask' });
    await expect(ipvs.addService(SERVICE, 'rr' as never)).rejects.toMatchObject({ name: 'IpvsValidationError', field: 'options' });
    await ipvs.addService(SERVICE);
    await expect(ipvs.addDestination(SERVICE, RS, { weight: -1 })).rejects.toMatchObject({ name: 'IpvsValidationError', field: 'options.weight' });
    await expect(ipvs.addDestination(SERVICE, RS, { tunnelType: TunnelType.GUE })).rejects.toMatchObject({ name: 'IpvsError', code: 'EINVAL' });
    ipvs.close();
  });
});

/** A transport of the caller's that answers nlctrl (through a fake kernel) and nothing else. */
function silentTransport(): Transport & { readonly closed: () => boolean } {
  const kernel = createFakeTransport(new FakeKernel().answer);
  const never = () => new Promise<never>(() => undefined);
  let closed = false;
  return {
    request: (message) => (message.readUInt16LE(4) === 0x10 ? kernel.request(message) : never()),
    dump: never,
    dumpEach: never,
    batch: never,
    close: () => { closed = true; kernel.close(); },
    closed: () => closed,
  };
}

describe('timeoutMs, whatever the transport', () => {
  it('ends every call a transport of the caller\'s never answers with ETIMEDOUT', async () => {
    const ipvs = await openIpvs({ transport: silentTransport(), timeoutMs: 40 });
    const started = Date.now();
    await expect(ipvs.addService(SERVICE)).rejects.toMatchObject({ name: 'IpvsTransportError', code: 'ETIMEDOUT', operation: 'addService' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    await expect(ipvs.getServices()).rejects.toMatchObject({ code: 'ETIMEDOUT', operation: 'getServices' });
    await expect(ipvs.getDestinations(SERVICE)).rejects.toMatchObject({ code: 'ETIMEDOUT', operation: 'getDestinations' });
    await expect(ipvs.getDaemons()).rejects.toMatchObject({ code: 'ETIMEDOUT', operation: 'getDaemons' });
    const results = await ipvs.batch([{ op: 'addService', service: SERVICE }, { op: 'deleteService', service: SERVICE }]);
    expect(results.map((r) => !r.ok && r.error)).toEqual([
      expect.objectContaining({ code: 'ETIMEDOUT', operation: 'addService' }),
      expect.objectContaining({ code: 'ETIMEDOUT', operation: 'deleteService' }),
    ]);
    ipvs.close();
  });

  it('also bounds opening: a transport that never answers nlctrl', async () => {
    const never = () => new Promise<never>(() => undefined);
    const transport: Transport = { request: never, dump: never, dumpEach: never, batch: never, close: () => undefined };
    await expect(openIpvs({ transport, timeoutMs: 20 })).rejects.toMatchObject({ name: 'IpvsError', code: 'ETIMEDOUT', operation: 'resolveFamily' });
  });

  it('cancels waiting calls on close, and closes the transport', async () => {
    const transport = silentTransport();
    const ipvs = await openIpvs({ transport, timeoutMs: 60_000 });
    const pending = ipvs.getInfo();
    ipvs.close();
    await expect(pending).rejects.toMatchObject({ code: 'ECANCELED', operation: 'getInfo' });
    expect(transport.closed()).toBe(true);
  });

  it('bounds the silence within a dump, not the whole dump', async () => {
    const kernel = new FakeKernel();
    const inner = createFakeTransport(kernel.answer);
    const dest = (i: number): Destination => ({
      ...destinationSettings(), key: { ...RS, address: `10.0.0.${i}` }, activeConnections: 0, inactiveConnections: 0, persistentConnections: 0, stats: ZERO_STATS,
    });
    const slowDump: Transport = {
      request: (message) => inner.request(message), dump: (message) => inner.dump(message), batch: (requests) => inner.batch(requests),
      close: () => inner.close(),
      // ten messages 50 ms apart: 500 ms in all, never 300 ms of silence
      dumpEach: async (_message, visit) => {
        for (let i = 1; i <= 10; i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          const reply = destinationReply(1, dest(i));
          visit(reply, 0, reply.length);
        }
      },
    };
    const ipvs = await openIpvs({ transport: slowDump, timeoutMs: 300 });
    jest.useFakeTimers();
    try {
      const listing = ipvs.getDestinations(SERVICE);
      await jest.advanceTimersByTimeAsync(10 * 50);
      expect(await listing).toHaveLength(10);
    } finally {
      jest.useRealTimers();
      ipvs.close();
    }
  });

  it('lets calls queued behind others wait while the transport keeps answering, and ends them together when it stops', async () => {
    // answers one request at a time, each 50 ms after the one before: 20 take 1 s, never 600 ms of silence
    const inner = createFakeTransport(new FakeKernel().answer);
    let queue = Promise.resolve();
    let answering = true;
    const slow: Transport = {
      ...silentTransport(),
      request: (message) => {
        if (message.readUInt16LE(4) === 0x10) return inner.request(message);
        const answer = queue.then(() => new Promise((resolve) => setTimeout(resolve, 50)))
          .then(() => (answering ? inner.request(message) : new Promise<never>(() => undefined)));
        queue = answer.then(() => undefined, () => undefined);
        return answer;
      },
    };
    const ipvs = await openIpvs({ transport: slow, timeoutMs: 600 });
    jest.useFakeTimers();
    try {
      const infos = Promise.all(Array.from({ length: 20 }, () => ipvs.getInfo()));
      await jest.advanceTimersByTimeAsync(20 * 50 + 100);
      expect(await infos).toHaveLength(20);
      answering = false;
      const settled: string[] = [];
      for (let i = 0; i < 5; i++) ipvs.getInfo().catch((error: IpvsError) => settled.push(error.code));
      await jest.advanceTimersByTimeAsync(599);
      expect(settled).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);
      expect(settled).toEqual(Array(5).fill('ETIMEDOUT')); // together, not one deadline after another
    } finally {
      jest.useRealTimers();
      ipvs.close();
    }
  });

  it('refuses a deadline that is not a positive whole number of milliseconds', async () => {
    for (const timeoutMs of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
      await expect(openIpvs({ transport: silentTransport(), timeoutMs })).rejects.toMatchObject({ name: 'IpvsValidationError', field: 'timeoutMs' });
    }
  });

  it('a fake that forgets an ACK fails the script instead of letting it exit 0', () => {
    // the case: nothing but the client's timer keeps such a process alive
    const dist = path.resolve(__dirname, '../src');
    const script = `
      const { openIpvs } = require(${JSON.stringify(dist)});
      const { createFakeTransport, FakeKernel } = require(${JSON.stringify(path.join(dist, 'testing'))});
      const kernel = new FakeKernel();
      const transport = createFakeTransport((request) => (request.type === 0x10 ? kernel.answer(request) : []));
      openIpvs({ transport, timeoutMs: 200 }).then((ipvs) => ipvs.flush()).catch((error) => {
        console.error(error.code);
        process.exitCode = 3;
      });`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect({ status: child.status, stderr: child.stderr.trim() }).toEqual({ status: 3, stderr: 'ETIMEDOUT' });
  });
});
