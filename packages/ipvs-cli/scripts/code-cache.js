'use strict';
/**
 * The bundle's V8 code cache, trained: V8 puts in a cache the functions compiled so far, so a cache
 * made right after the bundle's top level holds little of what a command runs, and every call then
 * compiles its own path again (under emulation, about 0.1 s of a `tsipvs -A` and 0.3-0.5 s of a
 * 22k-line `-Ln`). Here the bundle runs the ipvsadm commands first, from argv to output, against
 * ipvs-core's FakeKernel. The kernel is reached through a stand-in for the libc calls the blocking
 * transport makes through koffi (socket, bind, send, recvmmsg...), handed to the bundle as the module
 * koffi: everything above those calls is the bundle's own code, as it runs against the real kernel.
 * The build touches no kernel, lock or journal of the machine it runs on.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { FakeKernel } = require('@tsipvs/ipvs-core/testing');
const { parseMessages } = require('@tsipvs/ipvs-core/wire');

const EBADF = 9;
const EAGAIN = 11;
const ENOSYS = 38;
/** struct mmsghdr on 64-bit Linux (as libc.ts lays it out): msg_iov at 16, msg_len at 56; an iovec is base, length. */
const MMSGHDR_SIZE = 64;
const MSG_IOV_OFFSET = 16;
const MSG_LEN_OFFSET = 56;
/** The kernel's NLMSG_GOODSIZE on 4 KiB pages: dumps arrive in parts of at most this. */
const DUMP_PART = 3776;

/** Native memory stood in for by ArrayBuffers, each at a made-up address that `at` maps back. */
class Memory {
  constructor() {
    this.blocks = [];
    this.next = 0x1000_0000;
  }

  alloc(size) {
    const block = { address: this.next, bytes: new Uint8Array(size) };
    this.next += Math.ceil((size + 1) / 4096) * 4096;
    this.blocks.push(block);
    return block;
  }

  /** The block holding `address`, as a Buffer starting at that address. */
  at(address) {
    const block = this.blocks.find((b) => address >= b.address && address < b.address + b.bytes.length);
    if (!block) throw new Error(`code cache training: address ${address.toString(16)} was never allocated`);
    return Buffer.from(block.bytes.buffer, address - block.address);
  }
}

/**
 * One reply buffer as the kernel sends it to the socket of `port`: a dump in parts, the rest as they
 * are, each message addressed to that port.
 */
function datagramsOf(reply, port) {
  const parts = [];
  let start = 0;
  let end = 0;
  while (end < reply.length) {
    const length = reply.readUInt32LE(end);
    reply.writeUInt32LE(port, end + 12);
    if (end > start && end + length - start > DUMP_PART) {
      parts.push(reply.subarray(start, end));
      start = end;
    }
    end += (length + 3) & ~3;
  }
  if (end > start) parts.push(reply.subarray(start, end));
  return parts;
}

/** koffi as libc.ts uses it, its libc calls answered by `kernel`. */
function fakeKoffi(kernel) {
  const memory = new Memory();
  const sockets = new Map();
  let nextFd = 100;
  let errno = 0;
  const fail = (code) => {
    errno = code;
    return -1;
  };
  const queueOf = (fd) => sockets.get(fd) ?? [];
  const calls = {
    socket: () => {
      sockets.set(nextFd, []);
      return nextFd++;
    },
    bind: () => 0,
    setsockopt: () => 0,
    getsockname: (fd, address) => {
      address.writeUInt16LE(16, 0); // AF_NETLINK
      address.writeUInt32LE(fd, 4); // the port id
      return 0;
    },
    send: (fd, data, length) => {
      for (const request of parseMessages(data.subarray(0, length))) {
        for (const reply of kernel.answer(request)) queueOf(fd).push(...datagramsOf(reply, fd));
      }
      return length;
    },
    recvmmsg: (fd, headers, count) => {
      const header = Buffer.from(headers.bytes.buffer);
      let received = 0;
      for (const queue = queueOf(fd); received < count && queue.length > 0; received++) {
        const iovec = memory.at(Number(header.readBigUInt64LE(received * MMSGHDR_SIZE + MSG_IOV_OFFSET)));
        const datagram = queue.shift();
        datagram.copy(memory.at(Number(iovec.readBigUInt64LE(0))), 0, 0, Math.min(Number(iovec.readBigUInt64LE(8)), datagram.length));
        header.writeUInt32LE(datagram.length, received * MMSGHDR_SIZE + MSG_LEN_OFFSET);
      }
      return received > 0 ? received : fail(EAGAIN);
    },
    close: (fd) => (sockets.delete(fd) ? 0 : fail(EBADF)),
    getpagesize: () => 4096,
  };
  return {
    load: () => ({
      func: (prototype) => {
        const name = /(\w+)\s*\(/.exec(prototype)[1];
        // what the trained commands never call (VRRP's recv, sendto...) fails, so a new need shows
        return calls[name] ?? (() => fail(ENOSYS));
      },
    }),
    alloc: (_type, size) => memory.alloc(size),
    address: (block) => BigInt(block.address),
    view: (block) => block.bytes.buffer,
    free: () => undefined,
    errno: () => errno,
  };
}

/**
 * The ipvsadm commands whose code the cache holds, in this order, each of which must succeed: the
 * single calls scripts make in loops, and the listings. Bulk commands (-R, apply) and the extras
 * (--json, subcommands) are left out: their work outweighs their compiling, and every function in
 * the cache is read at every start.
 */
const COMMANDS = [
  '-A -t 192.0.2.1:80 -s wrr',
  '-a -t 192.0.2.1:80 -r 10.0.0.1:80 -m -w 2',
  '-a -t 192.0.2.1:80 -r 10.0.0.2 -g',
  '-A -u 192.0.2.1:53 -s rr -p 300',
  '-a -u 192.0.2.1:53 -r 10.0.0.3 -i -x 10 -y 2',
  '-A -f 7 -s sh',
  '-A -t [2001:db8::1]:443',
  '-a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -m',
  '-E -t 192.0.2.1:80 -s rr',
  '-e -t 192.0.2.1:80 -r 10.0.0.1:80 -m -w 3',
  '-L -n',
  '-L -n --stats',
  '-L -n --rate',
  '-S -n',
  '-d -t 192.0.2.1:80 -r 10.0.0.2',
  '-D -u 192.0.2.1:53',
];

/**
 * Loads the bundle (`loadBundle(require)` runs its top level with that require) with koffi's
 * stand-in, and runs COMMANDS through its exports `runCollected` and `processEnvironment`, each
 * against the same FakeKernel. Resolves to what each printed; throws if one failed.
 */
async function runTraining(loadBundle, realRequire) {
  const koffi = fakeKoffi(new FakeKernel());
  const prebuilt = `@koromix/koffi-${process.platform}-${process.arch}/${process.platform}_${process.arch}/koffi.node`;
  const require = Object.assign((id) => (id === 'koffi' || id === prebuilt ? koffi : realRequire(id)), realRequire);
  const bundle = loadBundle(require);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsipvs-code-cache-'));
  const transport = process.env.TSIPVS_TRANSPORT;
  delete process.env.TSIPVS_TRANSPORT;
  const results = [];
  try {
    for (const line of COMMANDS) {
      const env = {
        ...bundle.exports.processEnvironment(),
        // nothing of the machine's: no modprobe, stdin, terminal, table lock or journal
        loadIpvsModule: async () => 'code cache training: no modprobe\n',
        readStdin: async () => '',
        readConnections: async () => undefined,
        lockTable: async () => ({ release: async () => undefined }),
        journalFile: async () => path.join(scratch, 'journal'),
        stderrTerminal: () => undefined,
      };
      const result = await bundle.exports.runCollected(line.split(' '), env);
      if (result.status !== 0) throw new Error(`code cache training: tsipvs ${line} exited ${result.status}: ${result.stderr}`);
      results.push({ line, stdout: result.stdout });
    }
  } finally {
    if (transport !== undefined) process.env.TSIPVS_TRANSPORT = transport;
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return results;
}

/** `script`'s code cache after `runTraining` (`script` is the bundle that `loadBundle` runs). */
async function trainedCodeCache(script, loadBundle, realRequire) {
  await runTraining(loadBundle, realRequire);
  return script.createCachedData();
}

module.exports = { runTraining, trainedCodeCache };
