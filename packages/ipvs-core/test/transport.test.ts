import {
  buildDoneMessage, buildErrorMessage, FakeSocket, IpvsProtocolError, NetlinkError, NetlinkTransport, RequestBatch, RequestEncoder, requestList, FAKE_FAMILY_ID,
  NO_ANSWER, NOT_SENT, type NetlinkMessage,
} from './internals';

const encoder = new RequestEncoder(FAKE_FAMILY_ID);
const flushRequest = (): Buffer => Buffer.from(encoder.flush());
const ack = (request: NetlinkMessage): Buffer[] => [buildErrorMessage(request.bytes, 0)];

describe('NetlinkTransport', () => {
  it('pipelines a batch: several requests per datagram, never more than the window unanswered', async () => {
    const socket = new FakeSocket((request) => (request.seq % 7 === 0 ? [buildErrorMessage(request.bytes, 17)] : ack(request)));
    const transport = new NetlinkTransport(socket, { window: 32 });
    const messages = Array.from({ length: 2000 }, flushRequest);
    const { results: errnos, failure } = await transport.batch(requestList(messages));
    expect(failure).toBeUndefined();
    expect(errnos).toHaveLength(2000);
    // Sequence numbers start at 1 and follow the batch order, so every 7th fails.
    errnos.forEach((errno, i) => expect(errno).toBe((i + 1) % 7 === 0 ? 17 : 0));
    expect(socket.maxUnanswered).toBeLessThanOrEqual(32);
    expect(Math.max(...socket.datagramSizes)).toBeGreaterThan(1);
    expect(socket.datagramSizes.reduce((a, b) => a + b, 0)).toBe(2000);
    expect(socket.active).toBe(false);
  });

  it('sends a RequestBatch as contiguous datagrams; closing leaves in-flight requests unanswered and the rest unsent', async () => {
    const batch = new RequestBatch(FAKE_FAMILY_ID);
    for (let i = 0; i < 100; i++) batch.add({ op: 'deleteService', service: { family: 2, fwmark: i + 1 } });
    const answered = new FakeSocket((request) => (request.seq === 50 ? [buildErrorMessage(request.bytes, 2)] : request.flags & 4 ? ack(request) : undefined));
    const { results: errnos } = await new NetlinkTransport(answered, { window: 16 }).batch(batch);
    expect(errnos.filter((e) => e !== 0)).toEqual([2]);
    expect(errnos[49]).toBe(2);
    expect(answered.datagramSizes.reduce((a, b) => a + b, 0)).toBe(100);
    expect(Math.max(...answered.datagramSizes)).toBe(16);

    const silent = new FakeSocket(() => undefined);
    const transport = new NetlinkTransport(silent, { window: 16 });
    const pending = transport.batch(batch);
    transport.close();
    const closed = await pending;
    expect(closed.results).toEqual([...new Array(16).fill(NO_ANSWER), ...new Array(84).fill(NOT_SENT)]);
    expect(closed.failure).toMatchObject({ name: 'NetlinkTransportError', errno: 125 });
    expect(await transport.batch(batch)).toMatchObject({ results: new Array(100).fill(NOT_SENT), failure: { errno: 125 } });
  });

  it('lets go of sent requests while dumps keep arriving (the queue never runs empty)', async () => {
    const socket = new FakeSocket((request) => [buildDoneMessage(request.seq)]);
    const transport = new NetlinkTransport(socket);
    const queued = (): number => (transport as unknown as { queue: unknown[] }).queue.length;
    let longest = 0;
    // like a listing: four dumps waiting at all times, a new one queued as each finishes
    const chain = async (): Promise<void> => {
      for (let i = 0; i < 500; i++) {
        await transport.dumpEach(flushRequest(), () => undefined);
        longest = Math.max(longest, queued());
      }
    };
    await Promise.all([chain(), chain(), chain(), chain()]);
    // 2,000 dumps went through; what the queue holds stays near what is waiting, not what was sent
    expect(longest).toBeLessThan(200);
  });

  it('caps the window at 128 whatever is asked', async () => {
    const socket = new FakeSocket(ack);
    const transport = new NetlinkTransport(socket, { window: 100_000 });
    await transport.batch(requestList(Array.from({ length: 1000 }, flushRequest)));
    expect(socket.maxUnanswered).toBeLessThanOrEqual(128);
  });

  it('keeps the process alive only while requests are pending', async () => {
    const socket = new FakeSocket(ack);
    const transport = new NetlinkTransport(socket);
    expect(socket.active).toBe(false);
    const pending = transport.request(flushRequest());
    expect(socket.active).toBe(true);
    await pending;
    expect(socket.active).toBe(false);
  });

  it('fires the deadline when the kernel never answers, and replaces the socket', async () => {
    const sockets: FakeSocket[] = [];
    const transport = new NetlinkTransport(() => {
      sockets.push(new FakeSocket(() => undefined));
      return sockets[sockets.length - 1]!;
    }, { timeoutMs: 50 });
    const started = Date.now();
    await expect(transport.request(flushRequest())).rejects.toMatchObject({ name: 'NetlinkTransportError', errno: 110 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(sockets.map((s) => s.closed)).toEqual([true]);
    const outcome = await transport.batch(requestList([flushRequest(), flushRequest()]));
    expect(outcome).toMatchObject({ results: [NO_ANSWER, NO_ANSWER], failure: { errno: 110 } });
    expect(sockets.map((s) => [s.closed, s.active])).toEqual([[true, false], [true, false]]);
  });

  it('a stall of the event loop past the deadline is no timeout when the answer was waiting to be read', async () => {
    const transport = new NetlinkTransport(() => new FakeSocket(ack), { timeoutMs: 20 });
    for (let i = 0; i < 40; i++) {
      const pending = transport.request(flushRequest());
      const stall = (): void => {
        const until = Date.now() + 30;
        while (Date.now() < until) { /* a long collection, a large listing formatted at once */ }
      };
      if (i % 2) process.nextTick(stall);
      else setTimeout(stall, 0);
      await expect(pending).resolves.toEqual([]);
    }
  });

  it('a failure fails what was in flight and stops a batch sent in part; what was queued goes out on the next socket', async () => {
    let opened = 0;
    // the first socket never answers; the next ones do
    const transport = new NetlinkTransport(() => new FakeSocket(opened++ === 0 ? () => undefined : ack), { timeoutMs: 30, window: 2 });
    const first = transport.request(flushRequest());
    const batch = transport.batch(requestList([flushRequest(), flushRequest(), flushRequest()]));
    const queued = transport.request(flushRequest());
    await expect(first).rejects.toMatchObject({ name: 'NetlinkTransportError', errno: 110 });
    expect(await batch).toMatchObject({ results: [NO_ANSWER, NOT_SENT, NOT_SENT], failure: { errno: 110 } });
    await expect(queued).resolves.toEqual([]);
    expect(opened).toBe(2);
  });

  it('without a way to open a socket, fails what comes after a failure at once', async () => {
    const socket = new FakeSocket(() => undefined);
    const transport = new NetlinkTransport(socket, { timeoutMs: 20 });
    await expect(transport.request(flushRequest())).rejects.toMatchObject({ errno: 110 });
    await expect(transport.request(flushRequest())).rejects.toMatchObject({ name: 'NetlinkTransportError', errno: 9 });
    expect(await transport.batch(requestList([flushRequest()]))).toMatchObject({ results: [NOT_SENT], failure: { errno: 9 } });
  });

  it('returns dump parts and checks the error code of DONE', async () => {
    const socket = new FakeSocket((request) => {
      const part = Buffer.from(request.bytes);
      part.writeUInt16LE(2, 6); // NLM_F_MULTI
      return request.seq === 1 ? [part, Buffer.concat([part, buildDoneMessage(request.seq)])] : [buildDoneMessage(request.seq, 4)];
    });
    const transport = new NetlinkTransport(socket);
    expect(await transport.dump(Buffer.from(encoder.dumpServices()))).toHaveLength(2);
    await expect(transport.dump(Buffer.from(encoder.dumpServices()))).rejects.toMatchObject({ errno: 4 });
  });

  it('runs one dump at a time and never mixes a dump with other requests in a datagram', async () => {
    let dumpRunning = false;
    const socket = new FakeSocket((request) => {
      if (!(request.flags & 0x300)) return ack(request);
      expect(dumpRunning).toBe(false);
      dumpRunning = true;
      setImmediate(() => { dumpRunning = false; }); // runs right after the DONE is delivered
      return [buildDoneMessage(request.seq)];
    });
    const sends: number[][] = [];
    const send = socket.send.bind(socket);
    socket.send = (parts, done) => { sends.push(parts.map((p) => p.readUInt16LE(6))); send(parts, done); };
    const transport = new NetlinkTransport(socket);
    await Promise.all([
      transport.dump(Buffer.from(encoder.dumpServices())), transport.request(flushRequest()),
      transport.dump(Buffer.from(encoder.dumpDaemons())), transport.batch(requestList([flushRequest(), flushRequest()])),
    ]);
    for (const flags of sends) if (flags.some((f) => f & 0x300)) expect(flags).toHaveLength(1);
    expect(sends.flat()).toHaveLength(5);
  });

  it('rejects everything pending with a typed error when a datagram is malformed', async () => {
    const socket = new FakeSocket(() => [Buffer.from('ff000000', 'hex')]);
    const transport = new NetlinkTransport(socket);
    await expect(transport.request(flushRequest())).rejects.toBeInstanceOf(IpvsProtocolError);
  });

  it('reports send failures and closing as errors of the pending requests', async () => {
    const socket = new FakeSocket(() => undefined);
    const transport = new NetlinkTransport(socket);
    const pending = transport.request(flushRequest());
    transport.close();
    await expect(pending).rejects.toMatchObject({ errno: 125 });
    await expect(transport.request(flushRequest())).rejects.toBeInstanceOf(NetlinkError);
    expect(socket.closed).toBe(true);
    const failing = new FakeSocket(() => undefined);
    failing.send = (_parts, done) => setImmediate(() => done(90));
    await expect(new NetlinkTransport(failing).request(flushRequest())).rejects.toMatchObject({ name: 'NetlinkTransportError', errno: 90 });
    expect(failing.closed).toBe(true);
  });
});
