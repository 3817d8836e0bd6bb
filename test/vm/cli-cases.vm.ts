/**
 * Our own side-by-side cases on the live kernel (beyond the oracle scenarios): error cases, parser
 * corners, names, sorting, and the deliberate differences asserted with ipvsadm's behaviour next to ours.
 */
import * as assert from 'node:assert/strict';
import { parseScenario } from 'tsipvs/dist/test/support/scenario';
import { sideBySide } from 'tsipvs/dist/test/support/side-by-side';
import { IPROUTE2, TSIPVS_BIN, vmTest, type VmTestContext } from '../harness/guest';

const TOOL = `${process.execPath} ${TSIPVS_BIN}`;
const ROUTABLE = 'ip link add d0 type dummy && ip link set d0 up && ip addr add 198.51.100.254/24 dev d0';

function compare(t: VmTestContext, name: string, lines: readonly string[]): void {
  const scenario = parseScenario(lines.join('\n'));
  const result = sideBySide(t.run, IPROUTE2, TOOL, scenario);
  console.log(`${name}: ${result.compared} command lines compared, ${result.mismatches.length} differ`);
  assert.equal(result.mismatches.join('\n'), '');
}

const ipvsadm = (args: string): string => `ipvsadm ${args}`;

vmTest('own cases: service errors and option matrix', (t) => {
  compare(t, 'service errors', [
    '-A -t 192.0.2.1:80 -s rr', '-A -t 192.0.2.1:80', '-A -t 192.0.2.2:80 -s bogus', '-E -t 192.0.2.3:80', '-D -u 192.0.2.1:80',
    '-A -t 192.0.2.4:80 --pe bogus -p', '-A -t 192.0.2.4:0', '-A -t 192.0.2.4 -p', '-A -f 4294967296', '-A -f 0x10',
    '-A -t 192.0.2.5:80 -x 5', '-A -t 192.0.2.5:80 -c', '-E -t 192.0.2.1:80 -r 192.0.2.10', '-D -t 192.0.2.1:80 -s rr',
    '-C -n', '-Z -t 192.0.2.1:80 -n', '-S --nosort', '-S -t 192.0.2.1:80', '-L --syncid 5 -n', '-L -n --sort --nosort',
    '-L -n -c --stats', '-L -n --daemon --persistent-conn', '-L -n --timeout --rate', '-L -n -c --persistent-conn',
    '--set 1 2', '--set 1 2 x', '--set 1 2 2678401', '--set 0 0 0 -n', '-A -t 192.0.2.6:80 -s rr -s wlc',
    '-A -t 192.0.2.7:80 -M 255.255.255.0', '-A -t 192.0.2.8:80 --pe sip', '-A -t 192.0.2.9:80 -s sh -b flag-3', '-Ln -t 192.0.2.9:80', '-Sn', '-D -t 192.0.2.9:80',
    '-A -t 192.0.2.9:81 -s mh -b mh-port,mh-fallback,flag-1', '-A -u 192.0.2.9:53 -o -p', '-A -t 192.0.2.9:82 -b flag-1,,flag-2',
    '-A -t 192.0.2.9:83 -b bogus,sh-port', '-A -t [2001:db8::9]:80 -M 129 -p', '-A -t [2001:db8::9]:80 -M 0 -p', '-A -t [2001:db8::9]:81 -M 64x -p',
    '-A -t 192.0.2.11:80 -p 2678400', '-A -t 192.0.2.11:81 -p 2678401', '-A -t 192.0.2.11:82 -p +5', '-A -t 192.0.2.11:83 -p " 5"',
    '-Ln', '-Sn', '-L -n --persistent-conn', '-Z', '-Z -f 7', '-E -t 192.0.2.1:80 -p', '-Sn',
  ].map(ipvsadm));
}, 900_000);

vmTest('own cases: real-server errors, forwarding and tunnels', (t) => {
  compare(t, 'server errors', [
    ROUTABLE, '-A -t 198.51.100.1:80 -s wrr', '-A -f 5', '-A -t [2001:db8::1]:80',
    '-a -t 198.51.100.1:80 -r 198.51.100.10:8080 -g', '-a -t 198.51.100.1:80 -r 198.51.100.11:8080 -m -w 0', '-a -t 198.51.100.1:80 -r 198.51.100.11:8080 -m',
    '-a -t 198.51.100.1:80 -r 198.51.100.12 -i --tun-type gre --tun-remcsum', '-a -t 198.51.100.1:80 -r 198.51.100.12 -i --tun-type gre --tun-csum',
    '-a -t 198.51.100.1:80 -r 198.51.100.13 -i --tun-type gue --tun-port 0', '-a -t 198.51.100.1:80 -r 198.51.100.13 -i --tun-type gue --tun-port 5555 --tun-remcsum',
    '-a -t 198.51.100.1:80 -r 198.51.100.14 -w 2147483647', '-a -t 198.51.100.1:80 -r 198.51.100.17 -x 2147483647 -y 2147483648', '-a -t 198.51.100.1:80 -r 198.51.100.15 -y 1',
    '-a -t 198.51.100.1:80 -r 198.51.100.16 -m -i', '-a -t 198.51.100.1:80 -r 198.51.100.16 --tun-csum', '-a -t 198.51.100.1:80 -r 198.51.100.16 -w 1 -w 2',
    '-a -f 5 -r 198.51.100.20', '-a -f 5 -r 198.51.100.21:81 -g', '-a -f 5 -r 198.51.100.22:http', '-a -f 5 -r [2001:db8::22]:80 -i',
    '-a -t [2001:db8::1]:80 -r 2001:db8::20', '-a -t [2001:db8::1]:80 -r [2001:db8::21]:80 -m -w 3', '-a -t [2001:db8::1]:80 -r [::1]:80 -m',
    '-e -t 198.51.100.1:80 -r 198.51.100.11:8080', '-e -t 198.51.100.1:80 -r 198.51.100.99', '-d -t 198.51.100.1:80 -r 198.51.100.99',
    '-d -t 198.51.100.1:80 -r 198.51.100.10:1234', '-d -f 6 -r 198.51.100.20', '-a -t 198.51.100.2:80 -r 198.51.100.10',
    '-Ln', '-L -n --tun-info', '-L -n --thresholds', '-L -n --persistent-conn', '-L -n --stats --exact', '-Sn', '-Ln -f 5', '-Ln -t [2001:db8::1]:80',
  ].map((l) => (l.startsWith('ip ') ? l : ipvsadm(l))));
}, 900_000);

vmTest('own cases: address and port forms, names without -n, popt spellings', (t) => {
  compare(t, 'addresses and names', [
    '-A -t 10.1:80', '-A -t 0x0a000002:80', '-A -t 012.0.0.3:80', '-A -t [192.0.2.4]:80 -p', '-A -t 192.0.2.5:http-alt',
    '-A -u 192.0.2.5:domain', '-A --sctp-service 192.0.2.5:9', '-A -t localhost:81', '-A -t vip1.example.test:https',
    '-A --tcp-service=192.0.2.6:80', '-At192.0.2.7:80', '-A -t 192.0.2.8:80 --scheduler=rr --persistent=30',
    '-A -t [2001:db8::1]:80', '-A -t [2001:db8::1]:http', '-A -t 2001:db8::2:80 -p', '-A -t [2001:db8::3]', '-A -t [fe80::1%lo]:80',
    '-a -t 10.1:80 -r rs1.example.test -m', '-a -t 10.1:80 -r rs2.example.test:ssh -m', '-a -t vip1.example.test:https -r 127.0.0.1 -m',
    '-a -t [2001:db8::1]:80 -r [2001:db8::10]:80 -m', '-A -t 192.0.2.200:8888', '-a -t 192.0.2.200:8888 -r 192.0.2.201:9999 -m',
    '-L', '-l', '-S', '-L --stats', '-L --rate', '-L --thresholds', '-L -t vip1.example.test:https', '-L -t localhost:81', '-Ln',
    '-L -c', '-L --timeout', '-L --daemon', '-L -nX --stats', '--list --numeric --exact', '-lnX', '-L -n -6',
  ].map(ipvsadm));
}, 900_000);

vmTest('own cases: sort order with wrap-around, many services and servers', (t) => {
  const lines = ['ip link add d0 type dummy && ip link set d0 up && ip addr add 10.0.0.254/8 dev d0'];
  const vips = ['10.0.0.1', '192.168.5.5', '9.9.9.9', '200.0.0.1', '127.0.0.1', '255.255.255.253', '0.0.0.9', '172.16.0.1', '100.64.0.1'];
  for (const vip of vips) lines.push(ipvsadm(`-A -t ${vip}:80 -s rr`), ipvsadm(`-A -u ${vip}:53 -s rr`));
  for (const rs of ['10.0.0.7', '192.168.9.9', '9.1.1.1', '200.1.1.1', '127.0.0.2', '100.64.1.1', '11.0.0.1', '193.0.0.1']) {
    lines.push(ipvsadm(`-a -t 10.0.0.1:80 -r ${rs}:80 -m`), ipvsadm(`-a -t 200.0.0.1:80 -r ${rs}:8080 -m`));
  }
  for (const mark of [1, 2147483647, 2147483648, 4294967294, 3, 70000]) lines.push(ipvsadm(`-A -f ${mark} -s rr`));
  lines.push(ipvsadm('-A -f 3 -6 -s rr'), ipvsadm('-A -t [2001:db8::1]:80'), ipvsadm('-A -t [ffff::1]:80'), ipvsadm('-A -t [::2]:80'));
  lines.push(...['-Ln', '-Sn', '-L -n --nosort', '-L -n --stats', '-Ln -t 10.0.0.1:80', '-Ln -t 200.0.0.1:80'].map(ipvsadm));
  compare(t, 'sort order', lines.filter((l) => !l.includes('-f 2147483648') && !l.includes('-f 4294967294')));
}, 900_000);

vmTest('own cases: restore input that ipvsadm and tsipvs both accept', (t) => {
  compare(t, 'restore', [
    'ip link add d0 type dummy && ip link set d0 up && ip addr add 10.0.0.254/8 dev d0',
    'ipvsadm -R <<EOF\nipvsadm -A -t 10.0.0.1:80 -s rr\n\t-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 3\r\n   \n-A -u 10.0.0.1:53 --scheduler wlc -p\n-a -u 10.0.0.1:53 -r 10.0.0.3 -g\nEOF',
    'ipvsadm -Sn',
    'ipvsadm -R <<EOF\n-L -n\n--set 10 20 30\n-L -n --timeout\n-Z\nEOF',
    'ipvsadm -R <<EOF\nEOF',
    'ipvsadm -Sn',
  ]);
}, 900_000);

// Deliberate differences, each asserted with ipvsadm's behaviour and ours side by side.

function both(t: VmTestContext, args: string[], setup: string[][] = [], input?: string): { theirs: ReturnType<VmTestContext['run']>; ours: ReturnType<VmTestContext['run']> } {
  const script = (tool: string): string =>
    [`${IPROUTE2} link set lo up`, ...setup.map((a) => `${tool} ${a.join(' ')} >/dev/null 2>&1`), `exec ${tool} ${args.map((a) => `'${a}'`).join(' ')}`].join('\n');
  const opts = input === undefined ? {} : { input };
  return {
    theirs: t.run('unshare', ['-n', 'sh', '-c', script('ipvsadm')], opts),
    ours: t.run('unshare', ['-n', 'sh', '-c', script(TOOL)], opts),
  };
}

const TRY = (name: string): string => `Try \`${name} -h' or '${name} --help' for more information.\n`;

vmTest('deliberate: the command letter may come anywhere (-nL)', (t) => {
  const { theirs, ours } = both(t, ['-nL'], [['-A', '-t', '192.0.2.1:80']]);
  assert.deepEqual([theirs.status, theirs.stderr], [255, TRY('ipvsadm')]);
  const list = t.run('unshare', ['-n', 'sh', '-c', `${IPROUTE2} link set lo up; ipvsadm -A -t 192.0.2.1:80; ipvsadm -Ln`]);
  assert.deepEqual([ours.status, ours.stdout, ours.stderr], [0, list.stdout, '']);
});

vmTest('deliberate: -b , is ignored (ipvsadm crashes)', (t) => {
  const { theirs, ours } = both(t, ['-A', '-t', '192.0.2.1:80', '-s', 'sh', '-b', ',']);
  assert.equal(theirs.status, 139);
  assert.deepEqual([ours.status, ours.stderr], [0, '']);
});

vmTest('deliberate: fwmarks >= 2^31 are unsigned and restorable (ipvsadm: negative)', (t) => {
  const setup = [['-A', '-f', '4294967295', '-s', 'rr']];
  const list = both(t, ['-Ln'], setup);
  assert.match(list.theirs.stdout, /^FWM {2}-1 rr$/m);
  assert.match(list.ours.stdout, /^FWM {2}4294967295 rr$/m);
  const save = both(t, ['-Sn'], setup);
  assert.equal(save.theirs.stdout, '-A -f -1 -s rr\n');
  assert.equal(save.ours.stdout, '-A -f 4294967295 -s rr\n');
  const restore = both(t, ['-R'], [], save.ours.stdout);
  assert.equal(restore.ours.status, 0, restore.ours.stderr);
});

vmTest('deliberate: -r before -t keeps the service port (ipvsadm: 0)', (t) => {
  const setup = [['-A', '-t', '192.0.2.1:80'], ['-a', '-r', '192.0.2.10', '-m', '-t', '192.0.2.1:80']];
  const { theirs, ours } = both(t, ['-Sn'], setup);
  assert.match(theirs.stdout, /-r 192\.0\.2\.10:0 -m/);
  assert.match(ours.stdout, /-r 192\.0\.2\.10:80 -m/);
});

vmTest('deliberate: -S saves thresholds (ipvsadm drops them)', (t) => {
  const setup = [['-A', '-t', '192.0.2.1:80'], ['-a', '-t', '192.0.2.1:80', '-r', '192.0.2.10', '-x', '9', '-y', '3']];
  const { theirs, ours } = both(t, ['-Sn'], setup);
  assert.equal(theirs.stdout, '-A -t 192.0.2.1:80 -s wlc\n-a -t 192.0.2.1:80 -r 192.0.2.10:80 -g -w 1\n');
  assert.equal(ours.stdout, '-A -t 192.0.2.1:80 -s wlc\n-a -t 192.0.2.1:80 -r 192.0.2.10:80 -g -w 1 -x 9 -y 3\n');
});

vmTest('deliberate: restore takes # comments and applies all or nothing', (t) => {
  const input = '# web\n-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 192.0.2.10 -w banana\n';
  const bad = both(t, ['-R'], [], input);
  assert.deepEqual([bad.theirs.status, bad.theirs.stderr], [255, TRY('ipvsadm')]);
  assert.deepEqual([bad.ours.status, bad.ours.stderr], [2, 'line 3: illegal weight specified\n']);
  const refused = both(t, ['-R'], [], '-A -t 192.0.2.1:80 -s rr\n-A -t 192.0.2.1:80 -s rr\n-A -t 192.0.2.2:80\n');
  assert.deepEqual([refused.theirs.status, refused.theirs.stderr], [0, 'Service already exists\n']);
  assert.deepEqual([refused.ours.status, refused.ours.stderr], [255, 'line 2: Service already exists\nrestore failed: nothing applied (the table is as before)\n']);
  const after = t.run('unshare', ['-n', 'sh', '-c', `${IPROUTE2} link set lo up; ${TOOL} -R <<'EOF' >/dev/null 2>&1\n-A -t 192.0.2.1:80 -s rr\n-A -t 192.0.2.1:80 -s rr\nEOF\nipvsadm -Sn`]);
  assert.equal(after.stdout, '', 'nothing stays applied');
});
