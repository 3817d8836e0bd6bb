/**
 * The blocking transport against this machine's kernel: nlctrl (generic netlink's controller) is
 * there even where IPVS is not, so requests, refusals, dumps, batches and deadlines are real.
 */
import { decodeFamilyId, encodeGetFamily, NetlinkError, NetlinkTransportError, requestList, SyncTransport } from './internals';

const GENL_ID_CTRL = 0x10;
const CTRL_CMD_GETFAMILY = 3;

/** A GETFAMILY dump of every family (REQUEST|DUMP). */
function familyDump(): Buffer {
  const message = Buffer.alloc(20);
  message.writeUInt32LE(20, 0);
  message.writeUInt16LE(GENL_ID_CTRL, 4);
  message.writeUInt16LE(0x1 | 0x300, 6);
  message[16] = CTRL_CMD_GETFAMILY;
  message[17] = 1;
  return message;
}

/** A request without NLM_F_REQUEST: the kernel takes it and never answers. */
function unanswered(): Buffer {
  const message = encodeGetFamily('nlctrl');
  message.writeUInt16LE(0, 6);
  return message;
}

describe('SyncTransport', () => {
  it('answers a request before it returns; a refusal is a NetlinkError with its errno', () => {
    const transport = new SyncTransport({ timeoutMs: 2000 });
    try {
      expect(decodeFamilyId(transport.requestSync(encodeGetFamily('nlctrl'))[0]!)).toBe(GENL_ID_CTRL);
      let error: unknown;
      try {
        transport.requestSync(encodeGetFamily('no-such-family'));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NetlinkError);
      expect(error).not.toBeInstanceOf(NetlinkTransportError);
      expect((error as NetlinkError).errno).toBe(2);
    } finally {
      transport.close();
    }
  });

  it('reads a dump to its end, one view per datagram; a throwing visitor fails it after the end, and the socket goes on', async () => {
    const transport = new SyncTransport();
    try {
      let messages = 0;
      transport.dumpEachSync(familyDump(), (datagram, start, end) => {
        expect(datagram.readUInt16LE(start + 4)).toBe(GENL_ID_CTRL);
        expect(end - start).toBe(datagram.readUInt32LE(start));
        messages++;
      });
      expect(messages).toBeGreaterThan(1);
      const boom = new Error('visitor failed');
      let visited = 0;
      await expect(transport.dumpEach(familyDump(), () => {
        visited++;
        throw boom;
      })).rejects.toBe(boom);
      expect(visited).toBe(1);
      expect(await transport.dump(familyDump())).toHaveLength(messages);
    } finally {
      transport.close();
    }
  });

  it('a transient dump shows the messages a copying one shows; only a copying dump\'s datagrams outlive the next receive', () => {
    const transport = new SyncTransport();
    try {
      const kept: Array<{ datagram: Buffer; start: number; end: number; hex: string }> = [];
      transport.dumpEachSync(familyDump(), (datagram, start, end) => {
        kept.push({ datagram, start, end, hex: datagram.toString('hex', start, end) });
      });
      const shown: string[] = [];
      transport.dumpEachSync(familyDump(), (datagram, start, end) => { shown.push(datagram.toString('hex', start, end)); }, { transient: true });
      expect(shown.map((hex) => hex.slice(0, 16) + hex.slice(32))).toEqual(kept.map(({ hex }) => hex.slice(0, 16) + hex.slice(32)));
      // the copies are untouched by the dumps that came after them
      for (const { datagram, start, end, hex } of kept) expect(datagram.toString('hex', start, end)).toBe(hex);
    } finally {
      transport.close();
    }
  });

  it('dumps in large parts take fewer datagrams; a dump in small parts after them is small again (a socket of its own)', () => {
    const transport = new SyncTransport();
    const datagramsOf = (largeParts: boolean): { datagrams: number; messages: number; largest: number } => {
      let datagrams = 0;
      let messages = 0;
      let largest = 0;
      let last: Buffer | undefined;
      transport.dumpEachSync(familyDump(), (datagram) => {
        if (datagram !== last) datagrams++;
        last = datagram;
        largest = Math.max(largest, datagram.length);
        messages++;
      }, { largeParts });
      return { datagrams, messages, largest };
    };
    try {
      const small = datagramsOf(false);
      const large = datagramsOf(true);
      const smallAgain = datagramsOf(false);
      expect(large.messages).toBe(small.messages);
      expect(small.largest).toBeLessThanOrEqual(8192);
      // here nlctrl's dump fills about a page: in large parts its DONE shares the last datagram
      expect(large.largest).toBeGreaterThanOrEqual(small.largest);
      if (small.datagrams > 1) expect(large.datagrams).toBeLessThan(small.datagrams);
      // the same parts as the first time: had the socket been kept, they would be large too
      expect(smallAgain).toEqual(small);
    } finally {
      transport.close();
    }
  });

  it('a batch: acknowledged and refused requests in order', async () => {
    const transport = new SyncTransport({ window: 4 });
    try {
      const requests = Array.from({ length: 10 }, (_, i) => encodeGetFamily(i % 3 === 0 ? 'no-such-family' : 'nlctrl'));
      const { results, failure } = await transport.batch(requestList(requests));
      expect(failure).toBeUndefined();
      expect(results).toEqual(requests.map((_, i) => (i % 3 === 0 ? 2 : 0)));
    } finally {
      transport.close();
    }
  });

  it('a missed deadline is ETIMEDOUT (a transport failure); the next request gets a new socket', () => {
    const transport = new SyncTransport({ timeoutMs: 200 });
    try {
      const started = Date.now();
      let error: unknown;
      try {
        transport.requestSync(unanswered());
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NetlinkTransportError);
      expect((error as NetlinkError).errno).toBe(110);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(decodeFamilyId(transport.requestSync(encodeGetFamily('nlctrl'))[0]!)).toBe(GENL_ID_CTRL);
    } finally {
      transport.close();
    }
  });

  it('after close, every call fails with ECANCELED', async () => {
    const transport = new SyncTransport();
    transport.close();
    await expect(transport.request(encodeGetFamily('nlctrl'))).rejects.toMatchObject({ errno: 125 });
    transport.close(); // a second close does nothing
  });

  it('a visitor that closes the transport during a transient dump reads its datagram to the end; the dump fails, calls after it get ECANCELED', async () => {
    const transport = new SyncTransport();
    const seen: string[] = [];
    expect(() => transport.dumpEachSync(familyDump(), (datagram, start, end) => {
      if (seen.length === 0) transport.close();
      seen.push(datagram.toString('hex', start, end));
    }, { transient: true })).toThrow(NetlinkTransportError);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]!.slice(8, 12)).toBe('1000'); // nlctrl's family id, read after the close
    await expect(transport.request(encodeGetFamily('nlctrl'))).rejects.toMatchObject({ errno: 125 });
  });
});
