/**
 * `tsipvs drain` on the real kernel, with real traffic through a NAT director: a connection held open
 * to the drained server keeps working while it sits at weight 0, new connections go to the other
 * server, and the drained server leaves the table once that connection closes.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { IPROUTE2 as IP, IPVSADM, TSIPVS_BIN, vmTest } from '../harness/guest';
import { Lab, sleep, tally } from '../lab/lab';
import { natNetworks } from '../lab/topologies';

const PORT = 9000;

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

vmTest('tsipvs drain: the open connection keeps working at weight 0, new ones go elsewhere, the server leaves when it closes', async () => {
  const lab = new Lab();
  const children: ChildProcessWithoutNullStreams[] = [];
  try {
    const topo = natNetworks(lab, 2);
    const ipvsadm = (args: readonly string[]): string => {
      const r = lab.exec(topo.director, IPVSADM, args);
      assert.equal(r.status, 0, `ipvsadm ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    // plain plumbing and ipvsadm for everything but the drain: each tsipvs start costs seconds under TCG
    lab.ip(topo.director, `addr add ${topo.vip}/32 dev ${topo.directorDev}`);
    assert.equal(lab.exec(topo.director, 'sh', ['-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']).status, 0);
    for (const rs of topo.servers) {
      const server = inNamespace(rs.ns, [process.execPath, '-e', LINE_SERVER, rs.name, String(PORT)]);
      children.push(server);
      assert.equal(await nextLine(server, `server ${rs.name}`), 'listening');
      step(`${rs.name} listening`);
    }
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
    const drain = inNamespace(topo.director, [process.execPath, TSIPVS_BIN, 'drain', '-t', service, '-r', target.address, '--json']);
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
    lab.destroy();
  }
}, 120_000);
