/**
 * The packed packages as users install them (test/harness/host/install.ts put them in .cache/install
 * on the host before the VM booted): the installed `tsipvs` of both npm layouts, and a TypeScript
 * program compiled against the shipped library types, all against the real kernel.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { vmTest, type VmTestContext } from '../harness/guest';

const INSTALLED = path.resolve(__dirname, '../../../.cache/install');

function installed(...parts: string[]): string {
  const file = path.join(INSTALLED, ...parts);
  assert.ok(fs.existsSync(file), `${file} is missing: the host's install step (test/harness/host/install.ts) did not run or failed`);
  return file;
}

/** The real-server address must be routable in the case's namespace. */
function network(t: VmTestContext): void {
  t.sh('ip link add d0 type dummy && ip link set d0 up && ip addr add 192.0.2.254/24 dev d0');
}

for (const layout of ['hoisted', 'nested'] as const) {
  vmTest(`install (${layout}): the installed tsipvs adds, lists, saves, restores, applies and sets up like the repository's`, (t) => {
    const bin = installed(layout, 'bin', 'tsipvs');
    const tsipvs = (args: string[], input?: string) => t.run(bin, args, input === undefined ? {} : { input });
    network(t);
    assert.deepEqual(tsipvs(['-A', '-t', '192.0.2.1:80', '-s', 'rr']), { stdout: '', stderr: '', status: 0 });
    assert.deepEqual(tsipvs(['-a', '-t', '192.0.2.1:80', '-r', '192.0.2.10', '-g', '-w', '2']), { stdout: '', stderr: '', status: 0 });
    const listed = tsipvs(['-Ln']);
    assert.deepEqual(listed, t.ipvsadm(['-Ln']));
    const saved = tsipvs(['-S', '-n']);
    assert.equal(saved.stdout, '-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 192.0.2.10:80 -g -w 2\n');
    assert.equal(tsipvs(['-C']).status, 0);
    assert.deepEqual(tsipvs(['-R'], saved.stdout), { stdout: '', stderr: '', status: 0 });
    assert.equal(t.ipvsadm(['-S', '-n']).stdout, saved.stdout);
    const plan = tsipvs(['apply', '--dry-run', '-'], `${saved.stdout}-a -t 192.0.2.1:80 -r 192.0.2.11 -g\n`);
    assert.equal(plan.status, 0, plan.stderr);
    assert.match(plan.stdout, /-a -t 192\.0\.2\.1:80 -r 192\.0\.2\.11:80 -g -w 1/);
    assert.equal(t.ipvsadm(['-S', '-n']).stdout, saved.stdout, 'a dry run changes nothing');
    const realserver = tsipvs(['realserver', 'setup', '--mode', 'dr', '--vip', '192.0.2.1', '--dry-run']);
    assert.equal(realserver.status, 0, realserver.stderr);
    assert.match(realserver.stdout, /arp_ignore/);
    assert.match(tsipvs(['-v']).stdout, /^tsipvs v1\.31 /);
    assert.ok(fs.existsSync(installed(layout, 'lib', 'node_modules', 'tsipvs', 'LICENSE')));
    assert.ok(fs.existsSync(installed(layout, 'lib', 'node_modules', 'tsipvs', 'README.md')));
    // npm links the man pages where man finds them (share/man/man8 of the prefix)
    for (const page of ['tsipvs', 'tsipvs-apply', 'tsipvs-sysctl', 'tsipvs-realserver', 'tsipvs-director', 'tsipvs-keepalived']) {
      assert.match(fs.readFileSync(installed(layout, 'share', 'man', 'man8', `${page}.8`), 'utf8'), /^\.TH /m, page);
    }
    assert.match(fs.readFileSync(installed(layout, 'lib', 'node_modules', 'tsipvs', 'systemd', 'tsipvs-keepalived.service'), 'utf8'), /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    // loads @tsipvs/keepalived and prom-client from the installed tree
    const status = tsipvs(['keepalived', 'status', '--status-socket', '/nonexistent/keepalived.sock']);
    assert.deepEqual(status, {
      stdout: '', status: 1,
      stderr: 'no tsipvs keepalived answers on /nonexistent/keepalived.sock: the socket does not exist (is the daemon running? --status-socket names another)\n',
    });
    const version = tsipvs(['version']);
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, /^tsipvs 0\.2\.0\nIP Virtual Server version 1\.2\.1 \(size=4096\)\nNode\.js v\d+/);
    const completion = tsipvs(['completion', 'bash']);
    assert.equal(completion.status, 0, completion.stderr);
    assert.match(completion.stdout, /complete -F \S+ tsipvs/);
  });
}

vmTest('install: a TypeScript program compiled against the packed library runs on the fake and on the kernel', (t) => {
  const program = installed('app', 'main.js');
  network(t);
  const expected = { scheduler: 'rr', destinations: [{ address: '192.0.2.81', weight: 2, forwarding: 'DirectRoute' }], duplicate: 'EEXIST', knobs: true };
  for (const where of ['fake', 'kernel']) {
    const r = t.run(process.execPath, [program, where]);
    assert.equal(r.status, 0, `${where}: ${r.stderr}`);
    assert.deepEqual(JSON.parse(r.stdout), expected, where);
  }
  assert.equal(t.ipvsadm(['-S', '-n']).stdout, '-A -t 192.0.2.80:80 -s rr\n-a -t 192.0.2.80:80 -r 192.0.2.81:80 -g -w 2\n');
});
