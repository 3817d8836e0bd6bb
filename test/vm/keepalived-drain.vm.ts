/**
 * `tsipvs drain` on the real kernel, with real traffic through a NAT director: a connection held open
 * to the drained server keeps working while it sits at weight 0, new connections go to the other
 * server, and the drained server leaves the table once that connection closes.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { IPROUTE2 as IP, TSIPVS_BIN, vmTest, type VmTestContext } from '../harness/guest';
import { sleep, tally } from '../lab/lab';

const PORT = 9000;
const VIP = '10.20.0.50';

/** A TCP server that answers every line with its name (connections stay open until the client closes). */
const LINE_SERVER = `
const net = require('net');
const [name, port] = process.argv.slice(1);
net.createServer((socket) => {
  let buffered = '';
  socket.on('data', (d) => {
    buffered += d;
    while (buffered.includes('\\n')) { buffered = buffered.slice(buffered.indexOf('\\n') + 1); socket.write(name + '\\n'); }
  });
  socket.on('error', () => {});
}).listen(Number(port), '0.0.0.0', () => process.stdout.write('listening\\n'));`;

/**
 * A client holding one connection: each line on its stdin ("ping") is sent and the answer printed;
 * "close" ends the connection and the process. With a count instead, makes that many short
 * connections one after the other and prints who answered each, as JSON.
 */
const CLIENT = `
const net = require('net');
const [host, port, count] = process.argv.slice(1);
const ask = (socket) => new Promise((resolve) => { socket.once('data', (d) => resolve(String(d).trim())); socket.write('ping\\n'); });
if (count) {
  (async () => {
    const answers = [];
    for (let i = 0; i < Number(count); i++) {
      const socket = net.connect(Number(port), host);
      await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
      answers.push(await ask(socket));
      socket.end();
    }
    process.stdout.write(JSON.stringify(answers) + '\\n');
  })().catch((e) => { process.stderr.write(String(e)); process.exit(1); });
} else {
  const socket = net.connect(Number(port), host);
  socket.on('error', (e) => { process.stderr.write(String(e)); process.exit(1); });
  let lines = '';
  process.stdin.on('data', async (d) => {
    lines += d;
    while (lines.includes('\\n')) {
      const command = lines.slice(0, lines.indexOf('\\n'));
      lines = lines.slice(lines.indexOf('\\n') + 1);
      if (command === 'close') { socket.end(() => process.exit(0)); return; }
      process.stdout.write(await ask(socket) + '\\n');
    }
  });
}`;

function inNamespace(ns: string, args: readonly string[]): ChildProcessWithoutNullStreams {
  return spawn(IP, ['netns', 'exec', ns, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}

/** The next line a process prints (within 20 s). */
function nextLine(child: ChildProcessWithoutNullStreams, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    let errors = '';
    const timer = setTimeout(() => reject(new Error(`${what}: no line within 20 s (stderr: ${errors})`)), 20_000);
    const onError = (d: Buffer): void => void (errors += d.toString());
    const onData = (d: Buffer): void => {
      text += d.toString();
      if (!text.includes('\n')) return;
      child.stdout.off('data', onData);
      child.stderr.off('data', onError);
      clearTimeout(timer);
      resolve(text.slice(0, text.indexOf('\n')));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onError);
    child.once('exit', (code) => reject(new Error(`${what}: exited ${code} before a line (stderr: ${errors})`)));
  });
}

const started = Date.now();
const step = (text: string): void => void process.stderr.write(`[drain case +${((Date.now() - started) / 1000).toFixed(1)} s] ${text}\n`);

function exited(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

/** The director is the case's own namespace; the client and two real servers get one each, joined by veth pairs. */
function buildNetwork(t: VmTestContext, prefix: string): { client: string; servers: Array<{ ns: string; name: string; address: string }> } {
  const client = `${prefix}-client`;
  const servers = [1, 2].map((i) => ({ ns: `${prefix}-rs${i}`, name: `rs${i}`, address: `10.21.${i}.11` }));
  t.sh([
    `ip netns add ${client}`,
    `ip link add ${prefix}c type veth peer name eth0 netns ${client}`,
    `ip addr add 10.20.0.1/24 dev ${prefix}c && ip addr add ${VIP}/32 dev ${prefix}c && ip link set ${prefix}c up`,
    `ip -n ${client} addr add 10.20.0.100/24 dev eth0 && ip -n ${client} link set eth0 up && ip -n ${client} link set lo up`,
    ...servers.flatMap(({ ns, address }, i) => [
      `ip netns add ${ns}`,
      `ip link add ${prefix}${i + 1} type veth peer name eth0 netns ${ns}`,
      `ip addr add 10.21.${i + 1}.1/24 dev ${prefix}${i + 1} && ip link set ${prefix}${i + 1} up`,
      `ip -n ${ns} addr add ${address}/24 dev eth0 && ip -n ${ns} link set eth0 up && ip -n ${ns} link set lo up`,
      `ip -n ${ns} route add default via 10.21.${i + 1}.1`,
    ]),
    'echo 1 > /proc/sys/net/ipv4/ip_forward',
  ].join('\n'));
  return { client, servers };
}

vmTest('tsipvs drain: the open connection keeps working at weight 0, new ones go elsewhere, the server leaves when it closes', async (t) => {
  const prefix = `kd${process.pid % 100000}`;
  const children: ChildProcessWithoutNullStreams[] = [];
  try {
    const topo = { ...buildNetwork(t, prefix), vip: VIP };
    step('network');
    const ipvsadm = (args: readonly string[]): string => {
      const r = t.ipvsadm(args);
      assert.equal(r.status, 0, `ipvsadm ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const servers = topo.servers.map((rs) => inNamespace(rs.ns, [process.execPath, '-e', LINE_SERVER, rs.name, String(PORT)]));
    children.push(...servers);
    await Promise.all(servers.map(async (server, i) => assert.equal(await nextLine(server, `server rs${i + 1}`), 'listening')));
    step('servers listening');
    const service = `${topo.vip}:80`;
    ipvsadm(['-A', '-t', service, '-s', 'rr']);
    for (const rs of topo.servers) ipvsadm(['-a', '-t', service, '-r', `${rs.address}:${PORT}`, '-m']);

    // the connection held open, and the server it landed on
    const held = inNamespace(topo.client, [process.execPath, '-e', CLIENT, topo.vip, '80']);
    children.push(held);
    held.stdin.write('ping\n');
    const first = await nextLine(held, 'held connection');
    step(`held connection on ${first}`);
    const target = topo.servers.find((rs) => rs.name === first);
    assert.ok(target, `answered by ${first}`);
    const other = topo.servers.find((rs) => rs !== target)!;

    step('drain started');
    const drain = spawn(process.execPath, [TSIPVS_BIN, 'drain', '-t', service, '-r', target.address, '--json']);
    children.push(drain);
    const drainDone = exited(drain);
    // wait for weight 0 (the drain waits for the held connection meanwhile)
    const weightOf = (): string | undefined => ipvsadm(['-Ln'])
      .split('\n').find((line) => line.includes(`${target.address}:${PORT}`))?.trim().split(/\s+/)[3];
    for (let i = 0; i < 50 && weightOf() !== '0'; i++) await sleep(100);
    assert.equal(weightOf(), '0', ipvsadm(['-Ln']));

    step('weight 0');
    // new connections all go to the other server
    const fresh = inNamespace(topo.client, [process.execPath, '-e', CLIENT, topo.vip, '80', '4']);
    const freshDone = await exited(fresh);
    assert.equal(freshDone.code, 0, freshDone.stderr);
    assert.deepEqual(tally(JSON.parse(freshDone.stdout) as string[]), { [other.name]: 4 });

    // the held connection still reaches the drained server, which is still in the table
    held.stdin.write('ping\n');
    assert.equal(await nextLine(held, 'held connection, again'), target.name);
    step('held connection still answered');
    assert.match(ipvsadm(['-Ln']), new RegExp(`${target.address.replaceAll('.', '\\.')}:${PORT}\\s+Masq\\s+0\\s+1\\s`));

    step('closing');
    // it closes: the drain deletes the server and reports it
    held.stdin.write('close\n');
    const outcome = await Promise.race([drainDone, sleep(15_000).then(() => undefined)]);
    assert.ok(outcome, 'tsipvs drain did not finish within 15 s of the connection closing');
    step('drain finished');
    assert.equal(outcome.code, 0, outcome.stderr);
    const report = JSON.parse(outcome.stdout) as { server: string; weightBefore: number; activeAtStart: number; reason: string };
    assert.deepEqual(
      { server: report.server, weightBefore: report.weightBefore, activeAtStart: report.activeAtStart, reason: report.reason },
      { server: `${target.address}:${PORT}`, weightBefore: 1, activeAtStart: 1, reason: 'no-connections' },
    );
    const table = ipvsadm(['-Ln']);
    assert.ok(!table.includes(`${target.address}:${PORT}`), table);
    assert.ok(table.includes(`${other.address}:${PORT}`), table);
  } finally {
    for (const child of children) child.kill('SIGKILL');
    for (const ns of [`${prefix}-client`, `${prefix}-rs1`, `${prefix}-rs2`]) t.run(IP, ['netns', 'del', ns]);
  }
}, 120_000);
