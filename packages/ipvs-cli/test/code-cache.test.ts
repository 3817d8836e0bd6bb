/**
 * The bundle's V8 code cache (scripts/code-cache.js, written by `npm run build`): the commands that
 * train it really run through the bundle against the fake kernel, and bin/tsipvs's node takes it.
 * Child processes: the bundle runs in a plain node as bin/tsipvs runs it, not in Jest's module system.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

/** The package root; this file runs from packages/ipvs-cli/dist/test. */
const PACKAGE = resolve(__dirname, '../..');

/** Runs `body` in a fresh node after loading the bundle's source as bin/tsipvs does; returns its stdout as JSON. */
function inNode(body: string): unknown {
  const script = `
    const fs = require('node:fs'), path = require('node:path'), vm = require('node:vm'), { wrap, createRequire } = require('node:module');
    const file = ${JSON.stringify(resolve(PACKAGE, 'dist/tsipvs.js'))};
    const source = fs.readFileSync(file, 'latin1');
    const firstLine = source.slice(0, source.indexOf('\\n') + 1);
    const load = (script) => (require) => {
      const bundle = { exports: {} };
      script.runInThisContext()(bundle.exports, require, bundle, file, path.dirname(file));
      return bundle;
    };
    (async () => { ${body} })().then((result) => process.stdout.write(JSON.stringify(result)), (error) => { console.error(error); process.exit(1); });
  `;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(child.stderr);
  return JSON.parse(child.stdout);
}

test('the training runs each command from argv to output, against one fake kernel, through the blocking transport', () => {
  const results = inNode(`
    const { runTraining } = require(${JSON.stringify(resolve(PACKAGE, 'scripts/code-cache.js'))});
    return runTraining(load(new vm.Script(wrap(source), { filename: file })), createRequire(file));
  `) as Array<{ line: string; stdout: string }>;
  const printed = new Map(results.map((r) => [r.line, r.stdout]));
  // what the earlier commands made, listed and saved by the later ones
  expect(printed.get('-L -n')).toBe([
    'IP Virtual Server version 1.2.1 (size=4096)',
    'Prot LocalAddress:Port Scheduler Flags',
    '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
    'TCP  192.0.2.1:80 rr',
    '  -> 10.0.0.1:80                  Masq    3      0          0         ',
    '  -> 10.0.0.2:80                  Route   1      0          0         ',
    'UDP  192.0.2.1:53 rr persistent 300',
    '  -> 10.0.0.3:53                  Tunnel  1      0          0         ',
    'TCP  [2001:db8::1]:443 wlc',
    '  -> [2001:db8::10]:443           Masq    1      0          0         ',
    'FWM  7 sh',
    '',
  ].join('\n'));
  expect(printed.get('-S -n')).toContain('-a -t 192.0.2.1:80 -r 10.0.0.1:80 -m -w 3\n');
});

test('dist/tsipvs.cache belongs to this bundle, this node takes it, and it holds more than the top level', () => {
  const { rejected, built, topLevel } = inNode(`
    const cache = fs.readFileSync(path.join(path.dirname(file), 'tsipvs.cache'));
    if (cache.toString('latin1', 0, firstLine.length) !== firstLine) throw new Error('the cache is of another build');
    const cached = new vm.Script(wrap(source), { filename: file, cachedData: cache.subarray(firstLine.length) });
    const plain = new vm.Script(wrap(source), { filename: file });
    load(plain)(createRequire(file));
    return { rejected: cached.cachedDataRejected, built: cache.length - firstLine.length, topLevel: plain.createCachedData().length };
  `) as { rejected: boolean; built: number; topLevel: number };
  expect(rejected).toBe(false);
  // the functions of the trained commands: about half again as much as the top level's
  expect(built).toBeGreaterThan(topLevel * 1.25);
});
